//! Derived state kept on write: each concern's current time and categories
//! (`concern_facts`), written with the concern and rewritten by an amendment of either, in the
//! same transaction. It is not a record: when it is missing (a store from before it) it is
//! rebuilt from the records at the team's next unlock, and `tests/current_view.rs` checks it
//! against the current view of every concern.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::Session;
use super::queries::amended;
use crate::error::Result;
use crate::kinds::current;
use crate::records::{Category, ConcernDetails, Id};
use crate::time::fmt_utc;

/// Writes (or rewrites) one concern's facts from its current view.
pub(crate) fn put_concern_facts(
    c: &Connection,
    concern: Id,
    pupil: Id,
    d: &ConcernDetails,
) -> Result<()> {
    put_facts(c, concern, pupil, d.observed_at, &d.categories)
}

fn put_facts(
    c: &Connection,
    concern: Id,
    pupil: Id,
    observed_at: DateTime<Utc>,
    categories: &[Category],
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO concern_facts (concern_id, pupil_id, observed_at, categories) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (concern_id) DO UPDATE SET observed_at = excluded.observed_at, categories = excluded.categories",
    )?
    .execute(params![
        concern.to_string(),
        pupil.to_string(),
        fmt_utc(observed_at),
        serde_json::to_string(categories)?
    ])?;
    Ok(())
}

impl Session {
    /// Rebuilds the concern facts when they do not account for every concern (a store from
    /// before them). Returns how many concerns were read.
    pub(super) fn rebuild_derived_if_missing(&mut self) -> Result<usize> {
        let (concerns, facts): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT count(*) FROM concerns), (SELECT count(*) FROM concern_facts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if concerns == facts {
            return Ok(0);
        }
        let amended_ids: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT record_id FROM amendments WHERE record_kind = 'concern'")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let amendments = self.amendments_for(&amended_ids, &self.names()?)?;
        let mut rows = Vec::with_capacity(concerns as usize);
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, pupil_id, observed_at, body FROM concerns")?;
            let mut q = stmt.query([])?;
            while let Some(r) = q.next()? {
                let (id, pupil, observed, body): (String, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                // A body this build cannot read (shown as unreadable in the chronology) still
                // counts as a concern, at the time first recorded, with no categories known:
                // one such record must not keep the team out.
                let facts = match current::<ConcernDetails>(&body, amended(&amendments, &id)) {
                    Ok(d) => (d.observed_at, d.categories),
                    Err(_) => (super::parse_time(&observed)?, Vec::new()),
                };
                rows.push((super::parse_id(&id)?, super::parse_id(&pupil)?, facts));
            }
        }
        let sp = self.conn.savepoint()?;
        sp.execute("DELETE FROM concern_facts", [])?;
        for (id, pupil, (observed_at, categories)) in &rows {
            put_facts(&sp, *id, *pupil, *observed_at, categories)?;
        }
        sp.commit()?;
        Ok(rows.len())
    }
}
