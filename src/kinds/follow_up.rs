use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::fields::FieldType::*;
use crate::kinds::{Amend::*, Body, EventBody, Field, Table, field};
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
