//! Read-side use cases: pupils, a child's file, chronologies, the dashboard and search.
//! Current views are derived here from the append-only rows and their amendments.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{ShownField, current, read_event, shown_fields};
use crate::records::*;
use crate::time::{london_date, parse_date};

/// One amendment of a record, shown in its history.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AmendmentView {
    pub id: Id,
    pub at: DateTime<Utc>,
    pub by: String,
    pub field: String,
    #[ts(type = "unknown")]
    pub value: serde_json::Value,
    pub reason: String,
    /// The schema version of the record's body the field belongs to (1 before it was kept).
    #[serde(skip)]
    #[ts(skip)]
    pub schema_version: u32,
}

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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChronologyFilter {
    pub kinds: Vec<RecordKind>,
    pub categories: Vec<Category>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ChronologyEntry {
    /// When it happened (observed, spoken, received, made).
    pub at: DateTime<Utc>,
    pub kind: RecordKind,
    pub record_id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub title: String,
    pub text: String,
    /// The child's own words, verbatim, where the record holds them.
    pub child_words: Option<String>,
    pub categories: Vec<Category>,
    /// Every field the record holds, as amended, in its kind's order (empty for a concern
    /// about another child that names this one: that account belongs to the other child).
    pub fields: Vec<ShownField>,
    /// Where the record stands, for kinds with a status (a follow-up open or completed).
    pub status: Option<String>,
    pub author: String,
    pub recorded_at: DateTime<Utc>,
    pub amendments: Vec<AmendmentView>,
    pub attachments: Vec<super::AttachmentView>,
    /// What the person reading may do with this record (the core decides; the window only
    /// shows or hides the buttons): the team amends and attaches to anything, others only to
    /// what they wrote.
    pub may_amend: bool,
    pub may_attach: bool,
}

impl ChronologyEntry {
    /// Every field of the record as "Label: value" lines, then its status: how documents
    /// show a record, so nothing it holds is left out.
    pub fn details_text(&self) -> String {
        let mut lines: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.label, f.value))
            .collect();
        if lines.is_empty() {
            lines.push(self.text.clone());
        }
        lines.extend(self.status.iter().map(|s| format!("Status: {s}")));
        lines.join("\n")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FollowUpItem {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
    /// Working days until due (negative: overdue by that many).
    pub working_days_left: i64,
    pub source_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct NotificationItem {
    pub id: Id,
    pub received_at: DateTime<Utc>,
    pub respond_by: DateTime<Utc>,
    pub overdue: bool,
    pub pupils: Vec<(Id, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReferralItem {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub agency: Agency,
    pub made_at: DateTime<Utc>,
    pub decision_due_on: NaiveDate,
    pub working_days_waiting: i64,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EscalationItem {
    pub escalation_id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub stage_no: u32,
    pub stage_name: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub responded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ConcernItem {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub observed_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub categories: Vec<Category>,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub notifications_awaiting: Vec<NotificationItem>,
    pub follow_ups_overdue: Vec<FollowUpItem>,
    pub follow_ups_due: Vec<FollowUpItem>,
    pub referrals_awaiting_decision: Vec<ReferralItem>,
    pub escalation_stages_due: Vec<EscalationItem>,
    pub recent_concerns: Vec<ConcernItem>,
}

/// How a concern about the child reads in a chronology: its title and text.
pub(crate) fn concern_title_and_text(d: &ConcernDetails) -> (String, String) {
    let labels: Vec<&str> = d.categories.iter().map(|c| c.label()).collect();
    let text = match d.immediate_action.trim().is_empty() {
        true => d.account.clone(),
        false => format!("{}\n\nImmediate action: {}", d.account, d.immediate_action),
    };
    (
        format!("Concern: {}", labels.join(", ")),
        with_body_marks(text, &d.body_marks),
    )
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

/// A concern's text with its body map marks listed after it, side by side with their description.
fn with_body_marks(mut text: String, marks: &[BodyMark]) -> String {
    if marks.is_empty() {
        return text;
    }
    text.push_str("\n\nBody map:");
    for (i, m) in marks.iter().enumerate() {
        let side = match m.side {
            BodySide::Front => "front",
            BodySide::Back => "back",
        };
        text.push_str(&format!("\n{}. ({side}) {}", i + 1, m.description));
    }
    text
}

/// The amendments of one record, from a map loaded by `amendments_for`.
pub(crate) fn amended<'a>(
    map: &'a HashMap<String, Vec<AmendmentView>>,
    id: &str,
) -> &'a [AmendmentView] {
    map.get(id).map(Vec::as_slice).unwrap_or(&[])
}

pub(crate) struct Names {
    users: HashMap<String, String>,
}

impl Names {
    pub(crate) fn user(&self, id: &str) -> String {
        self.users
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(unknown user)".into())
    }
}

impl Session {
    pub(crate) fn names(&self) -> Result<Names> {
        let mut stmt = self.conn().prepare_cached("SELECT id, name FROM users")?;
        let users = stmt
            .query_map([], |r| TryFrom::try_from(r))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Names { users })
    }

    /// Amendments of the given records, grouped by record id, oldest first.
    pub(crate) fn amendments_for(
        &self,
        ids: &[String],
        names: &Names,
    ) -> Result<HashMap<String, Vec<AmendmentView>>> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        super::amend::read_amendments(
            self.conn(),
            super::amend::Amended::Records(&ids),
            Some(names),
            true,
        )
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

    fn household_of(&self, pupil: Id, names: &Names) -> Result<Vec<HouseholdMemberView>> {
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

    /// The open follow-ups created from a record (e.g. one per child of a notification).
    pub fn open_follow_ups_for(&self, source_id: Id) -> Result<Vec<Id>> {
        self.require(Role::is_safeguarding_lead)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.id FROM follow_ups f JOIN open_follow_ups o ON o.follow_up_id = f.id WHERE f.source_id = ?1 ORDER BY f.seq",
        )?;
        let ids = stmt
            .query_map([source_id.to_string()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    // ---- Today ----

    /// What needs doing: notifications awaiting action, follow-ups overdue and due in the next
    /// two working days, referrals awaiting a decision, escalation stages due, recent concerns.
    /// Staff see only follow-ups assigned to them and concerns they recorded.
    pub fn dashboard(&self) -> Result<Dashboard> {
        self.reading(|| self.dashboard_read())
    }

    fn dashboard_read(&self) -> Result<Dashboard> {
        let now = self.now();
        let today = london_date(now);
        let cal = self.calendar()?;
        let horizon = cal.add_working_days(today, 2);
        let names = self.names()?;
        let lead = self.user().role.reads_everything();
        let me = self.user().id.to_string();
        let mut pupil_ids: BTreeSet<Uuid> = BTreeSet::new();

        let mut notif_rows: Vec<(String, String, String)> = Vec::new();
        let mut notif_children: HashMap<String, Vec<Uuid>> = HashMap::new();
        if lead {
            let mut stmt = self.conn().prepare_cached(
                "SELECT DISTINCT n.id, n.received_at, n.respond_by FROM open_follow_ups o
                 JOIN follow_ups f ON f.id = o.follow_up_id
                 JOIN encompass_notifications n ON n.id = f.source_id ORDER BY n.respond_by",
            )?;
            notif_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let mut kids = self.conn().prepare_cached(
                "SELECT pupil_id FROM encompass_children WHERE notification_id = ?1 ORDER BY seq",
            )?;
            for (id, _, _) in &notif_rows {
                let ps = kids
                    .query_map([id], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let ps: Vec<Uuid> = ps.iter().map(|s| parse_id(s)).collect::<Result<_>>()?;
                pupil_ids.extend(ps.iter().copied());
                notif_children.insert(id.clone(), ps);
            }
        }
        let mut referral_rows: Vec<(String, String, String, String, String)> = Vec::new();
        let mut stage_rows: Vec<(String, String, i64, String, String, bool, String)> = Vec::new();
        if lead {
            let mut stmt = self.conn().prepare_cached(
                // CROSS JOIN: the few open items first (the planner, without statistics, would
                // scan every referral or stage and look each up in the small table).
                "SELECT r.id, r.pupil_id, r.made_at, o.decision_due_on, r.body FROM open_referrals o
                 CROSS JOIN referrals r ON r.id = o.referral_id ORDER BY o.decision_due_on",
            )?;
            referral_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = self.conn().prepare_cached(
                "SELECT e.id, e.pupil_id, s.stage_no, s.due_on, s.body,
                        EXISTS (SELECT 1 FROM escalation_events v WHERE v.stage_id = s.id AND v.event = 'response'),
                        s.id
                 FROM open_escalations o CROSS JOIN escalations e ON e.id = o.escalation_id
                 CROSS JOIN escalation_stages s ON s.escalation_id = e.id
                 AND s.stage_no = (SELECT max(stage_no) FROM escalation_stages x WHERE x.escalation_id = e.id)
                 ORDER BY s.due_on",
            )?;
            stage_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
        }
        let concern_rows: Vec<(String, String, String, String, String)> = {
            let since = crate::time::fmt_utc(now - Duration::days(7));
            let mut stmt = self.conn().prepare_cached(
                "SELECT id, pupil_id, recorded_at, recorded_by, body FROM concerns
                 WHERE recorded_at >= ?1 AND (?2 IS NULL OR recorded_by = ?2) ORDER BY recorded_at DESC LIMIT 30",
            )?;
            stmt.query_map(params![since, (!lead).then_some(me.as_str())], |r| {
                TryFrom::try_from(r)
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        for p in referral_rows
            .iter()
            .map(|r| &r.1)
            .chain(stage_rows.iter().map(|r| &r.1))
            .chain(concern_rows.iter().map(|r| &r.1))
        {
            pupil_ids.insert(parse_id(p)?);
        }
        let ids: Vec<Uuid> = pupil_ids.into_iter().collect();
        let pupil_names = self.pupil_names(&ids)?;
        let pname = |id: &Uuid| pupil_names.get(id).cloned().unwrap_or_default();
        let record_ids: Vec<String> = referral_rows
            .iter()
            .map(|r| r.0.clone())
            .chain(stage_rows.iter().map(|r| r.6.clone()))
            .chain(concern_rows.iter().map(|r| r.0.clone()))
            .collect();
        let amendments = self.amendments_for(&record_ids, &names)?;
        let amended = |id: &str| amendments.get(id).map(Vec::as_slice).unwrap_or(&[]);

        // Follow-ups due within two working days, split into overdue and due (as amended).
        let (follow_ups_overdue, follow_ups_due): (Vec<_>, Vec<_>) = self
            .open_follow_up_items(Some(horizon))?
            .into_iter()
            .partition(|f| f.due_on < today);
        let notifications_awaiting = notif_rows
            .into_iter()
            .map(|(id, received, respond)| {
                let respond_by = parse_time(&respond)?;
                let pupils = notif_children
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p, pname(&p)))
                    .collect();
                Ok(NotificationItem {
                    id: parse_id(&id)?,
                    received_at: parse_time(&received)?,
                    respond_by,
                    overdue: now > respond_by,
                    pupils,
                })
            })
            .collect::<Result<_>>()?;
        let referrals_awaiting_decision = referral_rows
            .into_iter()
            .map(|(id, pupil, made, due, body)| {
                let pupil = parse_id(&pupil)?;
                let made_at = parse_time(&made)?;
                let due = parse_date(&due)?;
                let d: ReferralDetails = current(&body, amended(&id))?;
                Ok(ReferralItem {
                    id: parse_id(&id)?,
                    pupil_id: pupil,
                    pupil_name: pname(&pupil),
                    agency: d.agency,
                    made_at,
                    decision_due_on: due,
                    working_days_waiting: cal.working_days_between(london_date(made_at), today),
                    overdue: today > due,
                })
            })
            .collect::<Result<_>>()?;
        let stage_horizon = cal.add_working_days(today, 1);
        let escalation_stages_due = stage_rows
            .into_iter()
            .filter_map(|(id, pupil, no, due, body, responded, stage_id)| {
                let due = match parse_date(&due) {
                    Ok(d) => d,
                    Err(e) => return Some(Err(e)),
                };
                if due > stage_horizon && !responded {
                    return None;
                }
                Some((|| {
                    let stage_name = current::<StageDetails>(&body, amended(&stage_id))?.stage_name;
                    let pupil = parse_id(&pupil)?;
                    Ok(EscalationItem {
                        escalation_id: parse_id(&id)?,
                        pupil_id: pupil,
                        pupil_name: pname(&pupil),
                        stage_no: no as u32,
                        stage_name,
                        due_on: due,
                        overdue: today > due && !responded,
                        responded,
                    })
                })())
            })
            .collect::<Result<_>>()?;
        let recent_concerns = concern_rows
            .into_iter()
            .map(|(id, pupil, recorded, by, body)| {
                let pupil = parse_id(&pupil)?;
                let d: ConcernDetails = current(&body, amended(&id))?;
                Ok(ConcernItem {
                    id: parse_id(&id)?,
                    pupil_id: pupil,
                    pupil_name: pname(&pupil),
                    observed_at: d.observed_at,
                    recorded_at: parse_time(&recorded)?,
                    categories: d.categories,
                    author: names.user(&by),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Dashboard {
            today,
            notifications_awaiting,
            follow_ups_overdue,
            follow_ups_due,
            referrals_awaiting_decision,
            escalation_stages_due,
            recent_concerns,
        })
    }
}
