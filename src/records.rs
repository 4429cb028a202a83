//! The record types of DOMAIN.md, as the core's typed structs, and their validation.
//!
//! `New*` structs are what a front end submits; the `*Details` structs are the narrative part
//! stored as JSON in a record's `body` column, and are what amendments change field by field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Result};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProtectionStatus {
    None,
    EarlyHelp,
    ChildInNeed,
    ChildProtectionPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PupilDetails {
    pub legal_first_name: String,
    pub legal_last_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub gender: String,
    pub upn: Option<String>,
    pub year_group: String,
    pub class_name: Option<String>,
    pub address: Option<String>,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub first_language: Option<String>,
    pub interpreter_needed: bool,
    pub sen_disability: Option<String>,
    pub looked_after: bool,
    pub protection_status: ProtectionStatus,
    pub young_carer: bool,
    pub attendance_concern: bool,
    /// Identity, culture and faith as the child and family describe them.
    pub identity_notes: Option<String>,
    pub gp: Option<String>,
    pub nhs_number: Option<String>,
}

impl PupilDetails {
    /// A pupil with the required details; everything else not known yet.
    pub fn new(
        legal_first_name: &str,
        legal_last_name: &str,
        date_of_birth: NaiveDate,
        year_group: &str,
    ) -> Self {
        PupilDetails {
            legal_first_name: legal_first_name.into(),
            legal_last_name: legal_last_name.into(),
            preferred_name: None,
            date_of_birth,
            gender: "Not recorded".into(),
            upn: None,
            year_group: year_group.into(),
            class_name: None,
            address: None,
            ethnicity: None,
            religion: None,
            first_language: None,
            interpreter_needed: false,
            sen_disability: None,
            looked_after: false,
            protection_status: ProtectionStatus::None,
            young_carer: false,
            attendance_concern: false,
            identity_notes: None,
            gp: None,
            nhs_number: None,
        }
    }

    pub fn display_name(&self) -> String {
        let first = self
            .preferred_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(&self.legal_first_name);
        format!("{} {}", first, self.legal_last_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdDetails {
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MemberDetails {
    /// For a pupil of this school, leave empty: the pupil's own record names them.
    pub full_name: Option<String>,
    /// As the family describes it: "mother", "brother", "mother's partner".
    pub relationship: String,
    pub is_child: bool,
    pub date_of_birth: Option<NaiveDate>,
    pub parental_responsibility: bool,
    pub lives_in_household: bool,
    /// For a sibling at another school or setting.
    pub school_or_setting: Option<String>,
    pub known_risks: Option<String>,
    pub contact: Option<String>,
}

impl MemberDetails {
    /// A child of the household who is a pupil here (their own record names them).
    pub fn pupil_child() -> Self {
        MemberDetails {
            full_name: None,
            relationship: "child".into(),
            is_child: true,
            date_of_birth: None,
            parental_responsibility: false,
            lives_in_household: true,
            school_or_setting: None,
            known_risks: None,
            contact: None,
        }
    }

    /// Someone who is not a pupil here: an adult, or a child at another school.
    pub fn person(full_name: &str, relationship: &str, is_child: bool) -> Self {
        MemberDetails {
            full_name: Some(full_name.into()),
            relationship: relationship.into(),
            is_child,
            ..Self::pupil_child()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewHouseholdMember {
    pub household_id: Id,
    pub pupil_id: Option<Id>,
    pub details: MemberDetails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodySide {
    Front,
    Back,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SupportType {
    Silent,
    Overt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[ts(export)]
pub struct EncompassChild {
    pub pupil_id: Id,
    /// `None` when the police did not say.
    pub present: Option<bool>,
    pub where_during: Option<String>,
    pub spoken_to: Option<bool>,
    pub what_they_said: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewEncompass {
    pub details: EncompassDetails,
    pub children: Vec<EncompassChild>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[ts(export)]
pub struct DecisionDetails {
    pub received_on: NaiveDate,
    pub outcome: DecisionOutcome,
    pub decided_by: Option<String>,
    pub notes: String,
}

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
#[ts(export)]
pub struct EscalationDetails {
    pub agency: String,
    /// What the disagreement is about, in a sentence.
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StageDetails {
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

    /// The table holding this kind and its author column.
    pub(crate) fn table(self) -> (&'static str, &'static str) {
        match self {
            RecordKind::Pupil => ("pupils", "created_by"),
            RecordKind::Household => ("households", "created_by"),
            RecordKind::HouseholdMember => ("household_members", "created_by"),
            RecordKind::Concern => ("concerns", "recorded_by"),
            RecordKind::Encompass => ("encompass_notifications", "recorded_by"),
            RecordKind::EncompassChild => ("encompass_children", "''"),
            RecordKind::Voice => ("voice_entries", "recorded_by"),
            RecordKind::FollowUp => ("follow_ups", "created_by"),
            RecordKind::Referral => ("referrals", "recorded_by"),
            RecordKind::Decision => ("referral_decisions", "recorded_by"),
            RecordKind::Escalation => ("escalations", "opened_by"),
            RecordKind::EscalationStage => ("escalation_stages", "recorded_by"),
            RecordKind::EscalationEvent => ("escalation_events", "by_user"),
        }
    }

    /// The body fields an amendment may change. Links between records (which pupil, which
    /// referral) and status are not amended: they change through their own events.
    pub(crate) fn amendable_fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::Pupil => &[
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "date_of_birth",
                "gender",
                "year_group",
                "class_name",
                "address",
                "ethnicity",
                "religion",
                "first_language",
                "interpreter_needed",
                "sen_disability",
                "looked_after",
                "protection_status",
                "young_carer",
                "attendance_concern",
                "identity_notes",
                "gp",
                "nhs_number",
            ],
            RecordKind::Household => &["name", "address"],
            RecordKind::HouseholdMember => &[
                "full_name",
                "relationship",
                "date_of_birth",
                "parental_responsibility",
                "lives_in_household",
                "school_or_setting",
                "known_risks",
                "contact",
            ],
            RecordKind::Concern => &[
                "reporter_name",
                "reporter_role",
                "observed_at",
                "location",
                "categories",
                "account",
                "child_words",
                "immediate_action",
                "body_marks",
            ],
            RecordKind::Encompass => &[
                "police_force",
                "officer",
                "police_reference",
                "incident_at",
                "incident_location",
                "circumstances",
                "other_information",
                "support",
            ],
            RecordKind::EncompassChild => {
                &["present", "where_during", "spoken_to", "what_they_said"]
            }
            RecordKind::Voice => &[
                "spoken_at",
                "words",
                "wishes",
                "feelings",
                "non_verbal",
                "who_was_present",
                "context",
            ],
            RecordKind::FollowUp => &["action"],
            RecordKind::Referral => &[
                "agency_name",
                "method",
                "reference",
                "contact_name",
                "parents_aware",
                "consent",
                "no_consent_reason",
                "child_view",
                "what_was_shared",
                "written_confirmation_sent_on",
            ],
            RecordKind::Decision => &["decided_by", "notes"],
            RecordKind::Escalation => &["agency", "subject"],
            RecordKind::EscalationStage => &[
                "with_name",
                "with_role",
                "with_agency",
                "disagreement",
                "evidence",
            ],
            RecordKind::EscalationEvent => &["text"],
        }
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

impl Validate for PupilDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        required("legal first name", &self.legal_first_name, MAX_SHORT)?;
        required("legal last name", &self.legal_last_name, MAX_SHORT)?;
        optional("preferred name", &self.preferred_name, MAX_SHORT)?;
        past_date("date of birth", self.date_of_birth, now)?;
        limit("gender", &self.gender, MAX_SHORT)?;
        if let Some(upn) = &self.upn
            && (upn.len() != 13 || !upn.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(Error::invalid("UPN", "must be 13 letters and digits"));
        }
        required("year group", &self.year_group, MAX_SHORT)?;
        for (f, v) in [
            ("class", &self.class_name),
            ("address", &self.address),
            ("ethnicity", &self.ethnicity),
            ("religion", &self.religion),
            ("first language", &self.first_language),
            ("GP", &self.gp),
            ("NHS number", &self.nhs_number),
        ] {
            optional(f, v, MAX_SHORT)?;
        }
        optional("SEN/disability", &self.sen_disability, MAX_TEXT)?;
        optional("identity notes", &self.identity_notes, MAX_TEXT)
    }
}

impl Validate for HouseholdDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("household name", &self.name, MAX_SHORT)?;
        optional("address", &self.address, MAX_SHORT)
    }
}

impl Validate for MemberDetails {
    fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        optional("name", &self.full_name, MAX_SHORT)?;
        required("relationship", &self.relationship, MAX_SHORT)?;
        if let Some(d) = self.date_of_birth {
            past_date("date of birth", d, now)?;
        }
        optional("school or setting", &self.school_or_setting, MAX_SHORT)?;
        optional("known risks", &self.known_risks, MAX_TEXT)?;
        optional("contact", &self.contact, MAX_SHORT)
    }
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

impl Validate for FollowUpDetails {
    fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        required("action", &self.action, MAX_TEXT)
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
