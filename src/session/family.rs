//! The family: households, the people in them joining and leaving (a pupil here links
//! siblings), siblings, and adding family from a child's page, creating the household the first time.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::pupils::pupil_exists;
use super::search::index_body;
use super::users::Names;
use super::{Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{ShownField, current, encode, encode_event, read_event, shown_fields};
use crate::records::*;
use crate::time::london_date;

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
            .ok_or(Error::NotFound { what: "pupil" })?;
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

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct HouseholdMemberView {
    pub id: Id,
    pub household_id: Id,
    pub household_name: String,
    /// The household itself, as amended.
    pub household: HouseholdDetails,
    pub pupil_id: Option<Id>,
    pub name: String,
    pub details: MemberDetails,
    /// Every field of the household and of this member, as amended, labelled by the core.
    pub fields: Vec<ShownField>,
    pub left: bool,
}

impl Session {
    pub fn add_household(&mut self, details: &HouseholdDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        details.validate(self.now())?;
        self.write(Action::HouseholdAdd, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO households (id, device_id, created_at, created_by, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), encode(details)?],
            )?;
            Ok((id, vec![id]))
        })
    }

    /// Adds a person to a household: a pupil of this school (which links siblings) or someone
    /// else (an adult, a sibling at another school).
    pub fn add_household_member(&mut self, m: &NewHouseholdMember) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        m.details.validate(self.now())?;
        if m.pupil_id.is_none()
            && m.details
                .full_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            return Err(Error::invalid(
                "name",
                "is required for someone who is not a pupil here",
            ));
        }
        self.write(Action::HouseholdMemberAdd, |c, ctx| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM households WHERE id = ?1)",
                [m.household_id.to_string()],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(Error::NotFound { what: "household" });
            }
            if let Some(p) = m.pupil_id {
                pupil_exists(c, p)?;
                let already: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM household_members m WHERE household_id = ?1 AND pupil_id = ?2
                     AND NOT EXISTS (SELECT 1 FROM household_member_ends e WHERE e.member_id = m.id))",
                    params![m.household_id.to_string(), p.to_string()],
                    |r| r.get(0),
                )?;
                if already {
                    return Err(Error::Conflict { what: "that pupil is already in this household" });
                }
            }
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO household_members (id, device_id, created_at, created_by, household_id, pupil_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id.to_string(),
                    ctx.device,
                    ctx.now_text(),
                    ctx.user.to_string(),
                    m.household_id.to_string(),
                    m.pupil_id.map(|p| p.to_string()),
                    encode(&m.details)?
                ],
            )?;
            super::derived::refresh(c, RecordKind::HouseholdMember, id)?;
            index_body(c, ctx, id, m.pupil_id, &m.details)?;
            let mut targets = vec![id, m.household_id];
            targets.extend(m.pupil_id);
            Ok((id, targets))
        })
    }

    /// Records that someone has left a household (a status change: a new row, not an edit).
    pub fn end_household_member(&mut self, member_id: Id, reason: &str) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        required("reason", reason, MAX_TEXT)?;
        self.write(Action::HouseholdMemberEnd, |c, ctx| {
            let member: Option<(String, Option<String>)> = c
                .query_row(
                    "SELECT household_id, pupil_id FROM household_members WHERE id = ?1",
                    [member_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((household, pupil)) = member else {
                return Err(Error::NotFound { what: "household member" });
            };
            c.execute(
                "INSERT INTO household_member_ends (id, device_id, at, by_user, member_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), member_id.to_string(), encode_event(&MemberEnd { reason: reason.to_owned() })?],
            )
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::Conflict { what: "that person has already left the household" },
                other => other,
            })?;
            super::derived::refresh(c, RecordKind::HouseholdMember, member_id)?;
            // The household and the child who left, as an added member's event names them.
            let mut targets = vec![member_id, parse_id(&household)?];
            targets.extend(pupil.as_deref().map(parse_id).transpose()?);
            Ok(((), targets))
        })
    }

    /// Pupils of this school who share a current household with `pupil`.
    pub fn siblings_of(&self, pupil: Id) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT other.pupil_id FROM household_members me
             JOIN household_members other ON other.household_id = me.household_id
             WHERE me.pupil_id = ?1 AND other.pupil_id IS NOT NULL AND other.pupil_id != ?1
               AND NOT EXISTS (SELECT 1 FROM household_member_ends e WHERE e.member_id IN (me.id, other.id))",
        )?;
        let ids = stmt
            .query_map([pupil.to_string()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    pub(super) fn household_of(
        &self,
        pupil: Id,
        names: &Names,
    ) -> Result<Vec<HouseholdMemberView>> {
        type MemberRow = (
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<MemberRow> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT m.id, m.household_id, h.body, m.pupil_id, m.body, e.at, e.body
                 FROM household_members m JOIN households h ON h.id = m.household_id
                 LEFT JOIN household_member_ends e ON e.member_id = m.id
                 WHERE m.household_id IN (SELECT household_id FROM household_members WHERE pupil_id = ?1)
                 ORDER BY m.seq",
            )?;
            stmt.query_map([pupil.to_string()], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        let ids: Vec<String> = rows
            .iter()
            .flat_map(|r| [r.0.clone(), r.1.clone()])
            .collect();
        let amendments = self.amendments_for(&ids, names)?;
        let pupil_ids: Vec<Uuid> = rows
            .iter()
            .filter_map(|r| r.3.as_deref().and_then(|p| parse_id(p).ok()))
            .collect();
        let pupils: HashMap<Uuid, PupilDetails> = self
            .pupil_details_map(Some(&pupil_ids))?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|(id, hid, hbody, pid, body, left_at, left_body)| {
                let none = Vec::new();
                let h: HouseholdDetails = current(&hbody, amendments.get(&hid).unwrap_or(&none))?;
                let details: MemberDetails = current(&body, amendments.get(&id).unwrap_or(&none))?;
                let pupil_id = pid.as_deref().map(parse_id).transpose()?;
                let name = match pupil_id.and_then(|p| pupils.get(&p)) {
                    Some(p) => p.display_name(),
                    None => details
                        .full_name
                        .clone()
                        .unwrap_or_else(|| "Not known".into()),
                };
                let mut fields = [shown_fields(&h)?, shown_fields(&details)?].concat();
                let left = left_at.is_some();
                if let (Some(at), Some(end)) = (left_at, left_body) {
                    // A reason this build cannot read must not hide the child's page.
                    let reason = read_event::<MemberEnd>(&end).map_or_else(
                        |_| "the reason could not be read by this version".to_owned(),
                        |e| e.reason,
                    );
                    fields.push(ShownField {
                        label: "Left the household".into(),
                        value: format!(
                            "{}: {reason}",
                            crate::time::display_date(london_date(parse_time(&at)?)),
                        ),
                    });
                }
                Ok(HouseholdMemberView {
                    id: parse_id(&id)?,
                    household_id: parse_id(&hid)?,
                    household_name: h.name.clone(),
                    fields,
                    household: h,
                    pupil_id,
                    name,
                    details,
                    left,
                })
            })
            .collect()
    }
}
