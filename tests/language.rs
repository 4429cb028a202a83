//! The factual-language check against committed test data: no false alarms on factual
//! sentences (precision) and a flag on every emotive one (recall).

use safeguard_core::language::check;

fn sentences(file: &str) -> Vec<String> {
    std::fs::read_to_string(format!(
        "{}/tests/data/language/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .map(str::trim)
    .filter(|l| !l.is_empty() && !l.starts_with('#'))
    .map(str::to_owned)
    .collect()
}

#[test]
fn no_false_alarms_on_factual_sentences() {
    let factual = sentences("factual.txt");
    assert!(factual.len() >= 40);
    let alarms: Vec<String> = factual
        .iter()
        .flat_map(|s| {
            check(s)
                .into_iter()
                .map(move |f| format!("{s:?}: {:?} ({})", f.matched, f.entry))
        })
        .collect();
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
}

#[test]
fn every_emotive_sentence_is_flagged() {
    let emotive = sentences("emotive.txt");
    assert!(emotive.len() >= 50);
    let missed: Vec<&String> = emotive.iter().filter(|s| check(s).is_empty()).collect();
    assert!(missed.is_empty(), "not flagged:\n{missed:#?}");
}

#[test]
fn flags_point_at_the_words_in_the_text() {
    for s in sentences("emotive.txt") {
        for f in check(&s) {
            assert_eq!(&s[f.start..f.end], f.matched);
            assert!(!f.why.is_empty() && !f.alternative.is_empty());
        }
    }
}
