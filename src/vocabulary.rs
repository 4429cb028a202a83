//! The words the window shows for the core's closed sets — concern categories, record kinds,
//! roles, protection statuses, the referral's and the decision's choices, the body map's sides,
//! the pupil list's status flags — with their stored values, in the order they are offered. The
//! UI renders these instead of keeping its own label tables, so a new choice is one edit here
//! and the window, the PDFs and the amend form all read the same word.

use serde::Serialize;
use ts_rs::TS;

use crate::fields::NOT_KNOWN;
use crate::kinds::concern::BodySide;
use crate::kinds::referral::{Agency, Consent, DecisionOutcome, ReferralMethod};
use crate::records::{Category, ProtectionStatus, RecordKind, Role};
use crate::session::StatusFlag;

/// A stored value and what a person reads for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Labelled<T> {
    pub value: T,
    pub label: String,
}

fn labelled<T: Copy>(all: &[T], label: impl Fn(T) -> &'static str) -> Vec<Labelled<T>> {
    all.iter()
        .map(|&value| Labelled {
            value,
            label: label(value).to_owned(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Vocabulary {
    pub categories: Vec<Labelled<Category>>,
    /// Every kind (search results name any of them).
    pub record_kinds: Vec<Labelled<RecordKind>>,
    /// The kinds a chronology lists, in the filter's order.
    pub chronology_kinds: Vec<RecordKind>,
    pub roles: Vec<Labelled<Role>>,
    pub protection_statuses: Vec<Labelled<ProtectionStatus>>,
    /// The same statuses as a list of pupils shows them ("CP plan"; none is blank).
    pub protection_statuses_short: Vec<Labelled<ProtectionStatus>>,
    pub agencies: Vec<Labelled<Agency>>,
    pub referral_methods: Vec<Labelled<ReferralMethod>>,
    pub consents: Vec<Labelled<Consent>>,
    /// A yes / no that may not be known (a referral's "parents aware"), not known first.
    pub yes_no_unknown: Vec<Labelled<Option<bool>>>,
    pub decision_outcomes: Vec<Labelled<DecisionOutcome>>,
    pub body_sides: Vec<Labelled<BodySide>>,
    pub status_flags: Vec<Labelled<StatusFlag>>,
}

/// How a yes / no that may not be known reads, as everywhere it is shown.
pub fn yes_no_unknown(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "Yes",
        Some(false) => "No",
        None => NOT_KNOWN,
    }
}

impl Vocabulary {
    pub fn get() -> Vocabulary {
        Vocabulary {
            categories: labelled(&Category::ALL, Category::label),
            record_kinds: labelled(&RecordKind::ALL, RecordKind::label),
            chronology_kinds: RecordKind::IN_CHRONOLOGY.to_vec(),
            roles: labelled(&Role::ALL, Role::label),
            protection_statuses: labelled(&ProtectionStatus::ALL, ProtectionStatus::label),
            protection_statuses_short: labelled(
                &ProtectionStatus::ALL,
                ProtectionStatus::short_label,
            ),
            agencies: labelled(&Agency::ALL, Agency::label),
            referral_methods: labelled(&ReferralMethod::ALL, ReferralMethod::label),
            consents: labelled(&Consent::ALL, Consent::label),
            yes_no_unknown: labelled(&[None, Some(true), Some(false)], yes_no_unknown),
            decision_outcomes: labelled(&DecisionOutcome::ALL, DecisionOutcome::label),
            body_sides: labelled(&BodySide::ALL, BodySide::label),
            status_flags: labelled(&StatusFlag::ALL, StatusFlag::label),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_of_each_set_has_one_label() {
        let v = Vocabulary::get();
        assert_eq!(v.categories.len(), Category::ALL.len());
        assert_eq!(v.record_kinds.len(), RecordKind::ALL.len());
        let labels: std::collections::BTreeSet<&str> =
            v.categories.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels.len(),
            v.categories.len(),
            "two categories read the same"
        );
        assert!(
            v.chronology_kinds
                .iter()
                .all(|k| RecordKind::ALL.contains(k))
        );
        assert_eq!(v.agencies.len(), Agency::ALL.len());
        assert_eq!(v.referral_methods.len(), ReferralMethod::ALL.len());
        assert_eq!(v.consents.len(), Consent::ALL.len());
        assert_eq!(v.decision_outcomes.len(), DecisionOutcome::ALL.len());
        assert_eq!(v.body_sides.len(), BodySide::ALL.len());
        assert_eq!(v.status_flags.len(), StatusFlag::ALL.len());
        assert_eq!(v.yes_no_unknown.len(), 3);
    }

    /// The UI's component tests render with the core's own words: this writes them beside the
    /// generated types (on `cargo test`, as ts-rs writes those), and scripts/test.sh fails when
    /// the committed copy is out of date.
    #[test]
    fn the_ui_tests_have_the_cores_vocabulary() {
        let dir = std::path::Path::new(env!("TS_RS_EXPORT_DIR"));
        let json = serde_json::to_string_pretty(&Vocabulary::get()).unwrap() + "\n";
        let path = dir.join("vocabulary.json");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
            std::fs::write(&path, &json).unwrap();
        }
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["body_sides"][0]["label"], "Front");
    }

    /// Each set offered as a choice lists every value once, and two never read the same.
    #[test]
    fn each_choice_offers_every_variant_once_with_its_own_words() {
        fn distinct<T: PartialEq + std::fmt::Debug>(what: &str, l: &[Labelled<T>]) {
            for (i, a) in l.iter().enumerate() {
                for b in &l[i + 1..] {
                    assert_ne!(a.value, b.value, "{what}: a value offered twice");
                    assert_ne!(a.label, b.label, "{what}: two values read the same");
                }
            }
        }
        let v = Vocabulary::get();
        distinct("agencies", &v.agencies);
        distinct("methods", &v.referral_methods);
        distinct("consents", &v.consents);
        distinct("parents aware", &v.yes_no_unknown);
        distinct("outcomes", &v.decision_outcomes);
        distinct("sides", &v.body_sides);
        distinct("flags", &v.status_flags);
        let flags = serde_json::to_value(&v.status_flags).unwrap();
        assert_eq!(flags[0]["value"], "any_plan");
    }
}
