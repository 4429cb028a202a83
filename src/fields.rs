//! Amending a field as a person types it: which fields of each record kind can be corrected in a
//! text box, what they are called, and how typed text becomes the stored value (UK dates and
//! times, yes/no, "not known"). Fields that are lists or choices (categories, body marks,
//! consent) are amended through their own controls, not here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Result};
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

type Spec = (&'static str, &'static str, FieldType);

/// The typed fields of each kind, in form order (a subset of `RecordKind::amendable_fields`).
pub fn typed_fields(kind: RecordKind) -> &'static [Spec] {
    use FieldType::*;
    match kind {
        RecordKind::Pupil => &[
            ("legal_first_name", "Legal first name", Text),
            ("legal_last_name", "Legal last name", Text),
            ("preferred_name", "Preferred name", OptionalText),
            ("date_of_birth", "Date of birth", Date),
            ("gender", "Gender", Text),
            ("year_group", "Year group", Text),
            ("class_name", "Class", OptionalText),
            ("address", "Address", OptionalText),
            ("ethnicity", "Ethnicity", OptionalText),
            ("religion", "Religion or faith", OptionalText),
            ("first_language", "First language", OptionalText),
            ("interpreter_needed", "Interpreter needed", YesNo),
            ("sen_disability", "SEN or disability", OptionalText),
            ("protection_status", "Plan (early help, CIN, CP)", Choice),
            ("looked_after", "Looked after", YesNo),
            ("young_carer", "Young carer", YesNo),
            ("attendance_concern", "Attendance concern", YesNo),
            (
                "identity_notes",
                "Identity, culture and faith",
                OptionalText,
            ),
            ("gp", "GP", OptionalText),
            ("nhs_number", "NHS number", OptionalText),
        ],
        RecordKind::Household => &[
            ("name", "Household", Text),
            ("address", "Address", OptionalText),
        ],
        RecordKind::HouseholdMember => &[
            (
                "full_name",
                "Full name (empty for a pupil here)",
                OptionalText,
            ),
            ("relationship", "Relationship to the child", Text),
            ("date_of_birth", "Date of birth", OptionalDate),
            ("parental_responsibility", "Parental responsibility", YesNo),
            ("lives_in_household", "Lives in the household", YesNo),
            ("school_or_setting", "School or setting", OptionalText),
            ("known_risks", "Known risks", OptionalText),
            ("contact", "Contact details", OptionalText),
        ],
        RecordKind::Concern => &[
            ("observed_at", "Seen or heard at", DateTime),
            ("reporter_name", "Reported by", Text),
            ("reporter_role", "Reporter's role", Text),
            ("location", "Where", Text),
            ("categories", "Categories", Choices),
            ("account", "What was seen and heard", Text),
            ("child_words", "The child's own words", OptionalText),
            ("immediate_action", "Action taken at once", Text),
        ],
        RecordKind::Encompass => &[
            ("police_force", "Police force", Text),
            ("officer", "Officer", Text),
            ("police_reference", "Police reference", Text),
            ("incident_at", "Incident at", DateTime),
            ("incident_location", "Incident location", Text),
            ("circumstances", "Circumstances", Text),
            ("other_information", "Other information", OptionalText),
            ("support", "Support in school", Choice),
        ],
        RecordKind::EncompassChild => &[
            ("present", "Present during the incident", YesNoUnknown),
            ("where_during", "Where the child was", OptionalText),
            ("spoken_to", "Spoken to by the police", YesNoUnknown),
            ("what_they_said", "What the child said", OptionalText),
        ],
        RecordKind::Voice => &[
            ("spoken_at", "Spoken at", DateTime),
            ("words", "The child's words", Text),
            ("wishes", "Wishes", OptionalText),
            ("feelings", "Feelings", OptionalText),
            ("non_verbal", "Non-verbal signs", OptionalText),
            ("who_was_present", "Who was present", Text),
            ("context", "Context", OptionalText),
        ],
        RecordKind::FollowUp => &[("action", "Action", Text)],
        RecordKind::Referral => &[
            ("agency_name", "Agency name", OptionalText),
            ("method", "How it was made", Choice),
            ("reference", "Reference", OptionalText),
            ("contact_name", "Contact", OptionalText),
            ("parents_aware", "Parents aware", YesNoUnknown),
            ("consent", "Consent", Choice),
            ("no_consent_reason", "Why without consent", OptionalText),
            ("child_view", "The child's view", OptionalText),
            ("what_was_shared", "What was shared", Text),
            (
                "written_confirmation_sent_on",
                "Written confirmation sent on",
                OptionalDate,
            ),
        ],
        RecordKind::Decision => &[
            ("decided_by", "Decided by", OptionalText),
            ("notes", "Notes", Text),
        ],
        RecordKind::Escalation => &[
            ("agency", "Agency", Text),
            ("subject", "What the disagreement is about", Text),
        ],
        RecordKind::EscalationStage => &[
            ("with_name", "Raised with", Text),
            ("with_role", "Their role", Text),
            ("with_agency", "Their agency", Text),
            ("disagreement", "The disagreement", Text),
            ("evidence", "Evidence", Text),
        ],
        RecordKind::EscalationEvent => &[("text", "Text", Text)],
    }
}

/// The spec of one typed field, or an input error naming it.
pub fn spec(kind: RecordKind, field: &str) -> Result<Spec> {
    typed_fields(kind)
        .iter()
        .find(|(name, _, _)| *name == field)
        .copied()
        .ok_or(Error::invalid("field", "cannot be amended by typing"))
}

/// The options of a choice field (empty for other fields).
pub fn options(kind: RecordKind, field: &str) -> Vec<FieldOption> {
    fn of<T: Serialize + Copy>(all: &[(T, &str)]) -> Vec<FieldOption> {
        all.iter()
            .map(|(v, label)| FieldOption {
                value: serde_json::to_value(v)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: (*label).to_owned(),
            })
            .collect()
    }
    use crate::records::{
        Category, Consent, ProtectionStatus as P, ReferralMethod as M, SupportType as S,
    };
    match (kind, field) {
        (RecordKind::Pupil, "protection_status") => of(&[
            (P::None, "None"),
            (P::EarlyHelp, "Early help"),
            (P::ChildInNeed, "Child in need plan"),
            (P::ChildProtectionPlan, "Child protection plan"),
        ]),
        (RecordKind::Concern, "categories") => Category::ALL
            .iter()
            .map(|c| FieldOption {
                value: serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: c.label().to_owned(),
            })
            .collect(),
        (RecordKind::Encompass, "support") => {
            of(&[(S::Silent, "Silent support"), (S::Overt, "Overt support")])
        }
        (RecordKind::Referral, "method") => of(&[
            (M::Phone, "Phone"),
            (M::Email, "Email"),
            (M::Portal, "Online portal"),
            (M::InPerson, "In person"),
            (M::Letter, "Letter"),
        ]),
        (RecordKind::Referral, "consent") => of(&[
            (Consent::Given, "Given"),
            (Consent::Refused, "Refused"),
            (Consent::NotSought, "Not sought"),
        ]),
        _ => Vec::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_typed_field_is_amendable() {
        for kind in [
            RecordKind::Pupil,
            RecordKind::Household,
            RecordKind::HouseholdMember,
            RecordKind::Concern,
            RecordKind::Encompass,
            RecordKind::EncompassChild,
            RecordKind::Voice,
            RecordKind::FollowUp,
            RecordKind::Referral,
            RecordKind::Decision,
            RecordKind::Escalation,
            RecordKind::EscalationStage,
            RecordKind::EscalationEvent,
        ] {
            for (field, _, _) in typed_fields(kind) {
                assert!(
                    kind.amendable_fields().contains(field),
                    "{kind:?}.{field} is offered but not amendable"
                );
            }
        }
    }

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
            for (field, _, ft) in typed_fields(kind) {
                if matches!(ft, FieldType::Choice | FieldType::Choices) {
                    assert!(
                        !options(kind, field).is_empty(),
                        "{kind:?}.{field} has options"
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
