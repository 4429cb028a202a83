//! PDFs read the way a reader would: written like the app does, checked with `qpdf`, fonts
//! embedded as subsets, the text extracted with `pdftotext`.

use std::path::Path;
use std::process::Command;

pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (scripts/setup.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes the PDF like the app does and returns its text (raw order, no layout columns).
pub fn text_of(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    safeguard_core::pdf::save_to(&path, bytes).unwrap();
    // To look at the pages (`pdftoppm`): SGD_KEEP_PDFS=<folder> keeps a copy of each.
    if let Some(keep) = std::env::var_os("SGD_KEEP_PDFS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&path, Path::new(&keep).join(name)).unwrap();
    }
    let p = path.to_str().unwrap();
    let check = tool("qpdf", &["--check", p]);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    // The metadata (shown by file managers and mail clients) names no child: only the fixed title.
    let info = tool("pdfinfo", &[p]);
    let title = info.lines().find(|l| l.starts_with("Title:")).unwrap_or("");
    assert!(
        title.ends_with(safeguard_core::pdf::METADATA_TITLE),
        "{info}"
    );
    let fonts = tool("pdffonts", &[p]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts: {fonts}");
    for r in rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        assert!(
            cols[0].contains('+') && cols[0].contains("DejaVuSans"),
            "subset DejaVu: {r}"
        );
        let n = cols.len();
        assert_eq!(
            (cols[n - 5], cols[n - 4]),
            ("yes", "yes"),
            "embedded subset: {r}"
        );
    }
    tool("pdftotext", &["-raw", p, "-"])
}

/// Asserts the needles appear in `hay` in this order (line breaks count as spaces: a wrapped
/// cell reads on).
pub fn in_order(hay: &str, needles: &[&str]) {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let hay = squash(hay);
    let mut from = 0;
    for n in needles {
        let n = &squash(n);
        match hay[from..].find(n.as_str()) {
            Some(i) => from += i + n.len(),
            None => panic!("{n:?} missing or out of order after byte {from} in:\n{hay}"),
        }
    }
}
