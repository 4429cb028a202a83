//! The PDFs, checked the way a reader would: the text extracted with `pdftotext` (every section,
//! every field, the child's words, in order), `qpdf --check`, fonts embedded as subsets
//! (`pdffonts`), long inputs paginated with nothing lost, a missing glyph shown and named.

mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::pdf::{in_order, text_of};
use common::*;
use safeguard_core::records::*;
use safeguard_core::session::{ChronologyFilter, ReferralSelection};
use safeguard_core::{Error, Session};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Zoë and her sister Siobhán, their mother, a concern with Zoë's words, her voice, a referral
/// made without consent and its decision, a completed follow-up.
fn family(s: &mut Session) -> (Id, Id) {
    let mut zoe = pupil_details("Zoë", "Nowak-Łukasiewicz", "Z000000000001");
    zoe.ethnicity = Some("White Other (Polish)".into());
    zoe.first_language = Some("Polish".into());
    zoe.interpreter_needed = true;
    zoe.address = Some("7 Brook Lane, Testtown".into());
    let zoe = s.add_pupil(&zoe).unwrap();
    let sean = s
        .add_pupil(&pupil_details("Siobhán", "O'Connor", "Z000000000002"))
        .unwrap();
    s.add_family_member(zoe, Some(sean), &MemberDetails::pupil_child())
        .unwrap();
    let mut mum = MemberDetails::person("Agnieszka Nowak", "mother", false);
    mum.parental_responsibility = true;
    s.add_family_member(zoe, None, &mum).unwrap();
    let mut c = concern_for(
        zoe,
        Utc.with_ymd_and_hms(2026, 11, 16, 9, 10, 0).unwrap(),
        "At 09:10 Zoë had a red mark about 4 cm long on her left cheek.",
        Some("Mama's boyfriend pushed me into the door."),
    );
    c.details.categories = vec![Category::PhysicalAbuse];
    s.record_concern(&c).unwrap();
    s.record_voice(&NewVoice {
        pupil_id: zoe,
        details: VoiceDetails {
            spoken_at: Utc.with_ymd_and_hms(2026, 11, 17, 13, 0, 0).unwrap(),
            words: "I like it at Nana's because it is quiet there.".into(),
            wishes: Some("To stay at Nana's at weekends".into()),
            feelings: None,
            non_verbal: None,
            who_was_present: "Zoë and the DSL".into(),
            context: None,
        },
    })
    .unwrap();
    let r = s
        .record_referral(&NewReferral {
            pupil_id: zoe,
            details: ReferralDetails {
                made_at: Utc.with_ymd_and_hms(2026, 11, 16, 11, 0, 0).unwrap(),
                agency: Agency::Mash,
                agency_name: Some("Testshire MASH".into()),
                method: ReferralMethod::Portal,
                reference: Some("MASH-123".into()),
                contact_name: None,
                parents_aware: Some(false),
                consent: Consent::NotSought,
                no_consent_reason: Some("Telling her mother first could put Zoë at risk.".into()),
                child_view: None,
                what_was_shared: "The mark on Zoë's cheek and her words.".into(),
                written_confirmation_sent_on: None,
            },
        })
        .unwrap();
    s.record_decision(
        r,
        &DecisionDetails {
            received_on: d(2026, 11, 18),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: None,
            notes: "Threshold not met.".into(),
        },
    )
    .unwrap();
    (zoe, sean)
}

#[test]
fn the_referral_has_every_section_and_field_in_order_with_the_childs_words_verbatim() {
    let (fx, mut s) = new_store();
    let (zoe, _) = family(&mut s);
    let doc = s
        .referral_pdf(&ReferralSelection {
            pupil_id: zoe,
            ..Default::default()
        })
        .unwrap();
    let text = text_of(fx.dir.parent().unwrap(), "referral.pdf", &doc.bytes);
    in_order(
        &text,
        &[
            "OFFICIAL-SENSITIVE",
            "Referral: Zoë Nowak-Łukasiewicz",
            "1. Referrer",
            "Name",
            DSL,
            "Designated Safeguarding Lead",
            "Test Primary",
            "Phone",
            "Not known",
            "2. Consent",
            "Parents aware of the",
            "No",
            "Not sought",
            "Telling her mother first could put Zoë at risk.",
            "3. The child",
            "Legal name",
            "Zoë Nowak-Łukasiewicz",
            "Date of birth",
            "14/03/2018",
            "White Other (Polish)",
            "Polish — interpreter needed",
            "7 Brook Lane, Testtown",
            "Z000000000001",
            "NHS number",
            "Not known",
            "4. Household and family",
            "Siobhán O'Connor",
            "Agnieszka Nowak",
            "mother",
            "5. The concern",
            "16/11/2026 09:10",
            "red mark about 4 cm long on her left cheek",
            "Impact on the child",
            "Disclosures: who said what, and when",
            "“Mama's boyfriend pushed me into the door.”",
            "History",
            "Referral decision: no further action",
            "6. The child's voice",
            "“I like it at Nana's because it is quiet there.”",
            "Wishes: To stay at Nana's at weekends",
            "7. What is going well",
            "8. What the school has done, and with what result",
            "9. Other agencies involved",
            "Testshire MASH",
        ],
    );
    assert!(text.contains(&format!("Page 1 of {}", doc.pages)));
    // The full 256-bit head the document was made at (generating it is audited after), in the
    // form `sgd verify --expect` takes.
    let at = s.verify().unwrap().chain.heads[0].seq - 1;
    let line = text
        .lines()
        .find(|l| l.contains("Audit chain "))
        .expect("an audit chain line");
    let (seq, hash) = line
        .trim()
        .trim_start_matches("Audit chain ")
        .split_once(':')
        .unwrap();
    assert_eq!(seq.parse::<i64>().unwrap(), at);
    assert_eq!(hash.len(), 64, "{line}");
    assert!(doc.missing.is_empty());
}

#[test]
fn a_long_chronology_and_long_accounts_paginate_with_every_word_present() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    let start = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
    s.batch(|s| {
        for i in 0..300 {
            // Every tenth account is about 5,000 characters long.
            let words = if i % 10 == 0 { 700 } else { 12 };
            let account: String = (0..words)
                .map(|w| format!("e{i}w{w}"))
                .collect::<Vec<_>>()
                .join(" ");
            s.record_concern(&concern_for(
                p,
                start + Duration::hours(i * 30),
                &account,
                None,
            ))?;
        }
        Ok(())
    })
    .unwrap();
    let doc = s
        .chronology_pdf(p, false, &ChronologyFilter::default())
        .unwrap();
    let text = text_of(fx.dir.parent().unwrap(), "chronology.pdf", &doc.bytes);
    assert!(doc.pages > 40, "{} pages", doc.pages);
    let found: std::collections::HashSet<&str> = text.split_whitespace().collect();
    for i in 0..300 {
        let words = if i % 10 == 0 { 700 } else { 12 };
        for w in 0..words {
            let token = format!("e{i}w{w}");
            assert!(found.contains(token.as_str()), "{token} is missing");
        }
    }
    // The table's header is repeated on every page the chronology reaches.
    let headers = text.matches("When Entry Recorded by").count();
    assert!(
        headers >= doc.pages - 1,
        "{headers} headers on {} pages",
        doc.pages
    );
    // And entries stay in date order.
    in_order(&text, &["e0w0", "e1w0", "e150w0", "e299w11"]);
}

#[test]
fn the_family_chronology_and_the_escalation_history_and_the_whole_file() {
    let (fx, mut s) = new_store();
    let (zoe, sean) = family(&mut s);
    s.record_concern(&concern_for(
        sean,
        monday() - Duration::days(1),
        "Siobhán had no coat in the rain.",
        None,
    ))
    .unwrap();
    let e = s
        .open_escalation(&NewEscalation {
            pupil_id: zoe,
            referral_id: None,
            details: EscalationDetails {
                agency: "Testshire MASH".into(),
                subject: "No further action after a disclosure".into(),
            },
            first_stage: StageDetails {
                stage_name: String::new(),
                raised_on: d(2026, 11, 19),
                with_name: "Kim Lee".into(),
                with_role: "Social worker".into(),
                with_agency: "Testshire MASH".into(),
                disagreement: "The disclosure was not weighed.".into(),
                evidence: "Concern of 16/11/2026.".into(),
            },
        })
        .unwrap();
    s.record_escalation_response(e, "Decision reviewed: assessment to start.")
        .unwrap();
    s.resolve_escalation(e, "Child and family assessment started.")
        .unwrap();
    let dir = fx.dir.parent().unwrap().to_path_buf();

    let fam = s
        .chronology_pdf(zoe, true, &ChronologyFilter::default())
        .unwrap();
    let text = text_of(&dir, "family.pdf", &fam.bytes);
    in_order(
        &text,
        &[
            "Family chronology: Zoë Nowak-Łukasiewicz and siblings",
            "Siobhán O'Connor",
            "red mark",
            "no coat in the rain",
        ],
    );

    let esc = s.escalations_pdf(None).unwrap();
    let text = text_of(&dir, "escalations.pdf", &esc.bytes);
    in_order(
        &text,
        &[
            "Escalation history: all escalations",
            "No further action after a disclosure",
            "1. Practitioner to practitioner",
            "19/11/2026",
            "Kim Lee",
            "Decision reviewed: assessment to start.",
            "The disclosure was not weighed.",
            "Child and family assessment started.",
        ],
    );

    let file = s.child_file_pdf(zoe).unwrap();
    let text = text_of(&dir, "file.pdf", &file.bytes);
    in_order(
        &text,
        &[
            "Child protection file: Zoë Nowak-Łukasiewicz",
            "Contents",
            "The child",
            "Household and family",
            "Chronology",
            "The child's words",
            "Escalations",
            "Page 1 of",
        ],
    );
    // The contents page's numbers are where the sections really are.
    let pages: Vec<&str> = text.split('\u{c}').collect();
    let contents_line = text.lines().find(|l| l.starts_with("Chronology ")).unwrap();
    let page_no: usize = contents_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        pages[page_no - 1].contains("Recorded by"),
        "the chronology starts on page {page_no}"
    );
}

#[test]
fn a_character_the_font_lacks_is_shown_and_named_not_dropped() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    s.record_concern(&concern_for(
        p,
        monday(),
        "She wrote 李 on the board.",
        None,
    ))
    .unwrap();
    let doc = s
        .chronology_pdf(p, false, &ChronologyFilter::default())
        .unwrap();
    assert_eq!(doc.missing, vec!['李']);
    let text = text_of(fx.dir.parent().unwrap(), "glyph.pdf", &doc.bytes);
    assert!(text.contains("She wrote \u{FFFD} on the board."), "{text}");
    assert!(text.contains("U+674E"), "the notice names the character");
}

#[test]
fn the_same_records_and_clock_give_the_same_text_and_each_generation_is_audited() {
    let (fx, mut s) = new_store();
    let (zoe, _) = family(&mut s);
    let sel = ReferralSelection {
        pupil_id: zoe,
        ..Default::default()
    };
    let dir = fx.dir.parent().unwrap().to_path_buf();
    let before = s.chain_head().unwrap().seq;
    let a = text_of(&dir, "a.pdf", &s.referral_pdf(&sel).unwrap().bytes);
    let b = text_of(&dir, "b.pdf", &s.referral_pdf(&sel).unwrap().bytes);
    // Only the footer's chain head moves on: the first generation is itself an audit event.
    let body = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("Audit chain"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&a), body(&b));
    assert!(s.chain_head().unwrap().seq > before);
    drop(s);
    let conn = safeguard_core::testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    let (action, targets): (String, String) = conn
        .query_row(
            "SELECT action, targets FROM audit_events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "document.referral");
    assert!(targets.contains(&zoe.to_string()));
    assert!(!targets.contains("cheek"), "ids only, never content");
}

#[test]
fn flagged_terms_in_a_referral_are_listed_before_generating_and_staff_cannot_generate() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    s.record_concern(&concern_for(
        p,
        monday(),
        "She is promiscuous and clearly lying.",
        Some("He said I'm promiscuous"),
    ))
    .unwrap();
    let flags = s
        .referral_language_flags(&ReferralSelection {
            pupil_id: p,
            ..Default::default()
        })
        .unwrap();
    let terms: Vec<String> = flags
        .iter()
        .map(|f| f.flag.matched.to_lowercase())
        .collect();
    assert!(terms.iter().any(|t| t.contains("promiscuous")), "{terms:?}");
    assert!(terms.iter().any(|t| t.contains("clearly")), "{terms:?}");
    assert_eq!(
        terms.iter().filter(|t| t.contains("promiscuous")).count(),
        1,
        "the child's words are not checked"
    );
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    drop(s);
    // Staff hold no database key: no session over the records, so no document either.
    assert!(matches!(
        fx.unlock("Sue Staff", "staff passphrase"),
        Err(Error::Forbidden)
    ));
    fx.staff("Sue Staff", "staff passphrase").unwrap();
    let _ = p;
}

#[test]
fn the_email_draft_goes_to_the_referral_address_with_the_pdf_attached() {
    use safeguard_core::session::DocumentRequest;
    let (fx, mut s) = new_store();
    let (zoe, _) = family(&mut s);
    let mut settings = s.settings().unwrap();
    settings.school.referral_email = Some("mash@testshire.gov.uk".into());
    s.save_settings(&settings).unwrap();
    let sel = ReferralSelection {
        pupil_id: zoe,
        ..Default::default()
    };
    let name = s
        .document_file_name(&DocumentRequest::Referral {
            selection: sel.clone(),
        })
        .unwrap();
    assert_eq!(name, "Referral - Zoë Nowak-Łukasiewicz - 2026-11-23.pdf");
    let draft = s.referral_email(&sel).unwrap();
    let eml = String::from_utf8(draft.eml).unwrap();
    assert!(eml.contains("To: mash@testshire.gov.uk\r\n"));
    assert!(eml.contains("X-Unsent: 1"));
    // The attachment is the referral itself.
    let dir = fx.dir.parent().unwrap();
    let eml_path = dir.join("draft.eml");
    std::fs::write(&eml_path, &eml).unwrap();
    use base64::Engine;
    let b64: String = eml
        .split("Content-Type: application/pdf")
        .nth(1)
        .unwrap()
        .split("\r\n\r\n")
        .nth(1)
        .unwrap()
        .split("--=_")
        .next()
        .unwrap()
        .replace("\r\n", "");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let text = text_of(dir, "attached.pdf", &pdf);
    in_order(
        &text,
        &[
            "Referral: Zoë Nowak-Łukasiewicz",
            "1. Referrer",
            "9. Other agencies involved",
        ],
    );
}
