use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::fields::{FieldOption, FieldType::*};
use crate::kinds::{Amend::*, Body, Field, InChronology, Line, Table, field, options_of};
use crate::records::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Agency {
    ChildrensSocialCare,
    Mash,
    EarlyHelp,
    Police,
    Camhs,
    Prevent,
    Other,
}

impl Agency {
    pub fn label(self) -> &'static str {
        match self {
            Agency::ChildrensSocialCare => "Children's social care",
            Agency::Mash => "MASH",
            Agency::EarlyHelp => "Early help",
            Agency::Police => "Police",
            Agency::Camhs => "CAMHS",
            Agency::Prevent => "Prevent",
            Agency::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReferralMethod {
    Phone,
    Email,
    Portal,
    InPerson,
    Letter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Consent {
    Given,
    Refused,
    NotSought,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReferralDetails {
    pub made_at: DateTime<Utc>,
    pub agency: Agency,
    pub agency_name: Option<String>,
    pub method: ReferralMethod,
    pub reference: Option<String>,
    pub contact_name: Option<String>,
    pub parents_aware: Option<bool>,
    pub consent: Consent,
    /// Required when consent was not given: why the referral went ahead without it.
    pub no_consent_reason: Option<String>,
    pub child_view: Option<String>,
    pub what_was_shared: String,
    pub written_confirmation_sent_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewReferral {
    pub pupil_id: Id,
    pub details: ReferralDetails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DecisionOutcome {
    NoFurtherAction,
    SignpostedToEarlyHelp,
    ChildAndFamilyAssessment,
    StrategyDiscussion,
    AlreadyOpen,
    Other,
}

impl DecisionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionOutcome::NoFurtherAction => "no_further_action",
            DecisionOutcome::SignpostedToEarlyHelp => "signposted_to_early_help",
            DecisionOutcome::ChildAndFamilyAssessment => "child_and_family_assessment",
            DecisionOutcome::StrategyDiscussion => "strategy_discussion",
            DecisionOutcome::AlreadyOpen => "already_open",
            DecisionOutcome::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DecisionDetails {
    pub received_on: NaiveDate,
    pub outcome: DecisionOutcome,
    pub decided_by: Option<String>,
    pub notes: String,
}

impl ReferralDetails {
    /// The agency as shown: its name when one was given, otherwise the kind of agency.
    pub fn agency_shown(&self) -> String {
        self.agency_name
            .clone()
            .unwrap_or_else(|| self.agency.label().to_owned())
    }
}

impl Validate for ReferralDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        past_time("made at", self.made_at, now)?;
        optional("agency name", &self.agency_name, MAX_SHORT)?;
        optional("reference", &self.reference, MAX_SHORT)?;
        optional("contact name", &self.contact_name, MAX_SHORT)?;
        if self.consent != Consent::Given
            && self
                .no_consent_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            return Err(Error::invalid(
                "reason for referring without consent",
                "is required when consent was not given",
            ));
        }
        optional(
            "reason for referring without consent",
            &self.no_consent_reason,
            MAX_TEXT,
        )?;
        optional("child's view", &self.child_view, MAX_TEXT)?;
        required("what was shared", &self.what_was_shared, MAX_TEXT)?;
        if let Some(d) = self.written_confirmation_sent_on {
            past_date("written confirmation sent on", d, now)?;
        }
        Ok(())
    }
}

impl Validate for DecisionDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        past_date("received on", self.received_on, now)?;
        optional("decided by", &self.decided_by, MAX_SHORT)?;
        limit("notes", &self.notes, MAX_TEXT)
    }
}

impl Agency {
    pub const ALL: [Agency; 7] = [
        Agency::ChildrensSocialCare,
        Agency::Mash,
        Agency::EarlyHelp,
        Agency::Police,
        Agency::Camhs,
        Agency::Prevent,
        Agency::Other,
    ];
}

impl ReferralMethod {
    pub const ALL: [ReferralMethod; 5] = [
        ReferralMethod::Phone,
        ReferralMethod::Email,
        ReferralMethod::Portal,
        ReferralMethod::InPerson,
        ReferralMethod::Letter,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReferralMethod::Phone => "Phone",
            ReferralMethod::Email => "Email",
            ReferralMethod::Portal => "Online portal",
            ReferralMethod::InPerson => "In person",
            ReferralMethod::Letter => "Letter",
        }
    }
}

impl Consent {
    pub const ALL: [Consent; 3] = [Consent::Given, Consent::Refused, Consent::NotSought];

    pub fn label(self) -> &'static str {
        match self {
            Consent::Given => "Given",
            Consent::Refused => "Refused",
            Consent::NotSought => "Not sought",
        }
    }
}

impl DecisionOutcome {
    pub const ALL: [DecisionOutcome; 6] = [
        DecisionOutcome::NoFurtherAction,
        DecisionOutcome::SignpostedToEarlyHelp,
        DecisionOutcome::ChildAndFamilyAssessment,
        DecisionOutcome::StrategyDiscussion,
        DecisionOutcome::AlreadyOpen,
        DecisionOutcome::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DecisionOutcome::NoFurtherAction => "No further action",
            DecisionOutcome::SignpostedToEarlyHelp => "Signposted to early help",
            DecisionOutcome::ChildAndFamilyAssessment => "Child and family assessment",
            DecisionOutcome::StrategyDiscussion => "Strategy discussion",
            DecisionOutcome::AlreadyOpen => "Already open to social care",
            DecisionOutcome::Other => "Other",
        }
    }
}

impl Body for ReferralDetails {
    const KIND: RecordKind = RecordKind::Referral;
    const LABEL: &'static str = "Referrals";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "referrals",
        author: "recorded_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        // When and to whom: the decision's due date was worked out from them.
        field("made_at", "Made at", DateTime, No),
        field("agency", "Agency", Choice, No),
        field("agency_name", "Agency name", OptionalText, Typed),
        field("method", "How it was made", Choice, Typed),
        field("reference", "Reference", OptionalText, Typed),
        field("contact_name", "Contact", OptionalText, Typed),
        field("parents_aware", "Parents aware", YesNoUnknown, Typed),
        field("consent", "Consent", Choice, Typed),
        field(
            "no_consent_reason",
            "Why without consent",
            OptionalText,
            Typed,
        ),
        field("child_view", "The child's view", OptionalText, Typed),
        field("what_was_shared", "What was shared", Text, Typed),
        field(
            "written_confirmation_sent_on",
            "Written confirmation sent on",
            OptionalDate,
            Typed,
        ),
    ];

    fn options(f: &str) -> Vec<FieldOption> {
        match f {
            "agency" => options_of(&Agency::ALL, Agency::label),
            "method" => options_of(&ReferralMethod::ALL, ReferralMethod::label),
            "consent" => options_of(&Consent::ALL, Consent::label),
            _ => Vec::new(),
        }
    }

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            Some(&self.what_was_shared),
            self.agency_name.as_deref(),
            self.contact_name.as_deref(),
            self.reference.as_deref(),
            self.child_view.as_deref(),
            self.no_consent_reason.as_deref(),
        ]
    }
}

impl Body for DecisionDetails {
    const KIND: RecordKind = RecordKind::Decision;
    const LABEL: &'static str = "Decisions";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "referral_decisions",
        author: "recorded_by",
        pupil: "(SELECT pupil_id FROM referrals r WHERE r.id = referral_id)",
    };
    const FIELDS: &'static [Field] = &[
        // The decision is a status: a different decision is recorded as a new one.
        field("received_on", "Received on", Date, No),
        field("outcome", "Outcome", Choice, No),
        field("decided_by", "Decided by", OptionalText, Typed),
        field("notes", "Notes", Text, Typed),
    ];

    fn options(f: &str) -> Vec<FieldOption> {
        match f {
            "outcome" => options_of(&DecisionOutcome::ALL, DecisionOutcome::label),
            _ => Vec::new(),
        }
    }

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![Some(&self.notes), self.decided_by.as_deref()]
    }
}

impl InChronology for ReferralDetails {
    type Context<'a> = ();

    fn line(&self, _recorded_at: DateTime<Utc>, _: ()) -> Result<Line> {
        Ok(Line::new(
            self.made_at,
            format!("Referral to {}", self.agency_shown()),
            self.what_was_shared.clone(),
        ))
    }
}

/// The context: when the referral it answers was made.
impl InChronology for DecisionDetails {
    type Context<'a> = Option<DateTime<Utc>>;

    fn line(&self, _recorded_at: DateTime<Utc>, referral_made: Self::Context<'_>) -> Result<Line> {
        // A decision has a date only: midday that day, but after the referral it answers.
        let mut at = crate::time::noon_london(self.received_on);
        if let Some(made) = referral_made {
            at = at.max(made + chrono::Duration::minutes(1));
        }
        Ok(Line::new(
            at,
            format!(
                "Referral decision: {}",
                self.outcome.as_str().replace('_', " ")
            ),
            self.notes.clone(),
        ))
    }
}
