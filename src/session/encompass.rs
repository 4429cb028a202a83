//! Operation Encompass: a police notification of domestic abuse for one or more children, each
//! with a follow-up due before the start of the next school day.

use rusqlite::params;

use super::Session;
use super::follow_ups::insert_follow_up;
use super::pupils::pupil_exists;
use super::search::index_body;
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::encode;
use crate::records::*;
use crate::time::{fmt_utc, london_date};

impl Session {
    /// Records a notification for one or more children; creates a follow-up for each, owned by
    /// the person recording it (the Key Adult), due before the start of the next school day.
    pub fn record_encompass(&mut self, n: &NewEncompass) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        let now = self.now();
        n.details.validate(now)?;
        if n.children.is_empty() {
            return Err(Error::invalid("children", "name at least one child"));
        }
        if n.children.len() > 20 {
            return Err(Error::invalid("children", "more than 20"));
        }
        for (i, ch) in n.children.iter().enumerate() {
            ch.validate(now)?;
            if n.children[..i].iter().any(|o| o.pupil_id == ch.pupil_id) {
                return Err(Error::invalid("children", "a child is listed twice"));
            }
        }
        let calendar = self.calendar()?;
        let respond_by = calendar
            .next_school_day_start(n.details.received_at)
            .ok_or(Error::invalid(
                "calendar",
                "has no school day in the next three years",
            ))?;
        self.write(Action::EncompassRecord, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO encompass_notifications (id, device_id, recorded_at, recorded_by, received_at, respond_by, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), fmt_utc(n.details.received_at), fmt_utc(respond_by), encode(&n.details)?],
            )?;
            index_body(c, ctx, id, None, &n.details)?;
            let mut targets = vec![id];
            for ch in &n.children {
                pupil_exists(c, ch.pupil_id)?;
                let child_row = ctx.new_id();
                c.execute(
                    "INSERT INTO encompass_children (id, notification_id, pupil_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![child_row.to_string(), id.to_string(), ch.pupil_id.to_string(), encode(ch)?],
                )?;
                index_body(c, ctx, child_row, Some(ch.pupil_id), ch)?;
                let action = FollowUpDetails {
                    action: "Operation Encompass: see the child before the start of the school day, give the agreed support, consider siblings (here and at other schools) and record what was done.".into(),
                };
                insert_follow_up(c, ctx, ch.pupil_id, Some(id), ctx.user, london_date(respond_by), &action)?;
                targets.push(ch.pupil_id);
            }
            Ok((id, targets))
        })
    }

    /// Adds a child to a notification (a sibling the police did not name), with their own
    /// follow-up due before the start of the next school day after now.
    pub fn add_encompass_child(
        &mut self,
        notification_id: Id,
        child: &EncompassChild,
    ) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        child.validate(self.now())?;
        let due = self
            .calendar()?
            .next_school_day_start(self.now())
            .ok_or(Error::invalid(
                "calendar",
                "has no school day in the next three years",
            ))?;
        self.write(Action::EncompassAddChild, |c, ctx| {
            pupil_exists(c, child.pupil_id)?;
            let exists: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM encompass_notifications WHERE id = ?1)", [notification_id.to_string()], |r| r.get(0))?;
            if !exists {
                return Err(Error::NotFound { what: "notification" });
            }
            let row = ctx.new_id();
            c.execute(
                "INSERT INTO encompass_children (id, notification_id, pupil_id, body) VALUES (?1, ?2, ?3, ?4)",
                params![row.to_string(), notification_id.to_string(), child.pupil_id.to_string(), encode(child)?],
            )
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::Conflict { what: "that child is already on the notification" },
                other => other,
            })?;
            index_body(c, ctx, row, Some(child.pupil_id), child)?;
            let action = FollowUpDetails { action: "Operation Encompass (sibling): check in with the child before the start of the school day and record what was done.".into() };
            let f = insert_follow_up(c, ctx, child.pupil_id, Some(notification_id), ctx.user, london_date(due), &action)?;
            Ok((row, vec![row, notification_id, child.pupil_id, f]))
        })
    }
}
