use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::fields::FieldType::*;
use crate::kinds::{Amend::*, Body, Field, InChronology, Line, Table, field};
use crate::records::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoiceDetails {
    pub spoken_at: DateTime<Utc>,
    /// The child's words, verbatim.
    pub words: String,
    pub wishes: Option<String>,
    pub feelings: Option<String>,
    pub non_verbal: Option<String>,
    pub who_was_present: String,
    pub context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewVoice {
    pub pupil_id: Id,
    pub details: VoiceDetails,
}

impl Validate for VoiceDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        past_time("spoken at", self.spoken_at, now)?;
        required("child's words", &self.words, MAX_TEXT)?;
        optional("wishes", &self.wishes, MAX_TEXT)?;
        optional("feelings", &self.feelings, MAX_TEXT)?;
        optional("non-verbal signs", &self.non_verbal, MAX_TEXT)?;
        required("who was present", &self.who_was_present, MAX_SHORT)?;
        optional("context", &self.context, MAX_TEXT)
    }
}

impl Body for VoiceDetails {
    const KIND: RecordKind = RecordKind::Voice;
    const LABEL: &'static str = "Child's voice";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "voice_entries",
        author: "recorded_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        field("spoken_at", "Spoken at", DateTime, Typed),
        field("words", "The child's words", Text, Typed),
        field("wishes", "Wishes", OptionalText, Typed),
        field("feelings", "Feelings", OptionalText, Typed),
        field("non_verbal", "Non-verbal signs", OptionalText, Typed),
        field("who_was_present", "Who was present", Text, Typed),
        field("context", "Context", OptionalText, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            Some(&self.words),
            self.wishes.as_deref(),
            self.feelings.as_deref(),
            self.non_verbal.as_deref(),
            self.context.as_deref(),
        ]
    }
}

impl InChronology for VoiceDetails {
    type Context<'a> = ();

    fn line(&self, _recorded_at: DateTime<Utc>, _: ()) -> Result<Line> {
        let mut parts = vec![];
        if let Some(w) = &self.wishes {
            parts.push(format!("Wishes: {w}"));
        }
        if let Some(f) = &self.feelings {
            parts.push(format!("Feelings: {f}"));
        }
        if let Some(n) = &self.non_verbal {
            parts.push(format!("Non-verbal: {n}"));
        }
        parts.push(format!("Present: {}", self.who_was_present));
        Ok(Line {
            child_words: Some(self.words.clone()),
            ..Line::new(self.spoken_at, "Child's voice", parts.join("\n"))
        })
    }
}
