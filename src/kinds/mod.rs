//! One definition per record kind. Each file here holds a kind's body (the narrative part stored
//! as JSON in its table's `body` column), its validation, and its [`Body`] declaration: where it
//! is stored, its schema version, every field with its label, how it is typed and whether it may
//! be amended, its choices and its search text. Everything else — amendments, the correction
//! form, documents, the chronology's field list — is derived from that declaration, and the only
//! way to read a stored body is [`current`], which applies its amendments.
//!
//! A kind a child's chronology lists also implements [`InChronology`]: how its entry reads.
//!
//! Adding a kind: a file here, an arm in [`with_body!`] and a `RecordKind` variant; the rest
//! (a migration, the write, its chronology source) is in ARCHITECTURE.md's checklist.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fields::{FieldOption, FieldType};
use crate::records::{Category, RecordKind, Validate};
use crate::session::AmendmentView;

pub mod concern;
pub mod encompass;
pub mod escalation;
pub mod follow_up;
pub mod household;
pub mod pupil;
pub mod referral;
pub mod voice;

/// How a field may be corrected once saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amend {
    /// Never: a link, a time a due date was worked out from, or a value the core sets.
    No,
    /// By typing it again in the correction form (converted by `fields::typed_value`).
    Typed,
    /// As JSON through its own control (a list such as the body map).
    Control,
}

/// One field of a kind's body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub amend: Amend,
}

pub(crate) const fn field(
    name: &'static str,
    label: &'static str,
    ty: FieldType,
    amend: Amend,
) -> Field {
    Field {
        name,
        label,
        ty,
        amend,
    }
}

/// Where a kind is stored: its table, and SQL expressions for its author and its pupil.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    pub author: &'static str,
    pub pupil: &'static str,
}

/// A record kind's body, declared once.
pub(crate) trait Body: Serialize + DeserializeOwned + Validate {
    const KIND: RecordKind;
    /// What the records of this kind are called together (a filter, a search result).
    const LABEL: &'static str;
    /// The version written into every stored body; a body without one is version 1.
    const VERSION: u32;
    const TABLE: Table;
    /// Every field of the struct, in the order a person reads them (a test checks the names
    /// against the struct's own).
    const FIELDS: &'static [Field];

    /// The choices of a choice field (`FieldType::Choice` and `Choices`).
    fn options(_field: &str) -> Vec<FieldOption> {
        Vec::new()
    }

    /// The text the search index holds for this body.
    fn search_text(&self) -> Vec<Option<&str>>;

    /// Turns a body (and the amendments made of it) at version `from` into version `from + 1`,
    /// as JSON: [`current`] calls it step by step, so each step is written once and kept.
    fn upgrade(body: Value, from: u32) -> Result<Value> {
        let _ = from;
        Ok(body)
    }
}

/// What one record says as an entry of a child's chronology (its fields are listed from the
/// kind's `FIELDS`, unless `lists_fields` is false).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// When it happened (observed, spoken, received, made), not when it was typed.
    pub at: DateTime<Utc>,
    pub title: String,
    pub text: String,
    /// The child's own words, verbatim, where the record holds them.
    pub child_words: Option<String>,
    pub categories: Vec<Category>,
    /// Where the record stands (a follow-up open or completed).
    pub status: Option<String>,
    /// False where the entry shows only that the child was named in another child's record.
    pub lists_fields: bool,
}

impl Line {
    pub(crate) fn new(at: DateTime<Utc>, title: impl Into<String>, text: impl Into<String>) -> Line {
        Line {
            at,
            title: title.into(),
            text: text.into(),
            child_words: None,
            categories: Vec::new(),
            status: None,
            lists_fields: true,
        }
    }
}

/// A kind a child's chronology lists, and how its entry reads, declared with the kind.
/// `Context` is what the chronology reads beside the record: the notification a child's part
/// belongs to, a follow-up's due date and completion, an escalation stage's number.
pub(crate) trait InChronology: Body {
    type Context<'a>;

    /// The entry of this record (its current view) that was recorded at `recorded_at`.
    fn line(&self, recorded_at: DateTime<Utc>, context: Self::Context<'_>) -> Result<Line>;
}

/// The body of an event row that is not a record kind of its own and is never amended (a
/// follow-up completed or handed over, a member leaving a household): versioned like a
/// record's body, and read only through [`read_event`].
pub(crate) trait EventBody: Serialize + DeserializeOwned {
    /// What it is, for the error when a newer version wrote it.
    const WHAT: &'static str;
    const VERSION: u32;

    /// As [`Body::upgrade`]: version `from` to `from + 1`.
    fn upgrade(body: Value, from: u32) -> Result<Value> {
        let _ = from;
        Ok(body)
    }
}

/// An event body as stored: its JSON with its schema version.
pub(crate) fn encode_event<T: EventBody>(body: &T) -> Result<String> {
    with_version(body, T::VERSION)
}

/// A stored event body at this build's version.
pub(crate) fn read_event<T: EventBody>(stored: &str) -> Result<T> {
    let mut v: Value = serde_json::from_str(stored)?;
    let mut version = take_version(&mut v, T::WHAT, T::VERSION)?;
    while version < T::VERSION {
        v = T::upgrade(v, version)?;
        version += 1;
    }
    Ok(serde_json::from_value(v)?)
}

/// The key holding a stored body's schema version.
pub(crate) const VERSION_KEY: &str = "schema_version";

/// A body as stored: its JSON with its schema version.
pub(crate) fn encode<T: Body>(body: &T) -> Result<String> {
    with_version(body, T::VERSION)
}

fn with_version<T: Serialize>(body: &T, version: u32) -> Result<String> {
    let mut v = serde_json::to_value(body).map_err(|_| encoding())?;
    v.as_object_mut()
        .ok_or_else(encoding)?
        .insert(VERSION_KEY.into(), version.into());
    serde_json::to_string(&v).map_err(|_| encoding())
}

/// Removes a stored body's schema version and returns it (1 when it has none), refusing one
/// this build is too old to read.
fn take_version(v: &mut Value, what: &str, newest: u32) -> Result<u32> {
    let obj = v.as_object_mut().ok_or_else(|| Error::Internal {
        detail: "a stored record body is not an object".into(),
    })?;
    let version = match obj.remove(VERSION_KEY) {
        None => 1,
        Some(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::Internal {
                detail: "a stored record body has a malformed schema version".into(),
            })?,
    };
    newer_check(version, what, newest)?;
    Ok(version)
}

fn newer_check(version: u32, what: &str, newest: u32) -> Result<()> {
    if version > newest {
        return Err(Error::Internal {
            detail: format!("a {what} record was written by a newer version of Safeguard Desk"),
        });
    }
    Ok(())
}

fn encoding() -> Error {
    Error::Internal {
        detail: "record encoding".into(),
    }
}

/// A stored body as JSON, at this build's version, with its amendments applied in order.
///
/// An amendment names a field of the body as it was at the amendment's own schema version: the
/// body is brought to that version before it is applied, and to this build's after the last.
pub(crate) fn current_json<T: Body>(stored: &str, amendments: &[AmendmentView]) -> Result<Value> {
    let what = T::KIND.as_str();
    let mut v: Value = serde_json::from_str(stored)?;
    let mut version = take_version(&mut v, what, T::VERSION)?;
    let upgrade_to = |v: &mut Value, version: &mut u32, to: u32| -> Result<()> {
        while *version < to {
            *v = T::upgrade(std::mem::take(v), *version)?;
            *version += 1;
        }
        Ok(())
    };
    for a in amendments {
        newer_check(a.schema_version, what, T::VERSION)?;
        if a.schema_version < version {
            // Only a build too old to read the body could have made it: never applied blind.
            return Err(Error::Internal {
                detail: format!(
                    "a {what} amendment names a field of an older version of its record"
                ),
            });
        }
        upgrade_to(&mut v, &mut version, a.schema_version)?;
        v.as_object_mut()
            .ok_or_else(|| Error::Internal {
                detail: "a stored record body is not an object".into(),
            })?
            .insert(a.field.clone(), a.value.clone());
    }
    upgrade_to(&mut v, &mut version, T::VERSION)?;
    Ok(v)
}

/// The current view of a stored body: the only way the core reads one.
pub(crate) fn current<T: Body>(stored: &str, amendments: &[AmendmentView]) -> Result<T> {
    Ok(serde_json::from_value(current_json::<T>(
        stored, amendments,
    )?)?)
}

/// Runs `$e` with `$T` the body type of `$kind`: the one registration of every kind.
macro_rules! with_body {
    ($kind:expr, $T:ident => $e:expr) => {{
        use $crate::records::RecordKind as K;
        match $kind {
            K::Pupil => {
                type $T = $crate::kinds::pupil::PupilDetails;
                $e
            }
            K::Household => {
                type $T = $crate::kinds::household::HouseholdDetails;
                $e
            }
            K::HouseholdMember => {
                type $T = $crate::kinds::household::MemberDetails;
                $e
            }
            K::Concern => {
                type $T = $crate::kinds::concern::ConcernDetails;
                $e
            }
            K::Encompass => {
                type $T = $crate::kinds::encompass::EncompassDetails;
                $e
            }
            K::EncompassChild => {
                type $T = $crate::kinds::encompass::EncompassChild;
                $e
            }
            K::Voice => {
                type $T = $crate::kinds::voice::VoiceDetails;
                $e
            }
            K::FollowUp => {
                type $T = $crate::kinds::follow_up::FollowUpDetails;
                $e
            }
            K::Referral => {
                type $T = $crate::kinds::referral::ReferralDetails;
                $e
            }
            K::Decision => {
                type $T = $crate::kinds::referral::DecisionDetails;
                $e
            }
            K::Escalation => {
                type $T = $crate::kinds::escalation::EscalationDetails;
                $e
            }
            K::EscalationStage => {
                type $T = $crate::kinds::escalation::StageDetails;
                $e
            }
            K::EscalationEvent => {
                type $T = $crate::kinds::escalation::EscalationEventDetails;
                $e
            }
        }
    }};
}
pub(crate) use with_body;

/// The options of an enum, from its values and labels.
pub(crate) fn options_of<T: Serialize + Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
) -> Vec<FieldOption> {
    all.iter()
        .map(|v| FieldOption {
            value: serde_json::to_value(v)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            label: label(*v).to_owned(),
        })
        .collect()
}

/// One field as a person reads it in a record: its label and its value (choices by their label,
/// dates and times in UK form, "Not known" for what was not known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ShownField {
    pub label: String,
    pub value: String,
}

/// The labels of every field a record of `kind` shows, in its order (links excluded): what the
/// tests look for in each document.
#[cfg(any(test, feature = "internals"))]
pub fn shown_labels(kind: RecordKind) -> Vec<&'static str> {
    kind.fields()
        .iter()
        .filter(|f| f.ty != FieldType::Link)
        .map(|f| f.label)
        .collect()
}

/// Every field of a record as a person reads it, in the kind's order. Links to other records
/// are shown by the record they name, not here.
pub(crate) fn shown_fields<T: Body>(body: &T) -> Result<Vec<ShownField>> {
    Ok(shown_fields_of::<T>(&serde_json::to_value(body)?))
}

/// The fields of a body given as JSON (its current view), as a person reads them.
fn shown_fields_of<T: Body>(v: &Value) -> Vec<ShownField> {
    T::FIELDS
        .iter()
        .filter(|f| f.ty != FieldType::Link)
        .map(|f| {
            // Only a choice needs its labels (made afresh by each kind's `options`).
            let options = match f.ty {
                FieldType::Choice | FieldType::Choices => T::options(f.name),
                _ => Vec::new(),
            };
            ShownField {
                label: f.label.to_owned(),
                value: crate::fields::shown_value(f.ty, &v[f.name], &options),
            }
        })
        .collect()
}

/// The current view of a stored body and its fields as a person reads them, from one parse
/// (a chronology shows hundreds of records).
pub(crate) fn current_shown<T: Body>(
    stored: &str,
    amendments: &[AmendmentView],
) -> Result<(T, Vec<ShownField>)> {
    let v = current_json::<T>(stored, amendments)?;
    let body = T::deserialize(&v)?;
    Ok((body, shown_fields_of::<T>(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [RecordKind; 13] = RecordKind::ALL;

    /// The field names a struct's `Deserialize` asks for, read from serde itself.
    fn struct_fields<T: DeserializeOwned>() -> Vec<&'static str> {
        use serde::de::value::Error as E;
        use serde::de::{Deserializer, Error as _, Visitor};
        struct Probe<'a>(&'a mut Vec<&'static str>);
        impl<'de> Deserializer<'de> for Probe<'_> {
            type Error = E;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, E> {
                Err(E::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> std::result::Result<V::Value, E> {
                self.0.extend_from_slice(fields);
                Err(E::custom("probed"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut names = Vec::new();
        let _ = T::deserialize(Probe(&mut names));
        names
    }

    fn fields_of(kind: RecordKind) -> (&'static [Field], Vec<&'static str>) {
        with_body!(kind, T => (T::FIELDS, struct_fields::<T>()))
    }

    #[test]
    fn every_kind_declares_exactly_its_structs_fields() {
        for kind in ALL {
            let (declared, actual) = fields_of(kind);
            let mut names: Vec<&str> = declared.iter().map(|f| f.name).collect();
            assert!(!actual.is_empty(), "{kind:?}: serde reported no fields");
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "{kind:?} declares a field twice");
            let mut actual = actual;
            actual.sort();
            assert_eq!(
                names, actual,
                "{kind:?}: declared fields differ from the struct's"
            );
        }
    }

    #[test]
    fn every_kind_is_registered_under_its_own_name() {
        for kind in ALL {
            assert_eq!(with_body!(kind, T => T::KIND), kind);
        }
    }

    #[test]
    fn choice_fields_have_options_and_typed_fields_can_be_typed() {
        for kind in ALL {
            for f in kind.fields() {
                if matches!(f.ty, FieldType::Choice | FieldType::Choices) {
                    assert!(
                        !with_body!(kind, T => T::options(f.name)).is_empty(),
                        "{kind:?}.{} has no options",
                        f.name
                    );
                }
                if f.amend == Amend::Typed {
                    assert!(
                        !matches!(f.ty, FieldType::BodyMarks | FieldType::Link),
                        "{kind:?}.{} cannot be typed",
                        f.name
                    );
                }
                if f.ty == FieldType::Link {
                    assert_eq!(
                        f.amend,
                        Amend::No,
                        "{kind:?}.{}: links are not amended",
                        f.name
                    );
                }
            }
        }
    }

    #[test]
    fn a_body_with_an_unknown_field_is_refused_and_the_version_is_stripped() {
        let stored = r#"{"action":"Phone mum","schema_version":1}"#;
        let d: follow_up::FollowUpDetails = current(stored, &[]).unwrap();
        assert_eq!(d.action, "Phone mum");
        let typo = r#"{"action":"Phone mum","actoin":"x"}"#;
        assert!(current::<follow_up::FollowUpDetails>(typo, &[]).is_err());
        for newer in [
            r#"{"action":"Phone mum","schema_version":99}"#,
            r#"{"action":"Phone mum","schema_version":4294967297}"#,
            r#"{"action":"Phone mum","schema_version":"1"}"#,
        ] {
            let err = current::<follow_up::FollowUpDetails>(newer, &[]).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::Internal, "{newer}");
        }
        let stored = encode(&d).unwrap();
        assert!(stored.contains("\"schema_version\":1"), "{stored}");
    }

    /// A kind at version 2 that renamed `said` to `words`: amendments made at version 1 name
    /// the old field and must land on the new one.
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Renamed {
        words: String,
    }

    impl Validate for Renamed {
        fn validate(&self, _now: chrono::DateTime<chrono::Utc>) -> Result<()> {
            Ok(())
        }
    }

    impl Body for Renamed {
        const KIND: RecordKind = RecordKind::Voice;
        const LABEL: &'static str = "Child's voice";
        const VERSION: u32 = 2;
        const TABLE: Table = Table {
            name: "voice_entries",
            author: "recorded_by",
            pupil: "pupil_id",
        };
        const FIELDS: &'static [Field] = &[];

        fn search_text(&self) -> Vec<Option<&str>> {
            vec![Some(&self.words)]
        }

        fn upgrade(mut body: Value, from: u32) -> Result<Value> {
            assert_eq!(from, 1, "one step at a time");
            let o = body.as_object_mut().unwrap();
            let said = o.remove("said").unwrap();
            o.insert("words".into(), said);
            Ok(body)
        }
    }

    fn amendment(field: &str, value: &str, schema_version: u32) -> AmendmentView {
        AmendmentView {
            id: uuid::Uuid::nil(),
            at: chrono::DateTime::UNIX_EPOCH,
            by: String::new(),
            field: field.into(),
            value: Value::String(value.into()),
            reason: "r".into(),
            schema_version,
        }
    }

    #[test]
    fn an_amendment_applies_to_its_record_as_it_was_at_the_amendments_own_version() {
        let v1 = r#"{"said":"first"}"#;
        let read = |a: &[AmendmentView]| current::<Renamed>(v1, a).map(|r| r.words);
        assert_eq!(read(&[]).unwrap(), "first");
        // Made at version 1: names the old field, upgraded with the body.
        assert_eq!(read(&[amendment("said", "second", 1)]).unwrap(), "second");
        // Then one at version 2, naming the new field: applied after the upgrade.
        assert_eq!(
            read(&[
                amendment("said", "second", 1),
                amendment("words", "third", 2)
            ])
            .unwrap(),
            "third"
        );
        // A body stored at version 2 takes version 2 amendments as they are.
        let v2 = r#"{"words":"new","schema_version":2}"#;
        assert_eq!(
            current::<Renamed>(v2, &[amendment("words", "newer", 2)])
                .unwrap()
                .words,
            "newer"
        );
        // An amendment from a newer build, or one older than the body it corrects, is refused,
        // never applied to a field it did not mean.
        for (body, a) in [
            (v1, amendment("words", "x", 3)),
            (v2, amendment("said", "x", 1)),
        ] {
            let err = current::<Renamed>(body, &[a]).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::Internal);
        }
    }

    #[test]
    fn event_bodies_carry_their_version_and_a_newer_or_unknown_one_is_refused() {
        use follow_up::FollowUpOutcome;
        let stored = encode_event(&FollowUpOutcome {
            outcome: "Seen".into(),
        })
        .unwrap();
        assert!(stored.contains("\"schema_version\":1"), "{stored}");
        assert_eq!(
            read_event::<FollowUpOutcome>(&stored).unwrap().outcome,
            "Seen"
        );
        // Written before versions were kept: version 1.
        assert_eq!(
            read_event::<FollowUpOutcome>(r#"{"outcome":"Seen"}"#)
                .unwrap()
                .outcome,
            "Seen"
        );
        for bad in [
            r#"{"outcome":"Seen","schema_version":2}"#,
            r#"{"outcome":"Seen","schema_version":0}"#,
            r#"{"outcome":"Seen","extra":1}"#,
            r#"["Seen"]"#,
        ] {
            assert!(read_event::<FollowUpOutcome>(bad).is_err(), "{bad}");
        }
        let end = encode_event(&household::MemberEnd {
            reason: "Moved away".into(),
        })
        .unwrap();
        assert_eq!(
            read_event::<household::MemberEnd>(&end).unwrap().reason,
            "Moved away"
        );
    }
}
