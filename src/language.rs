//! The factual-language check: finds emotive, judgemental, victim-blaming and adultifying terms
//! and unlabelled opinion in what staff type, each with why it harms the record and a factual
//! alternative. The terms are data (`assets/language/lexicon.json`, with sources). Words inside
//! quotation marks — the child's own words — are never flagged. The check never blocks saving.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

const LEXICON: &str = include_str!("../assets/language/lexicon.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum LanguageCategory {
    /// Victim-blaming.
    VB,
    /// Adultifying.
    AD,
    /// Judgemental.
    JU,
    /// Minimising.
    MI,
    /// Opinion marker.
    OM,
    /// Stigmatising label.
    SL,
    /// Inaccurate legal term.
    LT,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    id: String,
    category: LanguageCategory,
    patterns: Vec<String>,
    why: String,
    alternative: String,
    sources: Vec<String>,
    sourced: bool,
}

#[derive(Debug, Deserialize)]
struct Lexicon {
    entries: Vec<Entry>,
}

/// One flagged term in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LanguageFlag {
    /// Byte offsets of the matched words in the text.
    pub start: usize,
    pub end: usize,
    pub matched: String,
    pub entry: String,
    pub category: LanguageCategory,
    pub why: String,
    pub alternative: String,
    pub sources: Vec<String>,
    /// False for terms no retrieved guidance names exactly: shown gently.
    pub sourced: bool,
}

struct Compiled {
    entry: Entry,
    regex: Regex,
}

fn compiled() -> &'static [Compiled] {
    static C: OnceLock<Vec<Compiled>> = OnceLock::new();
    C.get_or_init(|| {
        let lexicon: Lexicon =
            serde_json::from_str(LEXICON).expect("assets/language/lexicon.json is valid (tested)");
        lexicon
            .entries
            .into_iter()
            .map(|entry| {
                let alternation = entry
                    .patterns
                    .iter()
                    .map(|p| format!("(?:{p})"))
                    .collect::<Vec<_>>()
                    .join("|");
                let regex = RegexBuilder::new(&format!(r"\b(?:{alternation})\b"))
                    .case_insensitive(true)
                    .build()
                    .expect("lexicon patterns compile (tested)");
                Compiled { entry, regex }
            })
            .collect()
    })
}

/// Byte ranges inside quotation marks: straight or curly double quotes, curly single quotes, and
/// straight single quotes that open after a space or bracket (so apostrophes do not count).
pub fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let prev = if i == 0 { ' ' } else { chars[i - 1].1 };
        let close = match c {
            '"' => Some('"'),
            '\u{201C}' => Some('\u{201D}'),
            '\u{2018}' => Some('\u{2019}'),
            '\'' if prev.is_whitespace() || "([:".contains(prev) => Some('\''),
            _ => None,
        };
        if let Some(close) = close {
            let mut j = i + 1;
            let mut found = None;
            while j < chars.len() {
                let (p, ch) = chars[j];
                let next = chars.get(j + 1).map(|x| x.1).unwrap_or(' ');
                // A straight single quote closes only before a space or punctuation, not inside "didn't".
                if ch == close && (close != '\'' || !next.is_alphanumeric()) {
                    found = Some(p + ch.len_utf8());
                    break;
                }
                j += 1;
            }
            match found {
                Some(end) => {
                    spans.push((pos, end));
                    i = j + 1;
                    continue;
                }
                // An unclosed quote runs to the end: better to miss a flag than to flag a child's words.
                None => {
                    spans.push((pos, text.len()));
                    break;
                }
            }
        }
        i += 1;
    }
    spans
}

/// Flags the terms in `text` outside quotation marks, in text order.
pub fn check(text: &str) -> Vec<LanguageFlag> {
    let quoted = quoted_spans(text);
    let inside = |s: usize, e: usize| quoted.iter().any(|&(qs, qe)| s >= qs && e <= qe);
    let mut flags: Vec<LanguageFlag> = Vec::new();
    for c in compiled() {
        for m in c.regex.find_iter(text) {
            if inside(m.start(), m.end()) {
                continue;
            }
            flags.push(LanguageFlag {
                start: m.start(),
                end: m.end(),
                matched: m.as_str().to_owned(),
                entry: c.entry.id.clone(),
                category: c.entry.category,
                why: c.entry.why.clone(),
                alternative: c.entry.alternative.clone(),
                sources: c.entry.sources.clone(),
                sourced: c.entry.sourced,
            });
        }
    }
    flags.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    // Overlapping matches of several entries: keep the longest, first.
    let mut out: Vec<LanguageFlag> = Vec::new();
    for f in flags {
        if out.last().is_none_or(|l| f.start >= l.end) {
            out.push(f);
        }
    }
    out
}

/// How many entries the lexicon has (for documentation and tests).
pub fn lexicon_size() -> usize {
    compiled().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_parses_and_every_pattern_compiles() {
        assert!(lexicon_size() >= 45);
        for c in compiled() {
            assert!(!c.entry.sources.is_empty(), "{} has a source", c.entry.id);
            assert!(!c.entry.why.is_empty() && !c.entry.alternative.is_empty());
        }
    }

    #[test]
    fn flags_carry_why_and_an_alternative() {
        let f = check("She is putting herself at risk by going to the park.");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].matched, "putting herself at risk");
        assert_eq!(f[0].category, LanguageCategory::VB);
        assert!(f[0].alternative.contains("at risk of exploitation"));
    }

    #[test]
    fn the_childs_quoted_words_are_never_flagged() {
        assert!(check("Ava said \"my boyfriend is 19 and I'm streetwise\".").is_empty());
        assert!(check("Liam said “I was obviously scared”.").is_empty());
        assert!(check("She said 'he always shouts' and cried.").is_empty());
        // An apostrophe is not a quotation mark.
        assert_eq!(check("She didn't go; she's streetwise.").len(), 1);
    }

    #[test]
    fn overlapping_entries_give_one_flag() {
        let f = check("He was obviously lying about the bruise.");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].entry, "lying");
    }

    #[test]
    fn quoted_spans_handle_unclosed_quotes() {
        let t = "She said \"I don't want to go home";
        assert_eq!(quoted_spans(t), vec![(9, t.len())]);
    }
}
