//! Escalations under the local safeguarding partnership's resolution procedure: opened at stage
//! 1, advanced stage by stage with working-day due dates, answered, resolved, and reviewed by the
//! head, who reads each one's whole history (amendments applied).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::amend::AmendmentView;
use super::pupils::pupil_exists;
use super::search::index_body;
use super::{Ctx, Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{current, encode};
use crate::records::*;
use crate::time::{fmt_date, london_date, parse_date};

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

impl Session {
    fn stage_due(&self, stage_no: usize, raised_on: NaiveDate) -> Result<(String, NaiveDate)> {
        let procedure = self.resolution_procedure()?;
        let stage = procedure.stages.get(stage_no - 1).ok_or(Error::invalid(
            "stage",
            "the local procedure has no further stage",
        ))?;
        Ok((
            stage.name.clone(),
            self.calendar()?
                .add_working_days(raised_on, stage.working_days as i64),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_stage(
        c: &Connection,
        ctx: &Ctx,
        escalation_id: Uuid,
        stage_no: usize,
        name: &str,
        due: NaiveDate,
        s: &StageDetails,
        pupil: Uuid,
    ) -> Result<Uuid> {
        let id = ctx.new_id();
        let body = StageDetails {
            stage_name: name.to_owned(),
            ..s.clone()
        };
        c.execute(
            "INSERT INTO escalation_stages (id, device_id, recorded_at, recorded_by, escalation_id, stage_no, raised_on, due_on, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), escalation_id.to_string(), stage_no as i64, fmt_date(s.raised_on), fmt_date(due), encode(&body)?],
        )?;
        index_body(c, ctx, id, Some(pupil), &body)?;
        Ok(id)
    }

    /// Opens a professional disagreement under the local resolution procedure, at stage 1.
    pub fn open_escalation(&mut self, n: &NewEscalation) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        let now = self.now();
        n.details.validate(now)?;
        n.first_stage.validate(now)?;
        let (name, due) = self.stage_due(1, n.first_stage.raised_on)?;
        self.write(Action::EscalationOpen, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            if let Some(r) = n.referral_id {
                let ok: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM referrals WHERE id = ?1 AND pupil_id = ?2)",
                    params![r.to_string(), n.pupil_id.to_string()],
                    |row| row.get(0),
                )?;
                if !ok {
                    return Err(Error::NotFound { what: "referral for this pupil" });
                }
            }
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO escalations (id, device_id, opened_at, opened_by, pupil_id, referral_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), n.pupil_id.to_string(), n.referral_id.map(|r| r.to_string()), encode(&n.details)?],
            )?;
            index_body(c, ctx, id, Some(n.pupil_id), &n.details)?;
            let stage = Self::insert_stage(c, ctx, id, 1, &name, due, &n.first_stage, n.pupil_id)?;
            Ok((id, vec![id, stage, n.pupil_id]))
        })
    }

    fn escalation_state(&self, id: Id) -> Result<(Uuid, usize, Uuid, bool)> {
        let row: Option<(String, i64, String, bool)> = self
            .conn()
            .query_row(
                "SELECT e.pupil_id, s.stage_no, s.id,
                        EXISTS (SELECT 1 FROM escalation_events v WHERE v.escalation_id = e.id AND v.event = 'resolved')
                 FROM escalations e JOIN escalation_stages s ON s.escalation_id = e.id
                 WHERE e.id = ?1 ORDER BY s.stage_no DESC LIMIT 1",
                [id.to_string()],
                |r| TryFrom::try_from(r),
            )
            .optional()?;
        let (p, n, s, resolved) = row.ok_or(Error::NotFound { what: "escalation" })?;
        Ok((parse_id(&p)?, n as usize, parse_id(&s)?, resolved))
    }

    /// Escalates to the next stage of the local procedure.
    pub fn advance_escalation(&mut self, id: Id, s: &StageDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        s.validate(self.now())?;
        let (pupil, current, _, resolved) = self.escalation_state(id)?;
        if resolved {
            return Err(Error::Conflict {
                what: "that escalation is resolved",
            });
        }
        let (name, due) = self.stage_due(current + 1, s.raised_on)?;
        self.write(Action::EscalationAdvance, |c, ctx| {
            let stage = Self::insert_stage(c, ctx, id, current + 1, &name, due, s, pupil)?;
            Ok((stage, vec![id, stage, pupil]))
        })
    }

    fn escalation_event(
        &mut self,
        id: Id,
        event: &'static str,
        action: Action,
        text: &str,
        must_be_open: bool,
    ) -> Result<Id> {
        let body = EscalationEventDetails {
            text: text.to_owned(),
        };
        body.validate(self.now())?;
        let (pupil, _, stage, resolved) = self.escalation_state(id)?;
        if must_be_open && resolved {
            return Err(Error::Conflict {
                what: "that escalation is resolved",
            });
        }
        self.write(action, |c, ctx| {
            let ev = ctx.new_id();
            c.execute(
                "INSERT INTO escalation_events (id, device_id, at, by_user, escalation_id, stage_id, event, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![ev.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), stage.to_string(), event, encode(&body)?],
            )?;
            index_body(c, ctx, ev, Some(pupil), &body)?;
            Ok((ev, vec![ev, id, pupil]))
        })
    }

    /// Records the other agency's response at the current stage.
    pub fn record_escalation_response(&mut self, id: Id, response: &str) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        self.escalation_event(id, "response", Action::EscalationResponse, response, true)
    }

    /// Closes an escalation with its outcome.
    pub fn resolve_escalation(&mut self, id: Id, outcome: &str) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        self.escalation_event(id, "resolved", Action::EscalationResolved, outcome, true)
    }

    /// The head's review comment (the DSL may add one too). Allowed on resolved escalations.
    pub fn add_review_comment(&mut self, id: Id, comment: &str) -> Result<Id> {
        self.require(Role::reviews_escalations)?;
        self.escalation_event(
            id,
            "review_comment",
            Action::EscalationReviewComment,
            comment,
            false,
        )
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
