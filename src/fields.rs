//! Amending a field as a person types it: which fields of each record kind can be corrected in a
//! text box, what they are called, and how typed text becomes the stored value (UK dates and
//! times, yes/no, "not known"). Fields that are lists or choices (categories, body marks,
//! consent) are amended through their own controls, not here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::kinds::{Amend, Field};
use crate::records::RecordKind;
use crate::time::{display_date, display_london, parse_london_local, parse_uk_date};

/// How a field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldType {
    /// Text, kept as typed (the record's own rules say whether it may be empty).
    Text,
    /// Empty means "not known".
    OptionalText,
    /// `dd/mm/yyyy HH:MM`, UK time.
    DateTime,
    /// `dd/mm/yyyy`.
    Date,
    /// `dd/mm/yyyy`, or empty for "not known".
    OptionalDate,
    /// Yes or no.
    YesNo,
    /// Yes, no, or empty for "not known".
    YesNoUnknown,
    /// One of `options` (its value).
    Choice,
    /// Any of `options`, values separated by commas; at least one.
    Choices,
    /// The body map's marks (corrected with the body map, not by typing).
    BodyMarks,
    /// The id of another record (shown by the record it names).
    Link,
}

/// One option of a choice field: the stored value and what a person reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldOption {
    pub value: String,
    pub label: String,
}

/// One field a person can correct, with its value as they would type it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldView {
    pub field: String,
    pub label: String,
    pub field_type: FieldType,
    pub current: String,
    /// For choice fields: the values allowed.
    pub options: Vec<FieldOption>,
}

/// The fields of a kind that can be corrected by typing, in form order.
pub(crate) fn typed_fields(kind: RecordKind) -> impl Iterator<Item = &'static Field> {
    kind.fields().iter().filter(|f| f.amend == Amend::Typed)
}

/// The definition of one typed field, or an input error naming it.
pub(crate) fn spec(kind: RecordKind, field: &str) -> Result<&'static Field> {
    typed_fields(kind)
        .find(|f| f.name == field)
        .ok_or(Error::invalid("field", "cannot be amended by typing"))
}

/// The options of a choice field (empty for other fields).
pub fn options(kind: RecordKind, field: &str) -> Vec<FieldOption> {
    crate::kinds::with_body!(kind, T => <T as crate::kinds::Body>::options(field))
}

/// Converts a typed choice (or comma-separated choices) into the stored value.
pub fn choice_value(
    kind: RecordKind,
    field: &str,
    field_type: FieldType,
    typed: &str,
) -> Result<Value> {
    let allowed = options(kind, field);
    let check = |v: &str| -> Result<Value> {
        allowed
            .iter()
            .find(|o| o.value == v.trim())
            .map(|o| Value::String(o.value.clone()))
            .ok_or(Error::invalid("value", "is not one of the choices"))
    };
    match field_type {
        FieldType::Choice => check(typed),
        FieldType::Choices => {
            let chosen: Vec<Value> = typed
                .split(',')
                .filter(|v| !v.trim().is_empty())
                .map(check)
                .collect::<Result<_>>()?;
            if chosen.is_empty() {
                return Err(Error::invalid("value", "choose at least one"));
            }
            Ok(Value::Array(chosen))
        }
        other => typed_value(other, typed),
    }
}

fn yes_no(typed: &str) -> Option<Option<bool>> {
    match typed.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" => Some(Some(true)),
        "no" | "n" | "false" => Some(Some(false)),
        "" | "not known" | "unknown" => Some(None),
        _ => None,
    }
}

/// Turns what was typed into the stored JSON value (validated again by the record's own rules).
pub fn typed_value(field_type: FieldType, typed: &str) -> Result<Value> {
    let trimmed = typed.trim();
    Ok(match field_type {
        FieldType::Text => Value::String(typed.to_owned()),
        FieldType::OptionalText if trimmed.is_empty() => Value::Null,
        FieldType::OptionalText => Value::String(typed.to_owned()),
        FieldType::DateTime => {
            let t: DateTime<Utc> = parse_london_local("value", typed)?;
            serde_json::to_value(t)?
        }
        FieldType::OptionalDate if trimmed.is_empty() => Value::Null,
        FieldType::Date | FieldType::OptionalDate => {
            let d: NaiveDate = parse_uk_date("value", typed)?;
            serde_json::to_value(d)?
        }
        FieldType::YesNo => match yes_no(typed) {
            Some(Some(b)) => Value::Bool(b),
            _ => return Err(Error::invalid("value", "must be yes or no")),
        },
        FieldType::YesNoUnknown => match yes_no(typed) {
            Some(v) => v.map_or(Value::Null, Value::Bool),
            None => {
                return Err(Error::invalid(
                    "value",
                    "must be yes, no or empty (not known)",
                ));
            }
        },
        FieldType::Choice | FieldType::Choices => {
            return Err(Error::invalid("value", "is a choice: pick from the list"));
        }
        FieldType::BodyMarks | FieldType::Link => {
            return Err(Error::invalid("field", "cannot be amended by typing"));
        }
    })
}

/// A stored value as a person would type it.
pub fn display_value(field_type: FieldType, v: &Value) -> String {
    match (field_type, v) {
        (_, Value::Null) => String::new(),
        (FieldType::DateTime, Value::String(s)) => s
            .parse::<DateTime<Utc>>()
            .map(display_london)
            .unwrap_or_else(|_| s.clone()),
        (FieldType::Date | FieldType::OptionalDate, Value::String(s)) => s
            .parse::<NaiveDate>()
            .map(display_date)
            .unwrap_or_else(|_| s.clone()),
        (_, Value::Bool(true)) => "yes".into(),
        (_, Value::Bool(false)) => "no".into(),
        (FieldType::Choices, Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(","),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A stored value as a person reads it in a record or a document: choices by their label,
/// dates and times in UK form, yes or no, and "Not known" for what was not known.
pub(crate) fn shown_value(field_type: FieldType, v: &Value, options: &[FieldOption]) -> String {
    let label = |s: &str| {
        options
            .iter()
            .find(|o| o.value == s)
            .map_or_else(|| s.to_owned(), |o| o.label.clone())
    };
    match (field_type, v) {
        (_, Value::Null) => NOT_KNOWN.into(),
        (FieldType::Text, Value::String(s)) if s.trim().is_empty() => "Not recorded".into(),
        (FieldType::Choice, Value::String(s)) => label(s),
        (FieldType::Choices, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join(", "),
        (FieldType::BodyMarks, Value::Array(marks)) if marks.is_empty() => "None".into(),
        (FieldType::BodyMarks, Value::Array(marks)) => marks
            .iter()
            .enumerate()
            .map(|(i, m)| {
                format!(
                    "{}. ({}) {}",
                    i + 1,
                    m["side"].as_str().unwrap_or(""),
                    m["description"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        (_, Value::Bool(true)) => "Yes".into(),
        (_, Value::Bool(false)) => "No".into(),
        _ => display_value(field_type, v),
    }
}

/// What a document and the window say for a value nobody knew.
pub const NOT_KNOWN: &str = "Not known";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uk_dates_and_times_become_stored_values() {
        assert_eq!(
            typed_value(FieldType::DateTime, "01/07/2026 09:30").unwrap(),
            Value::String("2026-07-01T08:30:00Z".into())
        );
        assert_eq!(
            typed_value(FieldType::Date, "29/02/2028").unwrap(),
            Value::String("2028-02-29".into())
        );
        let err = typed_value(FieldType::Date, "29/02/2027").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn choices_accept_only_their_options() {
        assert_eq!(
            choice_value(
                RecordKind::Pupil,
                "protection_status",
                FieldType::Choice,
                "child_protection_plan"
            )
            .unwrap(),
            Value::String("child_protection_plan".into())
        );
        assert!(
            choice_value(
                RecordKind::Pupil,
                "protection_status",
                FieldType::Choice,
                "cp"
            )
            .is_err()
        );
        assert_eq!(
            choice_value(
                RecordKind::Concern,
                "categories",
                FieldType::Choices,
                "neglect, attendance"
            )
            .unwrap(),
            serde_json::json!(["neglect", "attendance"])
        );
        assert!(
            choice_value(RecordKind::Concern, "categories", FieldType::Choices, " , ").is_err()
        );
        for kind in [
            RecordKind::Pupil,
            RecordKind::Concern,
            RecordKind::Encompass,
            RecordKind::Referral,
        ] {
            for f in typed_fields(kind) {
                if matches!(f.ty, FieldType::Choice | FieldType::Choices) {
                    assert!(
                        !options(kind, f.name).is_empty(),
                        "{kind:?}.{} has options",
                        f.name
                    );
                }
            }
        }
    }

    #[test]
    fn yes_no_and_not_known() {
        assert_eq!(
            typed_value(FieldType::YesNo, "Yes").unwrap(),
            Value::Bool(true)
        );
        assert!(typed_value(FieldType::YesNo, "").is_err());
        assert_eq!(
            typed_value(FieldType::YesNoUnknown, "").unwrap(),
            Value::Null
        );
        assert!(typed_value(FieldType::YesNoUnknown, "maybe").is_err());
        assert_eq!(
            typed_value(FieldType::OptionalText, "  ").unwrap(),
            Value::Null
        );
    }

    proptest! {
        #[test]
        fn displayed_values_type_back_to_the_same_value(
            minutes in 0i64..(60 * 24 * 365 * 30),
            days in 0i64..(365 * 80),
            b in any::<bool>(),
        ) {
            let t = DateTime::<Utc>::from_timestamp(946_684_800 + minutes * 60, 0).unwrap();
            let d = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days(days);
            for (ft, v) in [
                (FieldType::DateTime, serde_json::to_value(t).unwrap()),
                (FieldType::Date, serde_json::to_value(d).unwrap()),
                (FieldType::YesNo, Value::Bool(b)),
            ] {
                let shown = display_value(ft, &v);
                let back = typed_value(ft, &shown).unwrap();
                // An instant in the hour the clocks go back displays the same as the one an
                // hour earlier; typing it back takes the earlier (documented) instant.
                if ft == FieldType::DateTime {
                    let a: DateTime<Utc> = serde_json::from_value(v.clone()).unwrap();
                    let b: DateTime<Utc> = serde_json::from_value(back).unwrap();
                    prop_assert!(a == b || a - b == chrono::Duration::hours(1));
                } else {
                    prop_assert_eq!(back, v);
                }
            }
        }
    }
}
