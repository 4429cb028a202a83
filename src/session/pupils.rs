//! Pupils: adding one, the list (a page at a time, from the derived facts), a pupil's summary
//! and their file. Staff see names and years only.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::amend::AmendmentView;
use super::family::HouseholdMemberView;
use super::search::index_body;
use super::{Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{ShownField, current, encode, shown_fields};
use crate::records::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PupilSummary {
    pub id: Id,
    pub upn: Option<String>,
    pub name: String,
    pub legal_name: String,
    pub year_group: String,
    pub date_of_birth: Option<NaiveDate>,
    /// Status flags; `None` for staff, who see names and years only.
    pub protection_status: Option<ProtectionStatus>,
    pub looked_after: Option<bool>,
    pub young_carer: Option<bool>,
    pub attendance_concern: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PupilQuery {
    pub text: Option<String>,
    pub year_group: Option<String>,
    /// Only pupils with this status flag (not for staff, who do not see status).
    #[serde(default)]
    #[ts(optional)]
    pub flag: Option<StatusFlag>,
    pub offset: u32,
    pub limit: u32,
}

/// The status flags the pupil list filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusFlag {
    /// Early help, child in need or a child protection plan.
    AnyPlan,
    EarlyHelp,
    ChildInNeed,
    ChildProtectionPlan,
    LookedAfter,
    YoungCarer,
    AttendanceConcern,
}

impl StatusFlag {
    /// Every flag, in the order of their bits in `pupil_facts.flags`.
    pub(crate) const ALL: [StatusFlag; 7] = [
        StatusFlag::AnyPlan,
        StatusFlag::EarlyHelp,
        StatusFlag::ChildInNeed,
        StatusFlag::ChildProtectionPlan,
        StatusFlag::LookedAfter,
        StatusFlag::YoungCarer,
        StatusFlag::AttendanceConcern,
    ];

    /// What the pupil list's filter shows for this flag.
    pub fn label(self) -> &'static str {
        match self {
            StatusFlag::AnyPlan => "Any plan (early help, CIN, CP)",
            StatusFlag::EarlyHelp => "Early help",
            StatusFlag::ChildInNeed => "Child in need",
            StatusFlag::ChildProtectionPlan => "Child protection plan",
            StatusFlag::LookedAfter => "Looked after",
            StatusFlag::YoungCarer => "Young carer",
            StatusFlag::AttendanceConcern => "Attendance concern",
        }
    }

    /// This flag's bit in `pupil_facts.flags`.
    pub(crate) fn bit(self) -> i64 {
        1 << StatusFlag::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// The bits of every flag that matches the pupil.
    pub(crate) fn bits(d: &PupilDetails) -> i64 {
        StatusFlag::ALL
            .iter()
            .filter(|f| f.matches(d))
            .map(|f| f.bit())
            .fold(0, |a, b| a | b)
    }

    fn matches(self, d: &PupilDetails) -> bool {
        use ProtectionStatus as P;
        match self {
            StatusFlag::AnyPlan => d.protection_status != P::None,
            StatusFlag::EarlyHelp => d.protection_status == P::EarlyHelp,
            StatusFlag::ChildInNeed => d.protection_status == P::ChildInNeed,
            StatusFlag::ChildProtectionPlan => d.protection_status == P::ChildProtectionPlan,
            StatusFlag::LookedAfter => d.looked_after,
            StatusFlag::YoungCarer => d.young_carer,
            StatusFlag::AttendanceConcern => d.attendance_concern,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PupilPage {
    pub total: u32,
    pub items: Vec<PupilSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PupilFile {
    pub id: Id,
    pub details: PupilDetails,
    /// Every field of the child's record, as amended, labelled by the core.
    pub fields: Vec<ShownField>,
    pub created_at: DateTime<Utc>,
    pub amendments: Vec<AmendmentView>,
    /// Everyone in the pupil's households (siblings here and elsewhere, adults).
    pub household: Vec<HouseholdMemberView>,
    /// Pupils of this school who share a household with this pupil.
    pub siblings: Vec<PupilSummary>,
}

/// A pupil's name and year, with the status flags only when `full` (those who read everything).
pub(crate) fn pupil_summary(id: Uuid, d: &PupilDetails, full: bool) -> PupilSummary {
    PupilSummary {
        id,
        upn: d.upn.clone(),
        name: d.display_name(),
        legal_name: format!("{} {}", d.legal_first_name, d.legal_last_name),
        year_group: d.year_group.clone(),
        date_of_birth: full.then_some(d.date_of_birth),
        protection_status: full.then_some(d.protection_status),
        looked_after: full.then_some(d.looked_after),
        young_carer: full.then_some(d.young_carer),
        attendance_concern: full.then_some(d.attendance_concern),
    }
}

impl PupilSummary {
    /// What staff see: names and years, no status.
    pub(crate) fn names_only(self) -> PupilSummary {
        PupilSummary {
            date_of_birth: None,
            protection_status: None,
            looked_after: None,
            young_carer: None,
            attendance_concern: None,
            ..self
        }
    }
}

/// A page of pupils matching the query's name/UPN text and year, by name (the team's list and
/// a member of staff's roster alike).
pub(crate) fn page_of_pupils(mut all: Vec<PupilSummary>, q: &PupilQuery) -> PupilPage {
    let text = q
        .text
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    all.retain(|p| {
        q.year_group.as_deref().is_none_or(|y| p.year_group == y)
            && text.as_deref().is_none_or(|t| {
                p.name.to_lowercase().contains(t)
                    || p.legal_name.to_lowercase().contains(t)
                    || p.upn.as_deref().is_some_and(|u| u.to_lowercase() == t)
            })
    });
    all.sort_by_key(|p| p.name.to_lowercase());
    let total = all.len() as u32;
    let limit = if q.limit == 0 { 100 } else { q.limit.min(1000) };
    let items = all
        .into_iter()
        .skip(q.offset as usize)
        .take(limit as usize)
        .collect();
    PupilPage { total, items }
}

pub(crate) fn pupil_exists(c: &Connection, id: Uuid) -> Result<()> {
    let found: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM pupils WHERE id = ?1)")?
        .query_row([id.to_string()], |r| r.get(0))?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound { what: "pupil" })
    }
}

impl Session {
    pub fn add_pupil(&mut self, details: &PupilDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        details.validate(self.now())?;
        self.write(Action::PupilAdd, |c, ctx| {
            if let Some(upn) = &details.upn {
                let taken: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM pupils WHERE upn = ?1)", [upn], |r| r.get(0))?;
                if taken {
                    return Err(Error::Conflict { what: "a pupil with that UPN already exists" });
                }
            }
            let id = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO pupils (id, device_id, created_at, created_by, upn, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), details.upn, encode(details)?])?;
            super::derived::refresh(c, RecordKind::Pupil, id)?;
            index_body(c, ctx, id, Some(id), details)?;
            Ok((id, vec![id]))
        })
    }

    pub(crate) fn pupil_details_map(
        &self,
        ids: Option<&[Uuid]>,
    ) -> Result<Vec<(Uuid, PupilDetails)>> {
        let names = self.names()?;
        let (sql, arg) = match ids {
            Some(ids) => (
                "SELECT id, body FROM pupils WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY seq",
                serde_json::to_string(&ids.iter().map(|i| i.to_string()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
            None => (
                "SELECT id, body FROM pupils WHERE ?1 = ?1 ORDER BY seq",
                String::new(),
            ),
        };
        let rows: Vec<(String, String)> = {
            let mut stmt = self.conn().prepare_cached(sql)?;
            stmt.query_map([arg], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        // Some pupils: their own amendments (by record, indexed); all: every pupil amendment.
        let amendments = match ids {
            Some(_) => self.amendments_for(
                &rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
                &names,
            )?,
            None => super::amend::read_amendments(
                self.conn(),
                super::amend::Amended::Kind(RecordKind::Pupil, None),
                Some(&names),
                true,
            )?,
        };
        rows.into_iter()
            .map(|(id, body)| {
                let a = amendments.get(&id).map(Vec::as_slice).unwrap_or(&[]);
                Ok((parse_id(&id)?, current(&body, a)?))
            })
            .collect()
    }

    /// Display names of the given pupils (amendments applied), from their derived facts.
    pub(crate) fn pupil_names(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
        if self.derived_failure.is_some() {
            return Ok(self
                .pupil_details_map(Some(ids))?
                .into_iter()
                .map(|(id, d)| (id, d.display_name()))
                .collect());
        }
        let list = serde_json::to_string(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>())?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT pupil_id, name FROM pupil_facts WHERE pupil_id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut rows = stmt.query([list])?;
        let mut out = HashMap::with_capacity(ids.len());
        while let Some(r) = rows.next()? {
            out.insert(parse_id(&r.get::<_, String>(0)?)?, r.get(1)?);
        }
        Ok(out)
    }

    fn summary(&self, id: Uuid, d: &PupilDetails) -> PupilSummary {
        pupil_summary(id, d, self.user().role.reads_everything())
    }

    /// Pupils, filtered by name/UPN text and year, a page at a time. Every role may list pupils
    /// (staff need to pick the child a concern is about); staff see names and years only.
    pub fn list_pupils(&self, q: &PupilQuery) -> Result<PupilPage> {
        if q.flag.is_some() {
            self.require(Role::reads_everything)?;
        }
        self.reading(|| self.list_pupils_read(q))
    }

    fn list_pupils_read(&self, q: &PupilQuery) -> Result<PupilPage> {
        if self.derived_failure.is_none() {
            return self.page_of_pupil_facts(q);
        }
        let matching: Vec<PupilSummary> = self
            .pupil_details_map(None)?
            .iter()
            .filter(|(_, d)| q.flag.is_none_or(|f| f.matches(d)))
            .map(|(id, d)| self.summary(*id, d))
            .collect();
        Ok(page_of_pupils(matching, q))
    }

    /// The pupil list from the derived facts: filtered, counted and paged by SQL through the
    /// name index, the same filters and order as `page_of_pupils` (lowercase by Rust, compared
    /// bytewise; ties in school order), only the page's summaries parsed.
    fn page_of_pupil_facts(&self, q: &PupilQuery) -> Result<PupilPage> {
        let text = q
            .text
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        let filter = "(?1 IS NULL OR year_group = ?1)
             AND (?2 IS NULL OR instr(sort_name, ?2) > 0 OR instr(legal_name, ?2) > 0 OR upn = ?2)
             AND (?3 = 0 OR flags & ?3 != 0)";
        let flag = q.flag.map_or(0, StatusFlag::bit);
        let args = params![q.year_group, text, flag];
        let total: u32 = self
            .conn()
            .prepare_cached(&format!("SELECT count(*) FROM pupil_facts WHERE {filter}"))?
            .query_row(args, |r| r.get(0))?;
        let limit = if q.limit == 0 { 100 } else { q.limit.min(1000) };
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT summary FROM pupil_facts WHERE {filter} ORDER BY sort_name, seq LIMIT ?4 OFFSET ?5"
        ))?;
        let full = self.user().role.reads_everything();
        let items = stmt
            .query_map(params![q.year_group, text, flag, limit, q.offset], |r| {
                r.get::<_, String>(0)
            })?
            .map(|s| {
                let summary: PupilSummary = serde_json::from_str(&s?)?;
                Ok(if full { summary } else { summary.names_only() })
            })
            .collect::<Result<_>>()?;
        Ok(PupilPage { total, items })
    }

    /// One pupil's name and year (every role; the flags only for those who read everything).
    pub fn pupil_summary(&self, pupil: Id) -> Result<PupilSummary> {
        let found = self.pupil_details_map(Some(&[pupil]))?;
        let (id, d) = found.first().ok_or(Error::NotFound { what: "pupil" })?;
        Ok(self.summary(*id, d))
    }

    pub fn pupil_by_upn(&self, upn: &str) -> Result<Id> {
        let id: Option<String> = self
            .conn()
            .query_row("SELECT id FROM pupils WHERE upn = ?1", [upn.trim()], |r| {
                r.get(0)
            })
            .optional()?;
        parse_id(&id.ok_or(Error::NotFound {
            what: "pupil with that UPN",
        })?)
    }

    /// Opens a child's file: details, amendment history, household. Audited.
    pub fn pupil_file(&mut self, pupil: Id) -> Result<PupilFile> {
        self.require(Role::reads_everything)?;
        let file = self.reading(|| self.pupil_file_read(pupil))?;
        self.audit_read(Action::PupilOpen, &[pupil])?;
        Ok(file)
    }

    fn pupil_file_read(&self, pupil: Id) -> Result<PupilFile> {
        let names = self.names()?;
        let (body, created_at): (String, String) = self
            .conn()
            .query_row(
                "SELECT body, created_at FROM pupils WHERE id = ?1",
                [pupil.to_string()],
                |r| TryFrom::try_from(r),
            )
            .optional()?
            .ok_or(Error::NotFound { what: "pupil" })?;
        let amendments = self
            .amendments_for(&[pupil.to_string()], &names)?
            .remove(&pupil.to_string())
            .unwrap_or_default();
        let details: PupilDetails = current(&body, &amendments)?;
        let household = self.household_of(pupil, &names)?;
        let sibling_ids = self.siblings_of(pupil)?;
        let siblings = self
            .pupil_details_map(Some(&sibling_ids))?
            .iter()
            .map(|(id, d)| self.summary(*id, d))
            .collect();
        Ok(PupilFile {
            id: pupil,
            fields: shown_fields(&details)?,
            details,
            created_at: parse_time(&created_at)?,
            amendments,
            household,
            siblings,
        })
    }
}
