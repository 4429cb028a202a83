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
    const LABEL: &'static str = "Concerns";
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

impl ConcernDetails {
    /// How the concern reads about its own child: its title and its text (the account, the
    /// immediate action, the body map's marks).
    pub(crate) fn title_and_text(&self) -> (String, String) {
        let labels: Vec<&str> = self.categories.iter().map(|c| c.label()).collect();
        let text = match self.immediate_action.trim().is_empty() {
            true => self.account.clone(),
            false => format!(
                "{}\n\nImmediate action: {}",
                self.account, self.immediate_action
            ),
        };
        (
            format!("Concern: {}", labels.join(", ")),
            with_body_marks(text, &self.body_marks),
        )
    }
}

/// A concern's text with its body map marks listed after it, side by side with their description.
fn with_body_marks(mut text: String, marks: &[BodyMark]) -> String {
    if marks.is_empty() {
        return text;
    }
    text.push_str("\n\nBody map:");
    for (i, m) in marks.iter().enumerate() {
        let side = m.side.label().to_lowercase();
        text.push_str(&format!("\n{}. ({side}) {}", i + 1, m.description));
    }
    text
}

/// The context: the role another child's concern named this child in, if it is that.
impl InChronology for ConcernDetails {
    type Context<'a> = Option<&'a str>;

    fn line(&self, _recorded_at: DateTime<Utc>, named_as: Option<&str>) -> Result<Line> {
        let mut line = match named_as {
            // What is shown is only that this child was named, never the other child's account.
            Some(role) => Line {
                lists_fields: false,
                ..Line::new(
                    self.observed_at,
                    format!("Named in a concern about another child, as: {role}"),
                    format!(
                        "Reported by {} ({}) at {}.",
                        self.reporter_name, self.reporter_role, self.location
                    ),
                )
            },
            None => {
                let (title, text) = self.title_and_text();
                Line {
                    child_words: self.child_words.clone(),
                    ..Line::new(self.observed_at, title, text)
                }
            }
        };
        line.categories = self.categories.clone();
        Ok(line)
    }
}
