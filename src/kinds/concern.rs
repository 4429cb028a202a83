use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::fields::{FieldOption, FieldType::*};
use crate::kinds::{Amend::*, Body, Field, Table, field, options_of};
use crate::records::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodySide {
    Front,
    Back,
}

impl BodySide {
    pub const ALL: [BodySide; 2] = [BodySide::Front, BodySide::Back];

    pub fn label(self) -> &'static str {
        match self {
            BodySide::Front => "Front",
            BodySide::Back => "Back",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct BodyMark {
    pub side: BodySide,
    /// Position on the outline, 0..1 from the left and from the top.
    pub x: f32,
    pub y: f32,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OtherChild {
    pub pupil_id: Option<Id>,
    pub name: String,
    /// This child's own role ("witness", "alleged to have pushed", "also hurt"), never copied.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ConcernDetails {
    pub reporter_name: String,
    pub reporter_role: String,
    pub observed_at: DateTime<Utc>,
    pub location: String,
    pub categories: Vec<Category>,
    /// What was seen and heard: facts.
    pub account: String,
    /// The child's own words, verbatim, kept apart from the adult's account.
    pub child_words: Option<String>,
    pub immediate_action: String,
    pub body_marks: Vec<BodyMark>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewConcern {
    pub pupil_id: Id,
    pub details: ConcernDetails,
    pub other_children: Vec<OtherChild>,
}

impl Validate for ConcernDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        required("reporter name", &self.reporter_name, MAX_SHORT)?;
        limit("reporter role", &self.reporter_role, MAX_SHORT)?;
        past_time("observed at", self.observed_at, now)?;
        limit("location", &self.location, MAX_SHORT)?;
        if self.categories.is_empty() {
            return Err(Error::invalid("categories", "choose at least one"));
        }
        required("account", &self.account, MAX_TEXT)?;
        optional("child's words", &self.child_words, MAX_TEXT)?;
        limit("immediate action", &self.immediate_action, MAX_TEXT)?;
        if self.body_marks.len() > 100 {
            return Err(Error::invalid("body map", "has more than 100 marks"));
        }
        for m in &self.body_marks {
            if !(0.0..=1.0).contains(&m.x) || !(0.0..=1.0).contains(&m.y) {
                return Err(Error::invalid("body map", "a mark is outside the outline"));
            }
            required("body map mark description", &m.description, MAX_SHORT)?;
        }
        Ok(())
    }
}

impl Validate for OtherChild {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("other child's name", &self.name, MAX_SHORT)?;
        required("other child's role", &self.role, MAX_SHORT)
    }
}

impl Body for ConcernDetails {
    const KIND: RecordKind = RecordKind::Concern;
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "concerns",
        author: "recorded_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        field("observed_at", "Seen or heard at", DateTime, Typed),
        field("reporter_name", "Reported by", Text, Typed),
        field("reporter_role", "Reporter's role", Text, Typed),
        field("location", "Where", Text, Typed),
        field("categories", "Categories", Choices, Typed),
        field("account", "What was seen and heard", Text, Typed),
        field("child_words", "The child's own words", OptionalText, Typed),
        field("immediate_action", "Action taken at once", Text, Typed),
        field("body_marks", "Body map", BodyMarks, Control),
    ];

    fn options(f: &str) -> Vec<FieldOption> {
        match f {
            "categories" => options_of(&Category::ALL, Category::label),
            _ => Vec::new(),
        }
    }

    fn search_text(&self) -> Vec<Option<&str>> {
        let mut parts = vec![
            Some(self.account.as_str()),
            self.child_words.as_deref(),
            Some(&self.immediate_action),
            Some(&self.location),
            Some(&self.reporter_name),
        ];
        parts.extend(self.body_marks.iter().map(|m| Some(m.description.as_str())));
        parts
    }
}
