//! Read-side views of the work the safeguarding team tracks: follow-ups (open and recently
//! completed) and escalations under the local resolution procedure, with their full history for
//! the head's review. Amendments are applied; working-day timeliness comes from the calendar.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::queries::{AmendmentView, FollowUpItem};
use super::{Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{current, read_event};
use crate::records::*;
use crate::time::{london_date, parse_date};

/// Follow-ups: every open one (oldest due first) and the most recently completed.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FollowUpList {
    pub open: Vec<FollowUpItem>,
    pub completed: Vec<CompletedFollowUp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CompletedFollowUp {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub action: String,
    pub due_on: NaiveDate,
    pub completed_at: DateTime<Utc>,
    pub completed_by: String,
    pub outcome: String,
    /// Completed after its due date.
    pub late: bool,
}

/// Someone a follow-up can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Assignee {
    pub id: Id,
    pub name: String,
    pub role: Role,
}

/// Which escalations the list shows: open ones or all (the head's review), a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EscalationQuery {
    pub include_resolved: bool,
    pub offset: u32,
    /// 0 for the default page (25); at most 200.
    pub limit: u32,
}

/// A page of escalations, newest first, each with its whole history.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EscalationPage {
    /// Escalations matching the query (every page).
    pub total: u32,
    pub offset: u32,
    pub items: Vec<EscalationView>,
}

/// One escalation with its whole history, as the head reviews it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EscalationView {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub referral_id: Option<Id>,
    pub agency: String,
    pub subject: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub stages: Vec<StageView>,
    pub resolution: Option<EscalationEventView>,
    pub review_comments: Vec<EscalationEventView>,
    /// The procedure has a stage after the current one.
    pub can_escalate: bool,
    pub amendments: Vec<AmendmentView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct StageView {
    pub id: Id,
    pub stage_no: u32,
    pub stage_name: String,
    pub raised_on: NaiveDate,
    pub due_on: NaiveDate,
    pub with_name: String,
    pub with_role: String,
    pub with_agency: String,
    pub disagreement: String,
    pub evidence: String,
    pub recorded_by: String,
    pub responses: Vec<EscalationEventView>,
    /// Working days from raising the stage to the first response (or to today while waiting).
    pub working_days_taken: i64,
    /// Answered (or the escalation resolved) by the due date; `None` while waiting and not
    /// yet due.
    pub on_time: Option<bool>,
    pub amendments: Vec<AmendmentView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EscalationEventView {
    pub id: Id,
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
}

/// How many completed follow-ups the list shows.
const RECENTLY_COMPLETED: i64 = 50;

impl Session {
    /// Open follow-ups due by `due_by` (all when `None`), oldest due first, as amended. The team
    /// sees everyone's; others only their own. Shared by the list and Today.
    pub(crate) fn open_follow_up_items(
        &self,
        due_by: Option<NaiveDate>,
    ) -> Result<Vec<FollowUpItem>> {
        let today = london_date(self.now());
        let cal = self.calendar()?;
        let names = self.names()?;
        let me = (!self.user().role.reads_everything()).then(|| self.user().id.to_string());
        let rows: Vec<(String, String, String, String, String, Option<String>)> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT f.id, f.pupil_id, f.body, o.owner_id, o.due_on, f.source_id
                 FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id
                 WHERE (?1 IS NULL OR o.due_on <= ?1) AND (?2 IS NULL OR o.owner_id = ?2)
                 ORDER BY o.due_on, f.seq",
            )?;
            stmt.query_map(params![due_by.map(crate::time::fmt_date), &me], |r| {
                TryFrom::try_from(r)
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let amendments = self.amendments_for(&ids, &names)?;
        let pupils: Vec<Uuid> = rows.iter().map(|r| parse_id(&r.1)).collect::<Result<_>>()?;
        let pupil_names = self.pupil_names(&pupils)?;
        rows.iter()
            .map(|(id, pupil, body, owner, due, source)| {
                let pupil = parse_id(pupil)?;
                let due = parse_date(due)?;
                let a = amendments.get(id).map(Vec::as_slice).unwrap_or(&[]);
                Ok(FollowUpItem {
                    id: parse_id(id)?,
                    pupil_id: pupil,
                    pupil_name: pupil_names.get(&pupil).cloned().unwrap_or_default(),
                    action: current::<FollowUpDetails>(body, a)?.action,
                    owner: names.user(owner),
                    due_on: due,
                    working_days_left: cal.working_days_between(today, due),
                    source_id: source.as_deref().map(parse_id).transpose()?,
                })
            })
            .collect()
    }

    /// Open follow-ups (the team sees all; others only their own), and the recently completed.
    pub fn follow_ups(&self) -> Result<FollowUpList> {
        self.reading(|| self.follow_ups_read())
    }

    fn follow_ups_read(&self) -> Result<FollowUpList> {
        let names = self.names()?;
        let me = (!self.user().role.reads_everything()).then(|| self.user().id.to_string());
        let open = self.open_follow_up_items(None)?;
        let done_rows: Vec<(String, String, String, String, String, String, String)> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT f.id, f.pupil_id, f.body, f.due_on, e.at, e.by_user, e.body
                 FROM follow_up_events e JOIN follow_ups f ON f.id = e.follow_up_id
                 WHERE e.event = 'completed' AND (?1 IS NULL OR e.by_user = ?1 OR f.owner_id = ?1)
                 ORDER BY e.seq DESC LIMIT ?2",
            )?;
            stmt.query_map(params![&me, RECENTLY_COMPLETED], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        let ids: Vec<String> = done_rows.iter().map(|r| r.0.clone()).collect();
        let amendments = self.amendments_for(&ids, &names)?;
        let pupils: Vec<Uuid> = done_rows
            .iter()
            .map(|r| parse_id(&r.1))
            .collect::<Result<_>>()?;
        let pupil_names = self.pupil_names(&pupils)?;
        let completed = done_rows
            .iter()
            .map(|(id, pupil, body, due, at, by, outcome)| {
                let pupil = parse_id(pupil)?;
                let due = parse_date(due)?;
                let completed_at = parse_time(at)?;
                let outcome: FollowUpOutcome = read_event(outcome)?;
                let a = amendments.get(id).map(Vec::as_slice).unwrap_or(&[]);
                Ok(CompletedFollowUp {
                    id: parse_id(id)?,
                    pupil_id: pupil,
                    pupil_name: pupil_names.get(&pupil).cloned().unwrap_or_default(),
                    action: current::<FollowUpDetails>(body, a)?.action,
                    due_on: due,
                    completed_at,
                    completed_by: names.user(by),
                    outcome: outcome.outcome,
                    late: london_date(completed_at) > due,
                })
            })
            .collect::<Result<_>>()?;
        Ok(FollowUpList { open, completed })
    }

    /// The active users a follow-up can be assigned to (the safeguarding team assigns).
    pub fn assignees(&self) -> Result<Vec<Assignee>> {
        self.require(Role::is_safeguarding_lead)?;
        Ok(self
            .users()?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| Assignee {
                id: u.id,
                name: u.name,
                role: u.role,
            })
            .collect())
    }

    /// Escalations, newest first: the open ones, or all of them (the head's review).
    pub fn escalations(&self, include_resolved: bool) -> Result<Vec<EscalationView>> {
        self.require(Role::reads_everything)?;
        let filter = if include_resolved {
            "1 = 1"
        } else {
            "e.id IN (SELECT escalation_id FROM open_escalations)"
        };
        self.reading(|| self.escalation_views(filter, None, None))
    }

    /// Escalations a page at a time, newest first (the list and the head's review): only the
    /// page's histories are read, so the review does not slow as the years add up.
    pub fn escalation_page(&self, q: &EscalationQuery) -> Result<EscalationPage> {
        self.require(Role::reads_everything)?;
        self.reading(|| self.escalation_page_read(q))
    }

    fn escalation_page_read(&self, q: &EscalationQuery) -> Result<EscalationPage> {
        let filter = if q.include_resolved {
            "1 = 1"
        } else {
            "e.id IN (SELECT escalation_id FROM open_escalations)"
        };
        let total: u32 = self.conn().query_row(
            &format!("SELECT count(*) FROM escalations e WHERE {filter}"),
            [],
            |r| r.get(0),
        )?;
        let limit = if q.limit == 0 { 25 } else { q.limit.min(200) };
        Ok(EscalationPage {
            total,
            offset: q.offset,
            items: self.escalation_views(filter, None, Some((limit, q.offset)))?,
        })
    }

    /// The escalations about one child, newest first.
    pub fn escalations_for_pupil(&self, pupil: Id) -> Result<Vec<EscalationView>> {
        self.require(Role::reads_everything)?;
        self.escalation_views("e.pupil_id = ?1", Some(pupil.to_string()), None)
    }

    /// One escalation's whole history. Reading it is audited (the head's review).
    pub fn escalation(&mut self, id: Id) -> Result<EscalationView> {
        self.require(Role::reads_everything)?;
        let view = self
            .escalation_views("e.id = ?1", Some(id.to_string()), None)?
            .into_iter()
            .next()
            .ok_or(Error::NotFound { what: "escalation" })?;
        self.audit_read(Action::EscalationRead, &[id, view.pupil_id])?;
        Ok(view)
    }

    /// The escalations matching `filter` (with at most one parameter), newest first, `page`
    /// (limit, offset) of them or all, each with its stages, events and amendments.
    fn escalation_views(
        &self,
        filter: &str,
        arg: Option<String>,
        page: Option<(u32, u32)>,
    ) -> Result<Vec<EscalationView>> {
        let today = london_date(self.now());
        let cal = self.calendar()?;
        let names = self.names()?;
        let stage_count = self.resolution_procedure()?.stages.len() as u32;
        let arg = arg.unwrap_or_default();
        let heads: Vec<(String, String, String, String, Option<String>, String)> = {
            let (limit, offset) = page.map_or((-1, 0), |(l, o)| (i64::from(l), i64::from(o)));
            let sql = format!(
                "SELECT e.id, e.pupil_id, e.opened_at, e.opened_by, e.referral_id, e.body
                 FROM escalations e WHERE {filter} AND ?1 = ?1 ORDER BY e.seq DESC LIMIT ?2 OFFSET ?3"
            );
            let mut stmt = self.conn().prepare_cached(&sql)?;
            stmt.query_map(params![&arg, limit, offset], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        if heads.is_empty() {
            return Ok(Vec::new());
        }
        let id_list = serde_json::to_string(&heads.iter().map(|h| &h.0).collect::<Vec<_>>())?;
        type StageRow = (String, String, i64, String, String, String, String);
        let stages: Vec<StageRow> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT s.escalation_id, s.id, s.stage_no, s.raised_on, s.due_on, s.recorded_by, s.body
                 FROM escalation_stages s WHERE s.escalation_id IN (SELECT value FROM json_each(?1))
                 ORDER BY s.stage_no",
            )?;
            stmt.query_map([&id_list], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        type EventRow = (
            String,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
        );
        let events: Vec<EventRow> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT v.escalation_id, v.id, v.stage_id, v.event, v.at, v.by_user, v.body
                 FROM escalation_events v WHERE v.escalation_id IN (SELECT value FROM json_each(?1))
                 ORDER BY v.seq",
            )?;
            stmt.query_map([&id_list], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?
        };
        let record_ids: Vec<String> = heads
            .iter()
            .map(|h| h.0.clone())
            .chain(stages.iter().map(|s| s.1.clone()))
            .chain(events.iter().map(|v| v.1.clone()))
            .collect();
        let mut amendments = self.amendments_for(&record_ids, &names)?;
        let pupils: Vec<Uuid> = heads
            .iter()
            .map(|h| parse_id(&h.1))
            .collect::<Result<_>>()?;
        let pupil_names = self.pupil_names(&pupils)?;

        let mut by_escalation: HashMap<&str, Vec<EscalationEventView>> = HashMap::new();
        let mut responses: HashMap<&str, Vec<EscalationEventView>> = HashMap::new();
        let mut resolutions: HashMap<&str, EscalationEventView> = HashMap::new();
        for (esc, id, stage, event, at, by, body) in &events {
            let a = amendments.remove(id).unwrap_or_default();
            let d: EscalationEventDetails = current(body, &a)?;
            let view = EscalationEventView {
                id: parse_id(id)?,
                at: parse_time(at)?,
                by: names.user(by),
                text: d.text,
            };
            match (event.as_str(), stage) {
                ("response", Some(stage)) => responses.entry(stage).or_default().push(view),
                ("resolved", _) => {
                    resolutions.insert(esc, view);
                }
                _ => by_escalation.entry(esc).or_default().push(view),
            }
        }
        let mut stage_views: HashMap<&str, Vec<StageView>> = HashMap::new();
        for (esc, id, no, raised, due, by, body) in &stages {
            let a = amendments.remove(id).unwrap_or_default();
            let d: StageDetails = current(body, &a)?;
            let raised_on = parse_date(raised)?;
            let due_on = parse_date(due)?;
            let answers = responses.remove(id.as_str()).unwrap_or_default();
            let answered_on = answers.first().map(|r| london_date(r.at));
            let until = answered_on.unwrap_or(today);
            stage_views.entry(esc).or_default().push(StageView {
                id: parse_id(id)?,
                stage_no: *no as u32,
                stage_name: d.stage_name,
                raised_on,
                due_on,
                with_name: d.with_name,
                with_role: d.with_role,
                with_agency: d.with_agency,
                disagreement: d.disagreement,
                evidence: d.evidence,
                recorded_by: names.user(by),
                responses: answers,
                working_days_taken: cal.working_days_between(raised_on, until),
                on_time: match answered_on {
                    Some(day) => Some(day <= due_on),
                    None if today > due_on => Some(false),
                    None => None,
                },
                amendments: a,
            });
        }
        heads
            .iter()
            .map(|(id, pupil, opened, by, referral, body)| {
                let a = amendments.remove(id).unwrap_or_default();
                let d: EscalationDetails = current(body, &a)?;
                let pupil = parse_id(pupil)?;
                let mut stages = stage_views.remove(id.as_str()).unwrap_or_default();
                let resolution = resolutions.remove(id.as_str());
                // Resolving ends the last stage: its time runs to the resolution, not to today.
                if let (Some(r), Some(last)) = (&resolution, stages.last_mut())
                    && last.responses.is_empty()
                {
                    let day = london_date(r.at);
                    last.working_days_taken = cal.working_days_between(last.raised_on, day);
                    last.on_time = Some(day <= last.due_on);
                }
                let current = stages.last().map_or(0, |s| s.stage_no);
                Ok(EscalationView {
                    id: parse_id(id)?,
                    pupil_id: pupil,
                    pupil_name: pupil_names.get(&pupil).cloned().unwrap_or_default(),
                    referral_id: referral.as_deref().map(parse_id).transpose()?,
                    agency: d.agency,
                    subject: d.subject,
                    opened_at: parse_time(opened)?,
                    opened_by: names.user(by),
                    can_escalate: resolution.is_none() && current < stage_count,
                    resolution,
                    review_comments: by_escalation.remove(id.as_str()).unwrap_or_default(),
                    stages,
                    amendments: a,
                })
            })
            .collect()
    }
}
