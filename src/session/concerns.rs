//! Concerns: what any member of staff records about a child (their words, a body map, other
//! children named), checked the same way wherever it is recorded.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::pupils::pupil_exists;
use super::search::index_body;
use super::{Ctx, Session};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::encode;
use crate::records::*;
use crate::time::fmt_utc;

impl Session {
    /// Records a concern. Any member of staff may.
    pub fn record_concern(&mut self, n: &NewConcern) -> Result<Id> {
        check_concern(n, self.now())?;
        self.write(Action::ConcernRecord, |c, ctx| {
            let id = ctx.new_id();
            let targets = insert_concern(c, ctx, id, n)?;
            Ok((id, targets))
        })
    }
}

/// What a concern must be before it is written (also checked on a staff member's laptop before
/// it goes into the inbox, and again when the team files it).
pub(crate) fn check_concern(n: &NewConcern, now: DateTime<Utc>) -> Result<()> {
    n.details.validate(now)?;
    if n.other_children.len() > 50 {
        return Err(Error::invalid("other children", "more than 50"));
    }
    for o in &n.other_children {
        o.validate(now)?;
        if o.pupil_id == Some(n.pupil_id) {
            return Err(Error::invalid(
                "other children",
                "the concern's own pupil is listed as another child",
            ));
        }
    }
    Ok(())
}

/// Writes a concern as `id`, by `ctx.user` at `ctx.now`; returns the ids it concerns.
pub(crate) fn insert_concern(
    c: &Connection,
    ctx: &Ctx,
    id: Uuid,
    n: &NewConcern,
) -> Result<Vec<Uuid>> {
    pupil_exists(c, n.pupil_id)?;
    c.prepare_cached(
        "INSERT INTO concerns (id, device_id, recorded_at, recorded_by, pupil_id, observed_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id.to_string(),
        ctx.device,
        ctx.now_text(),
        ctx.user.to_string(),
        n.pupil_id.to_string(),
        fmt_utc(n.details.observed_at),
        encode(&n.details)?
    ])?;
    super::derived::refresh(c, RecordKind::Concern, id)?;
    let mut targets = vec![id, n.pupil_id];
    for o in &n.other_children {
        if let Some(p) = o.pupil_id {
            pupil_exists(c, p)?;
            targets.push(p);
        }
        c.prepare_cached("INSERT INTO concern_children (concern_id, pupil_id, name, role) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id.to_string(), o.pupil_id.map(|p| p.to_string()), o.name, o.role])?;
    }
    index_body(c, ctx, id, Some(n.pupil_id), &n.details)?;
    Ok(targets)
}
