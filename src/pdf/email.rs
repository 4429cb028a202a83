//! An email draft (`.eml`) with a document attached, for the user's own mail client (Outlook,
//! Thunderbird) to open, check and send. `X-Unsent: 1` makes Outlook open it as a draft.

use base64::Engine;

/// Builds the message. `to` may be empty (the user fills it in).
pub fn draft(to: &str, subject: &str, body: &str, file_name: &str, pdf: &[u8]) -> Vec<u8> {
    let boundary = "=_safeguard-desk-document";
    let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
    let mut out = String::new();
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str("X-Unsent: 1\r\n");
    if !to.trim().is_empty() {
        out.push_str(&format!("To: {}\r\n", header_safe(to)));
    }
    out.push_str(&format!("Subject: {}\r\n", encoded_word(subject)));
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    out.push_str(&format!("--{boundary}\r\n"));
    out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    out.push_str(&wrap76(
        &base64::engine::general_purpose::STANDARD.encode(body),
    ));
    out.push_str(&format!("--{boundary}\r\n"));
    out.push_str("Content-Type: application/pdf\r\n");
    out.push_str(&format!(
        "Content-Disposition: attachment; filename*=UTF-8''{}\r\n",
        percent(file_name)
    ));
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    out.push_str(&wrap76(&encoded));
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

/// A header value without line breaks (no header injection from a settings field).
fn header_safe(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// RFC 2047 encoded word, so a subject with a child's accented name survives any client.
fn encoded_word(s: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(header_safe(s))
    )
}

/// RFC 5987 percent-encoding for the attachment's file name.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn wrap76(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 76 * 2 + 2);
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_carries_the_pdf_intact_and_cannot_be_header_injected() {
        let pdf = b"%PDF-1.7 fake \x00\xff bytes";
        let eml = String::from_utf8(draft(
            "mash@la.gov.uk\r\nBcc: evil@example.com",
            "Referral: Zoë",
            "Please find attached.",
            "Referral - Zoë.pdf",
            pdf,
        ))
        .unwrap();
        assert!(eml.contains("X-Unsent: 1\r\n"));
        assert!(
            eml.contains("To: mash@la.gov.ukBcc: evil@example.com\r\n"),
            "one header line"
        );
        assert!(!eml.contains("\r\nBcc:"));
        assert!(eml.contains("filename*=UTF-8''Referral%20-%20Zo%C3%AB.pdf"));
        let b64: String = eml
            .split("Content-Transfer-Encoding: base64\r\n\r\n")
            .nth(2)
            .unwrap()
            .split("--=_safeguard")
            .next()
            .unwrap()
            .replace("\r\n", "");
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(back, pdf);
    }
}
