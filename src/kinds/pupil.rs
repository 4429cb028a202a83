use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::fields::{FieldOption, FieldType::*};
use crate::kinds::{Amend::*, Body, Field, Table, field, options_of};
use crate::records::*;

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
#[serde(deny_unknown_fields)]
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

impl ProtectionStatus {
    pub const ALL: [ProtectionStatus; 4] = [
        ProtectionStatus::None,
        ProtectionStatus::EarlyHelp,
        ProtectionStatus::ChildInNeed,
        ProtectionStatus::ChildProtectionPlan,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ProtectionStatus::None => "None",
            ProtectionStatus::EarlyHelp => "Early help",
            ProtectionStatus::ChildInNeed => "Child in need plan",
            ProtectionStatus::ChildProtectionPlan => "Child protection plan",
        }
    }

    /// The status in a list of pupils, where space is short ("CP plan").
    pub fn short_label(self) -> &'static str {
        match self {
            ProtectionStatus::None => "",
            ProtectionStatus::EarlyHelp => "Early help",
            ProtectionStatus::ChildInNeed => "CIN",
            ProtectionStatus::ChildProtectionPlan => "CP plan",
        }
    }
}

impl Body for PupilDetails {
    const KIND: RecordKind = RecordKind::Pupil;
    const LABEL: &'static str = "Pupils";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "pupils",
        author: "created_by",
        pupil: "id",
    };
    const FIELDS: &'static [Field] = &[
        field("legal_first_name", "Legal first name", Text, Typed),
        field("legal_last_name", "Legal last name", Text, Typed),
        field("preferred_name", "Preferred name", OptionalText, Typed),
        field("date_of_birth", "Date of birth", Date, Typed),
        field("gender", "Gender", Text, Typed),
        // The UPN is a column (unique, looked up): it is not corrected by an amendment.
        field("upn", "UPN", OptionalText, No),
        field("year_group", "Year group", Text, Typed),
        field("class_name", "Class", OptionalText, Typed),
        field("address", "Address", OptionalText, Typed),
        field("ethnicity", "Ethnicity", OptionalText, Typed),
        field("religion", "Religion or faith", OptionalText, Typed),
        field("first_language", "First language", OptionalText, Typed),
        field("interpreter_needed", "Interpreter needed", YesNo, Typed),
        field("sen_disability", "SEN or disability", OptionalText, Typed),
        field(
            "protection_status",
            "Plan (early help, CIN, CP)",
            Choice,
            Typed,
        ),
        field("looked_after", "Looked after", YesNo, Typed),
        field("young_carer", "Young carer", YesNo, Typed),
        field("attendance_concern", "Attendance concern", YesNo, Typed),
        field(
            "identity_notes",
            "Identity, culture and faith",
            OptionalText,
            Typed,
        ),
        field("gp", "GP", OptionalText, Typed),
        field("nhs_number", "NHS number", OptionalText, Typed),
    ];

    fn options(f: &str) -> Vec<FieldOption> {
        match f {
            "protection_status" => options_of(&ProtectionStatus::ALL, ProtectionStatus::label),
            _ => Vec::new(),
        }
    }

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            Some(&self.legal_first_name),
            self.preferred_name.as_deref(),
            Some(&self.legal_last_name),
            self.upn.as_deref(),
        ]
    }
}
