//! What every record kind shares: ids, limits, roles, categories, the kinds themselves and
//! the validation helpers. Each kind's own body, input and rules are in `src/kinds/`,
//! re-exported here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Result};
pub use crate::kinds::{
    concern::*, encompass::*, escalation::*, follow_up::*, household::*, pupil::*, referral::*,
    voice::*,
};

pub type Id = Uuid;

/// Limits on what a field may hold. Narrative fields are generous (a long account), but a
/// 5 MB paste is refused rather than stored.
pub const MAX_SHORT: usize = 300;
pub const MAX_TEXT: usize = 100_000;
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    Dsl,
    Deputy,
    Head,
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Dsl => "dsl",
            Role::Deputy => "deputy",
            Role::Head => "head",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dsl" => Ok(Role::Dsl),
            "deputy" => Ok(Role::Deputy),
            "head" => Ok(Role::Head),
            "staff" => Ok(Role::Staff),
            _ => Err(Error::invalid("role", "must be dsl, deputy, head or staff")),
        }
    }

    /// DSL and deputy DSLs: the safeguarding team.
    pub fn is_safeguarding_lead(self) -> bool {
        matches!(self, Role::Dsl | Role::Deputy)
    }

    /// Reads every record (the head reads everything; staff only their own concerns).
    pub fn reads_everything(self) -> bool {
        !matches!(self, Role::Staff)
    }

    /// The DSL alone adds and removes users, sets their passphrases and holds the recovery key.
    pub fn manages_users(self) -> bool {
        matches!(self, Role::Dsl)
    }

    /// The head and the DSL comment on the escalation history (the head's review).
    pub fn reviews_escalations(self) -> bool {
        matches!(self, Role::Head | Role::Dsl)
    }

    /// Holds the database key: removing this user moves the store to a new key (staff hold
    /// only their inbox key, so removing them re-encrypts nothing).
    pub fn holds_data_key(self) -> bool {
        !matches!(self, Role::Staff)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Dsl => "DSL",
            Role::Deputy => "Deputy DSL",
            Role::Head => "Headteacher",
            Role::Staff => "Staff",
        }
    }

    pub const ALL: [Role; 4] = [Role::Dsl, Role::Deputy, Role::Head, Role::Staff];

    /// What this role may do, for the window to show or hide (the core still checks each call).
    pub fn capabilities(self) -> Capabilities {
        Capabilities {
            role_label: self.label().to_owned(),
            reads_everything: self.reads_everything(),
            leads: self.is_safeguarding_lead(),
            manages_users: self.manages_users(),
            reviews_escalations: self.reviews_escalations(),
            reviews_only: self == Role::Head,
        }
    }
}

/// What the signed-in user may do, decided by the core from their role. The window reads these
/// instead of comparing role names; every command is still checked by the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Capabilities {
    pub role_label: String,
    /// Reads every record (the team and the head); staff see only what they wrote.
    pub reads_everything: bool,
    /// The safeguarding team (DSL, deputies): records, referrals, escalations, follow-ups,
    /// dismissing prompts, settings.
    pub leads: bool,
    /// The DSL: users, passphrases, the recovery key.
    pub manages_users: bool,
    /// Comments on the escalation history (the head and the DSL).
    pub reviews_escalations: bool,
    /// The head: reviews the escalation history rather than leading it (their escalations page
    /// is a review, resolved ones shown). Like anyone, they may still record a concern.
    pub reviews_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchoolDetails {
    pub name: String,
    pub local_authority: String,
    pub dfe_number: Option<String>,
    /// Where referrals are emailed (the local authority's front door / MASH).
    pub referral_email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Category {
    PhysicalAbuse,
    EmotionalAbuse,
    SexualAbuse,
    Neglect,
    DomesticAbuse,
    ChildOnChild,
    Online,
    Exploitation,
    Fgm,
    Radicalisation,
    SelfHarm,
    MentalHealth,
    Attendance,
    YoungCarer,
    Other,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Category::PhysicalAbuse,
        Category::EmotionalAbuse,
        Category::SexualAbuse,
        Category::Neglect,
        Category::DomesticAbuse,
        Category::ChildOnChild,
        Category::Online,
        Category::Exploitation,
        Category::Fgm,
        Category::Radicalisation,
        Category::SelfHarm,
        Category::MentalHealth,
        Category::Attendance,
        Category::YoungCarer,
        Category::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::PhysicalAbuse => "Physical abuse",
            Category::EmotionalAbuse => "Emotional abuse",
            Category::SexualAbuse => "Sexual abuse",
            Category::Neglect => "Neglect",
            Category::DomesticAbuse => "Domestic abuse",
            Category::ChildOnChild => "Child-on-child abuse",
            Category::Online => "Online safety",
            Category::Exploitation => "Exploitation (CSE/CCE)",
            Category::Fgm => "FGM",
            Category::Radicalisation => "Radicalisation (Prevent)",
            Category::SelfHarm => "Self-harm",
            Category::MentalHealth => "Mental health",
            Category::Attendance => "Attendance / missing education",
            Category::YoungCarer => "Young carer",
            Category::Other => "Other",
        }
    }
}

/// The kinds of record, as named in amendments, the audit and the chronology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RecordKind {
    Pupil,
    Household,
    HouseholdMember,
    Concern,
    Encompass,
    EncompassChild,
    Voice,
    FollowUp,
    Referral,
    Decision,
    Escalation,
    EscalationStage,
    EscalationEvent,
}

impl RecordKind {
    pub const ALL: [RecordKind; 13] = [
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
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Pupil => "pupil",
            RecordKind::Household => "household",
            RecordKind::HouseholdMember => "household_member",
            RecordKind::Concern => "concern",
            RecordKind::Encompass => "encompass",
            RecordKind::EncompassChild => "encompass_child",
            RecordKind::Voice => "voice",
            RecordKind::FollowUp => "follow_up",
            RecordKind::Referral => "referral",
            RecordKind::Decision => "decision",
            RecordKind::Escalation => "escalation",
            RecordKind::EscalationStage => "escalation_stage",
            RecordKind::EscalationEvent => "escalation_event",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| Error::invalid("record kind", "is not a known kind of record"))
    }

    /// The kinds a chronology lists (and filters by), in the order the filter offers them.
    pub const IN_CHRONOLOGY: [RecordKind; 9] = [
        RecordKind::Concern,
        RecordKind::EncompassChild,
        RecordKind::Voice,
        RecordKind::FollowUp,
        RecordKind::Referral,
        RecordKind::Decision,
        RecordKind::Escalation,
        RecordKind::EscalationStage,
        RecordKind::EscalationEvent,
    ];

    /// What the records of this kind are called together (a filter, a search result), as its
    /// definition in `src/kinds/` declares it.
    pub fn label(self) -> &'static str {
        crate::kinds::with_body!(self, T => <T as crate::kinds::Body>::LABEL)
    }

    /// Every field of this kind's body, as its definition in `src/kinds/` declares them.
    pub(crate) fn fields(self) -> &'static [crate::kinds::Field] {
        crate::kinds::with_body!(self, T => <T as crate::kinds::Body>::FIELDS)
    }

    /// The table holding this kind, with SQL for its author and its pupil.
    pub(crate) fn table(self) -> crate::kinds::Table {
        crate::kinds::with_body!(self, T => <T as crate::kinds::Body>::TABLE)
    }

    /// The table this kind is stored in.
    pub fn table_name(self) -> &'static str {
        self.table().name
    }

    /// Whether an amendment may change `field`. Links between records (which pupil, which
    /// referral), status and what the core sets are not amended: they change through their
    /// own events.
    pub(crate) fn is_amendable(self, field: &str) -> bool {
        self.fields()
            .iter()
            .any(|f| f.name == field && f.amend != crate::kinds::Amend::No)
    }
}

// ---- validation ----

pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    limit(field, value, max)
}

pub(crate) fn limit(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(Error::TooLarge { field, limit: max });
    }
    if value.chars().any(|c| c == '\0') {
        return Err(Error::invalid(field, "contains a NUL character"));
    }
    Ok(())
}

pub(crate) fn optional(field: &'static str, value: &Option<String>, max: usize) -> Result<()> {
    value.as_deref().map_or(Ok(()), |v| limit(field, v, max))
}

/// Times may not be in the future (beyond a little clock skew) nor implausibly old.
pub(crate) fn past_time(field: &'static str, t: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if t > now + chrono::Duration::minutes(10) {
        return Err(Error::invalid(field, "is in the future"));
    }
    if t.date_naive() < NaiveDate::from_ymd_opt(1990, 1, 1).expect("valid") {
        return Err(Error::invalid(field, "is before 1990"));
    }
    Ok(())
}

pub(crate) fn past_date(field: &'static str, d: NaiveDate, now: DateTime<Utc>) -> Result<()> {
    if d > now.date_naive() + chrono::Duration::days(1) {
        return Err(Error::invalid(field, "is in the future"));
    }
    if d < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid") {
        return Err(Error::invalid(field, "is before 1900"));
    }
    Ok(())
}

/// Validation of a record's narrative body, run on creation and again after every amendment.
pub(crate) trait Validate {
    fn validate(&self, now: DateTime<Utc>) -> Result<()>;
}

impl Validate for SchoolDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("school name", &self.name, MAX_SHORT)?;
        required("local authority", &self.local_authority, MAX_SHORT)?;
        optional("DfE number", &self.dfe_number, 20)?;
        optional("referral email", &self.referral_email, MAX_SHORT)?;
        if let Some(e) = &self.referral_email
            && !e.is_empty()
            && !e.contains('@')
        {
            return Err(Error::invalid("referral email", "is not an email address"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_kind_names_round_trip() {
        for k in [
            RecordKind::Concern,
            RecordKind::EncompassChild,
            RecordKind::EscalationStage,
        ] {
            assert_eq!(RecordKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(RecordKind::parse("pupils; DROP TABLE").is_err());
    }

    #[test]
    fn referral_without_consent_needs_a_reason() {
        let now = Utc::now();
        let mut r = ReferralDetails {
            made_at: now,
            agency: Agency::Mash,
            agency_name: None,
            method: ReferralMethod::Phone,
            reference: None,
            contact_name: None,
            parents_aware: Some(false),
            consent: Consent::NotSought,
            no_consent_reason: None,
            child_view: None,
            what_was_shared: "The concern of 3 March.".into(),
            written_confirmation_sent_on: None,
        };
        assert!(matches!(r.validate(now), Err(Error::InvalidInput { .. })));
        r.no_consent_reason = Some("Informing parents could place the child at risk.".into());
        assert!(r.validate(now).is_ok());
    }

    #[test]
    fn huge_text_is_refused_as_too_large() {
        assert!(matches!(
            limit("account", &"x".repeat(5 * 1024 * 1024), MAX_TEXT),
            Err(Error::TooLarge { .. })
        ));
    }
}
