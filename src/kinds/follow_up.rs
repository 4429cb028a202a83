use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::fields::FieldType::*;
use crate::kinds::{Amend::*, Body, EventBody, Field, InChronology, Line, Table, field};
use crate::records::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FollowUpDetails {
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewFollowUp {
    pub pupil_id: Id,
    /// The record this follows up, if any.
    pub source_id: Option<Id>,
    /// Defaults to the person recording it.
    pub owner_id: Option<Id>,
    pub due_on: NaiveDate,
    pub details: FollowUpDetails,
}

impl Validate for FollowUpDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("action", &self.action, MAX_TEXT)
    }
}

/// What was done, when a follow-up is completed (the body of its `completed` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowUpOutcome {
    pub outcome: String,
}

/// The body of a `reassigned` event: the new owner is its column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reassigned {}

impl EventBody for FollowUpOutcome {
    const WHAT: &'static str = "follow-up outcome";
    const VERSION: u32 = 1;
}

impl EventBody for Reassigned {
    const WHAT: &'static str = "follow-up handover";
    const VERSION: u32 = 1;
}

impl Body for FollowUpDetails {
    const KIND: RecordKind = RecordKind::FollowUp;
    const LABEL: &'static str = "Follow-ups";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "follow_ups",
        author: "created_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[field("action", "Action", Text, Typed)];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![Some(&self.action)]
    }
}

/// The context: the follow-up's due date, and when and how it was completed, if it was.
impl InChronology for FollowUpDetails {
    type Context<'a> = (NaiveDate, Option<(DateTime<Utc>, FollowUpOutcome)>);

    fn line(
        &self,
        recorded_at: DateTime<Utc>,
        (due, completed): Self::Context<'_>,
    ) -> Result<Line> {
        let state = match completed {
            Some((at, o)) => format!(
                "Completed {}: {}",
                crate::time::display_london(at),
                o.outcome
            ),
            None => "Open".to_owned(),
        };
        Ok(Line {
            status: Some(state.clone()),
            ..Line::new(
                recorded_at,
                format!("Follow-up due {}", crate::time::display_date(due)),
                format!("{}\n\n{state}", self.action),
            )
        })
    }
}
