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
pub struct HouseholdDetails {
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
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

/// Why someone stopped being a member of a household (the body of `household_member_ends`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberEnd {
    pub reason: String,
}

impl EventBody for MemberEnd {
    const WHAT: &'static str = "household leaving";
    const VERSION: u32 = 1;
}

impl Body for HouseholdDetails {
    const KIND: RecordKind = RecordKind::Household;
    const LABEL: &'static str = "Households";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "households",
        author: "created_by",
        pupil: "NULL",
    };
    const FIELDS: &'static [Field] = &[
        field("name", "Household", Text, Typed),
        field("address", "Address", OptionalText, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![Some(&self.name), self.address.as_deref()]
    }
}

impl Body for MemberDetails {
    const KIND: RecordKind = RecordKind::HouseholdMember;
    const LABEL: &'static str = "Family members";
    const VERSION: u32 = 1;
    const TABLE: Table = Table {
        name: "household_members",
        author: "created_by",
        pupil: "pupil_id",
    };
    const FIELDS: &'static [Field] = &[
        field(
            "full_name",
            "Full name (empty for a pupil here)",
            OptionalText,
            Typed,
        ),
        field("relationship", "Relationship to the child", Text, Typed),
        field("is_child", "A child", YesNo, No),
        field("date_of_birth", "Date of birth", OptionalDate, Typed),
        field(
            "parental_responsibility",
            "Parental responsibility",
            YesNo,
            Typed,
        ),
        field("lives_in_household", "Lives in the household", YesNo, Typed),
        field(
            "school_or_setting",
            "School or setting",
            OptionalText,
            Typed,
        ),
        field("known_risks", "Known risks", OptionalText, Typed),
        field("contact", "Contact details", OptionalText, Typed),
    ];

    fn search_text(&self) -> Vec<Option<&str>> {
        vec![
            self.full_name.as_deref(),
            Some(&self.relationship),
            self.known_risks.as_deref(),
        ]
    }
}
