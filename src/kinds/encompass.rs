use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::fields::{FieldOption, FieldType::*};
use crate::kinds::{Amend::*, Body, Field, InChronology, Line, Table, field, options_of};
use crate::records::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SupportType {
    Silent,
    Overt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EncompassDetails {
    pub received_at: DateTime<Utc>,
    pub police_force: String,
    pub officer: String,
    pub police_reference: String,
    pub incident_at: DateTime<Utc>,
    pub incident_location: String,
    pub circumstances: String,
    pub other_information: Option<String>,
    pub support: SupportType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EncompassChild {
    pub pupil_id: Id,
    /// `None` when the police did not say.
    pub present: Option<bool>,
    pub where_during: Option<String>,
    pub spoken_to: Option<bool>,
    pub what_they_said: Option<String>,
}

impl EncompassChild {
    /// A child added to a notification after it was recorded (a sibling the police did not
    /// name): whether they were there and what they said are not known until amended.
    pub fn not_yet_known(pupil_id: Id) -> Self {
        EncompassChild {
            pupil_id,
            present: None,
            where_during: None,
            spoken_to: None,
            what_they_said: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewEncompass {
    pub details: EncompassDetails,
    pub children: Vec<EncompassChild>,
}

impl Validate for EncompassDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        past_time("received at", self.received_at, now)?;
        past_time("incident at", self.incident_at, now)?;
        if self.incident_at > self.received_at {
            return Err(Error::invalid(
                "incident at",
                "is after the notification was received",
            ));
        }
        required("police force", &self.police_force, MAX_SHORT)?;
        limit("officer", &self.officer, MAX_SHORT)?;
        required("police reference", &self.police_reference, MAX_SHORT)?;
        limit("incident location", &self.incident_location, MAX_SHORT)?;
        required("circumstances", &self.circumstances, MAX_TEXT)?;
        optional("other information", &self.other_information, MAX_TEXT)
    }
}

impl Validate for EncompassChild {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        optional("where the child was", &self.where_during, MAX_SHORT)?;
        optional("what the child said", &self.what_they_said, MAX_TEXT)
    }
}

impl SupportType {
    pub const ALL: [SupportType; 2] = [SupportType::Silent, SupportType::Overt];

    pub fn label(self) -> &'static str {
        match self {
            SupportType::Silent => "Silent support",
            SupportType::Overt => "Overt support",
        }
    }
}

impl Body for EncompassDetails {
    const KIND: RecordKind = RecordKind::Encompass;
    const LABEL: &'static str = "Operation Encompass notifications";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "encompass_notifications",
        author: "recorded_by",
        pupil: "NULL",
    };
    const FIELDS: &'static [Field] = &[
        // The time the school's response is due was worked out from it: not amended.
        field("received_at", "Received at", DateTime, No),
        field("police_force", "Police force", Text, Typed),
        field("officer", "Officer", Text, Typed),
        field("police_reference", "Police reference", Text, Typed),
        field("incident_at", "Incident at", DateTime, Typed),
        field("incident_location", "Incident location", Text, Typed),
        field("circumstances", "Circumstances", Text, Typed),
        field(
            "other_information",
            "Other information",
            OptionalText,
            Typed,
        ),
        field("support", "Support in school", Choice, Typed),
    ];

    fn options(f: &str) -> Vec<FieldOption> {
        match f {
            "support" => options_of(&SupportType::ALL, SupportType::label),
            _ => Vec::new(),
        }
    }

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            Some(&self.circumstances),
            Some(&self.police_reference),
            self.other_information.as_deref(),
        ]
    }
}

impl Body for EncompassChild {
    const KIND: RecordKind = RecordKind::EncompassChild;
    const LABEL: &'static str = "Operation Encompass";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "encompass_children",
        author: "(SELECT recorded_by FROM encompass_notifications n WHERE n.id = notification_id)",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        field("pupil_id", "Child", Link, No),
        field(
            "present",
            "Present during the incident",
            YesNoUnknown,
            Typed,
        ),
        field("where_during", "Where the child was", OptionalText, Typed),
        field("spoken_to", "Spoken to by the police", YesNoUnknown, Typed),
        field("what_they_said", "What the child said", OptionalText, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![self.what_they_said.as_deref(), self.where_during.as_deref()]
    }
}

/// A child's part in a notification reads with the notification itself (its current view).
impl InChronology for EncompassChild {
    type Context<'a> = &'a EncompassDetails;

    fn line(&self, _recorded_at: DateTime<Utc>, n: &EncompassDetails) -> Result<Line> {
        let present = match self.present {
            Some(true) => "present",
            Some(false) => "not present",
            None => "presence not known",
        };
        Ok(Line {
            child_words: self.what_they_said.clone(),
            categories: vec![Category::DomesticAbuse],
            ..Line::new(
                n.received_at,
                format!("Operation Encompass notification ({})", n.police_reference),
                format!(
                    "{}\n\nChild {present}; {}",
                    n.circumstances,
                    self.where_during.as_deref().unwrap_or_default()
                ),
            )
        })
    }
}
