//! The words the window shows for the core's closed sets — concern categories, record kinds,
//! roles, protection statuses — with their stored values, in the order they are offered. The UI
//! renders these instead of keeping its own label tables, so a new category is one edit here.

use serde::Serialize;
use ts_rs::TS;

use crate::records::{Category, ProtectionStatus, RecordKind, Role};

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
    }
}
