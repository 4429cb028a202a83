use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::fields::FieldType::*;
use crate::kinds::{Amend::*, Body, Field, InChronology, Line, Table, field};
use crate::records::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProcedureStage {
    pub name: String,
    /// How many working days the other agency has to respond at this stage.
    pub working_days: u32,
}

/// The local safeguarding partnership's resolution and escalation procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResolutionProcedure {
    pub partnership: String,
    pub stages: Vec<ProcedureStage>,
}

impl Default for ResolutionProcedure {
    fn default() -> Self {
        let s = |name: &str, working_days| ProcedureStage {
            name: name.into(),
            working_days,
        };
        ResolutionProcedure {
            partnership: "Local safeguarding children partnership".into(),
            stages: vec![
                s("Practitioner to practitioner", 2),
                s("Line manager to line manager", 5),
                s("Senior manager / head of service", 2),
                s("Safeguarding partnership independent chair", 5),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EscalationDetails {
    pub agency: String,
    /// What the disagreement is about, in a sentence.
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StageDetails {
    /// The procedure's name for this stage. Set by the core from the local procedure when the
    /// stage is recorded; whatever a front end sends is replaced.
    #[serde(default)]
    pub stage_name: String,
    pub raised_on: NaiveDate,
    pub with_name: String,
    pub with_role: String,
    pub with_agency: String,
    pub disagreement: String,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewEscalation {
    pub pupil_id: Id,
    pub referral_id: Option<Id>,
    pub details: EscalationDetails,
    pub first_stage: StageDetails,
}

impl Validate for ResolutionProcedure {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("partnership", &self.partnership, MAX_SHORT)?;
        if self.stages.is_empty() || self.stages.len() > 10 {
            return Err(Error::invalid(
                "procedure stages",
                "must be between 1 and 10 stages",
            ));
        }
        for s in &self.stages {
            required("stage name", &s.name, MAX_SHORT)?;
            if s.working_days == 0 || s.working_days > 60 {
                return Err(Error::invalid(
                    "stage timescale",
                    "must be 1 to 60 working days",
                ));
            }
        }
        Ok(())
    }
}

impl Validate for EscalationDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("agency", &self.agency, MAX_SHORT)?;
        required("subject", &self.subject, MAX_TEXT)
    }
}

impl Validate for StageDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        past_date("raised on", self.raised_on, now)?;
        required("with (name)", &self.with_name, MAX_SHORT)?;
        limit("with (role)", &self.with_role, MAX_SHORT)?;
        required("with (agency)", &self.with_agency, MAX_SHORT)?;
        required("disagreement", &self.disagreement, MAX_TEXT)?;
        required("evidence", &self.evidence, MAX_TEXT)
    }
}

/// The text of an escalation event: a response, the resolution, or the head's review comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EscalationEventDetails {
    pub text: String,
}

impl Validate for EscalationEventDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("text", &self.text, MAX_TEXT)
    }
}

impl Body for EscalationDetails {
    const KIND: RecordKind = RecordKind::Escalation;
    const LABEL: &'static str = "Escalations";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "escalations",
        author: "opened_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        field("agency", "Agency", Text, Typed),
        field("subject", "What the disagreement is about", Text, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![Some(&self.subject)]
    }
}

impl Body for StageDetails {
    const KIND: RecordKind = RecordKind::EscalationStage;
    const LABEL: &'static str = "Escalation stages";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "escalation_stages",
        author: "recorded_by",
        pupil: "(SELECT pupil_id FROM escalations e WHERE e.id = escalation_id)",
    };
    const FIELDS: &'static [Field] = &[
        field("stage_name", "Stage", Text, No),
        // The stage's due date was worked out from it.
        field("raised_on", "Raised on", Date, No),
        field("with_name", "Raised with", Text, Typed),
        field("with_role", "Their role", Text, Typed),
        field("with_agency", "Their agency", Text, Typed),
        field("disagreement", "The disagreement", Text, Typed),
        field("evidence", "Evidence", Text, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            Some(&self.disagreement),
            Some(&self.evidence),
            Some(&self.with_name),
        ]
    }
}

impl Body for EscalationEventDetails {
    const KIND: RecordKind = RecordKind::EscalationEvent;
    const LABEL: &'static str = "Escalation responses and reviews";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "escalation_events",
        author: "by_user",
        pupil: "(SELECT pupil_id FROM escalations e WHERE e.id = escalation_id)",
    };
    const FIELDS: &'static [Field] = &[field("text", "Text", Text, Typed)];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![Some(&self.text)]
    }
}

impl InChronology for EscalationDetails {
    type Context<'a> = ();

    fn line(&self, recorded_at: DateTime<Utc>, _: ()) -> Result<Line> {
        Ok(Line::new(
            recorded_at,
            format!("Escalation opened with {}", self.agency),
            self.subject.clone(),
        ))
    }
}

/// The context: the stage's number and its due date.
impl InChronology for StageDetails {
    type Context<'a> = (i64, NaiveDate);

    fn line(&self, _recorded_at: DateTime<Utc>, (no, due): Self::Context<'_>) -> Result<Line> {
        Ok(Line::new(
            crate::time::noon_london(self.raised_on),
            format!(
                "Escalation stage {no}: {} (due {})",
                self.stage_name,
                crate::time::display_date(due)
            ),
            format!(
                "With {} ({}, {}).\nDisagreement: {}\nEvidence: {}",
                self.with_name, self.with_role, self.with_agency, self.disagreement, self.evidence
            ),
        ))
    }
}

/// The context: what the event is (`response`, `resolved` or a head's review `comment`).
impl InChronology for EscalationEventDetails {
    type Context<'a> = &'a str;

    fn line(&self, recorded_at: DateTime<Utc>, event: &str) -> Result<Line> {
        let title = match event {
            "response" => "Escalation: response",
            "resolved" => "Escalation resolved",
            _ => "Head's review comment",
        };
        Ok(Line::new(recorded_at, title, self.text.clone()))
    }
}
