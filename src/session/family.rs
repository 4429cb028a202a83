//! The family from a child's page: add a sibling who is a pupil here, or an adult or a child
//! elsewhere, to the child's household, creating the household the first time.

use rusqlite::OptionalExtension;

use super::{Session, parse_id};
use crate::error::Result;
use crate::records::*;

impl Session {
    /// The child's current household, created (with the child in it) if they have none yet.
    fn household_or_new(&mut self, pupil: Id) -> Result<Id> {
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT m.household_id FROM household_members m WHERE m.pupil_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM household_member_ends e WHERE e.member_id = m.id)
                 ORDER BY m.seq LIMIT 1",
                [pupil.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(h) = existing {
            return parse_id(&h);
        }
        let (_, details) = self
            .pupil_details_map(Some(&[pupil]))?
            .pop()
            .ok_or(crate::error::Error::NotFound { what: "pupil" })?;
        let household = self.add_household(&HouseholdDetails {
            name: format!("{} household", details.legal_last_name),
            address: details.address.clone(),
        })?;
        self.add_household_member(&NewHouseholdMember {
            household_id: household,
            pupil_id: Some(pupil),
            details: MemberDetails::pupil_child(),
        })?;
        Ok(household)
    }

    /// Adds someone to the child's household: `pupil_id` for a pupil of this school (which links
    /// them as siblings), or a named person. All or nothing.
    pub fn add_family_member(
        &mut self,
        pupil: Id,
        member_pupil: Option<Id>,
        details: &MemberDetails,
    ) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        self.batch(|s| {
            let household_id = s.household_or_new(pupil)?;
            s.add_household_member(&NewHouseholdMember {
                household_id,
                pupil_id: member_pupil,
                details: details.clone(),
            })
        })
    }
}
