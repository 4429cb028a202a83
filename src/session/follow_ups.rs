//! Follow-ups: an action owed for a child, assigned to someone, due on a date; completed with
//! its outcome or reassigned (events, not edits). The list and Today's share of it.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::pupils::pupil_exists;
use super::search::index_body;
use super::{Ctx, Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{current, encode, encode_event, read_event};
use crate::records::*;
use crate::time::{fmt_date, london_date, parse_date};

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

/// How many completed follow-ups the list shows.
const RECENTLY_COMPLETED: i64 = 50;

fn active_user_exists(c: &Connection, id: Uuid) -> Result<()> {
    let found: bool = c.query_row(
        concat!(
            "SELECT EXISTS (SELECT 1 FROM users u WHERE id = ?1 AND NOT ",
            super::removed!(),
            ")"
        ),
        [id.to_string()],
        |r| r.get(0),
    )?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound { what: "user" })
    }
}

pub(super) fn insert_follow_up(
    c: &Connection,
    ctx: &Ctx,
    pupil_id: Uuid,
    source_id: Option<Uuid>,
    owner: Uuid,
    due_on: NaiveDate,
    details: &FollowUpDetails,
) -> Result<Uuid> {
    let id = ctx.new_id();
    c.prepare_cached(
        "INSERT INTO follow_ups (id, device_id, created_at, created_by, pupil_id, source_id, owner_id, due_on, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id.to_string(),
        ctx.device,
        ctx.now_text(),
        ctx.user.to_string(),
        pupil_id.to_string(),
        source_id.map(|s| s.to_string()),
        owner.to_string(),
        fmt_date(due_on),
        encode(details)?
    ])?;
    index_body(c, ctx, id, Some(pupil_id), details)?;
    Ok(id)
}

impl Session {
    pub fn add_follow_up(&mut self, n: &NewFollowUp) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        n.details.validate(self.now())?;
        if n.due_on < self.now().date_naive() - chrono::Duration::days(366) {
            return Err(Error::invalid("due date", "is more than a year ago"));
        }
        self.write(Action::FollowUpAdd, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            let owner = n.owner_id.unwrap_or(ctx.user);
            active_user_exists(c, owner)?;
            let id =
                insert_follow_up(c, ctx, n.pupil_id, n.source_id, owner, n.due_on, &n.details)?;
            Ok((id, vec![id, n.pupil_id]))
        })
    }

    fn follow_up_state(&self, id: Id) -> Result<(Uuid, Uuid, bool)> {
        let row: Option<(String, String, bool)> = self
            .conn()
            .query_row(
                "SELECT f.pupil_id,
                        coalesce((SELECT owner_id FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'reassigned' ORDER BY seq DESC LIMIT 1), f.owner_id),
                        EXISTS (SELECT 1 FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'completed')
                 FROM follow_ups f WHERE f.id = ?1",
                [id.to_string()],
                |r| TryFrom::try_from(r),
            )
            .optional()?;
        let (p, o, done) = row.ok_or(Error::NotFound { what: "follow-up" })?;
        Ok((parse_id(&p)?, parse_id(&o)?, done))
    }

    /// Completes a follow-up with its outcome: the safeguarding team, or the person it is assigned to.
    pub fn complete_follow_up(&mut self, id: Id, outcome: &str) -> Result<()> {
        required("outcome", outcome, MAX_TEXT)?;
        let (pupil, owner, done) = self.follow_up_state(id)?;
        if !self.user.role.is_safeguarding_lead() && owner != self.user.id {
            return Err(Error::Forbidden);
        }
        if done {
            return Err(Error::Conflict {
                what: "that follow-up is already complete",
            });
        }
        self.write(Action::FollowUpComplete, |c, ctx| {
            let ev = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO follow_up_events (id, device_id, at, by_user, follow_up_id, event, owner_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'completed', NULL, ?6)",
            )?
            .execute(params![ev.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), encode_event(&FollowUpOutcome { outcome: outcome.to_owned() })?])?;
            super::search::index_outcome(c, ctx, id, pupil, outcome)?;
            Ok(((), vec![id, pupil]))
        })
    }

    pub fn reassign_follow_up(&mut self, id: Id, owner_id: Id) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        let (pupil, _, done) = self.follow_up_state(id)?;
        if done {
            return Err(Error::Conflict {
                what: "that follow-up is already complete",
            });
        }
        self.write(Action::FollowUpReassign, |c, ctx| {
            active_user_exists(c, owner_id)?;
            c.execute(
                "INSERT INTO follow_up_events (id, device_id, at, by_user, follow_up_id, event, owner_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'reassigned', ?6, ?7)",
                params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), owner_id.to_string(), encode_event(&Reassigned {})?],
            )?;
            Ok(((), vec![id, pupil, owner_id]))
        })
    }

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
}
