//! Search: the text every record puts in the full-text index, and finding words in it.
//!
//! `search_text` rows are records (append-only, audited). A record's current text is the newest
//! of its text rows: a correction appends the record's whole current text and a row holding only
//! its reason, and marks the rows it replaced `superseded` in `search_row_roles` (derived state,
//! rebuilt from the records when `SEARCH_VERSION` changes), so an amended word is found only as
//! it now reads. Two FTS5 indexes hold the same rows: `search_recent` those written from a day
//! about a year back (`search_state.recent_from`), `search_index` all of them; the newest hits
//! come from the first, and the second is read for rows before that day only when the first has
//! fewer than asked for. See migrations 011 and 012.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::amend::AmendmentView;
use super::{Ctx, Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::follow_up::FollowUpOutcome;
use crate::kinds::{Body, current, read_event, with_body};
use crate::records::*;
use crate::time::fmt_utc;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub kind: RecordKind,
    pub record_id: Id,
    pub pupil_id: Option<Id>,
    pub pupil_name: Option<String>,
    pub at: DateTime<Utc>,
    pub snippet: String,
}

/// The version of what `classify` makes: bump it when what a row stands for is worked out
/// differently, and every store rebuilds `search_row_roles` at its next unlock.
const SEARCH_VERSION: i64 = 1;

/// How far back the recent index reaches.
const RECENT_DAYS: i64 = 365;

/// What a `search_text` row stands for, when it is not its record's current text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowRole {
    Superseded,
    Reason,
    Outcome,
}

impl RowRole {
    fn as_str(self) -> &'static str {
        match self {
            RowRole::Superseded => "superseded",
            RowRole::Reason => "reason",
            RowRole::Outcome => "outcome",
        }
    }
}

/// Builds an FTS5 query from what a person typed: every word must appear (the last as a
/// prefix); operators and quotes typed by the user are treated as text.
pub(crate) fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    q.push('*');
    Some(q)
}

/// A body's search text as one string: its kind's parts that are not blank, a line each.
fn text_of(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A body's search text, as the index holds it.
pub(crate) fn search_text_of<T: Body>(body: &T) -> String {
    text_of(&body.search_text())
}

/// A record's current text: its stored body with its amendments applied.
fn current_text(kind: RecordKind, stored: &str, amendments: &[AmendmentView]) -> Result<String> {
    with_body!(kind, T => current::<T>(stored, amendments).map(|b| search_text_of(&b)))
}

fn insert_row(
    c: &Connection,
    kind: RecordKind,
    record_id: Uuid,
    pupil_id: Option<Uuid>,
    author: Uuid,
    at: &str,
    body: &str,
) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO search_text (record_kind, record_id, pupil_id, author_id, at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        kind.as_str(),
        record_id.to_string(),
        pupil_id.map(|p| p.to_string()),
        author.to_string(),
        at,
        body
    ])?;
    Ok(c.last_insert_rowid())
}

fn set_role(c: &Connection, row: i64, role: RowRole) -> Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO search_row_roles (row_id, role) VALUES (?1, ?2)")?
        .execute(params![row, role.as_str()])?;
    Ok(())
}

/// Indexes a new record body's search text, as its kind declares it (nothing when it has none).
pub(crate) fn index_body<T: Body>(
    c: &Connection,
    ctx: &Ctx,
    record_id: Uuid,
    pupil_id: Option<Uuid>,
    body: &T,
) -> Result<()> {
    let text = search_text_of(body);
    if !text.is_empty() {
        insert_row(
            c,
            T::KIND,
            record_id,
            pupil_id,
            ctx.user,
            &ctx.now_text(),
            &text,
        )?;
    }
    Ok(())
}

/// Indexes a follow-up's outcome, found with the follow-up (it does not replace its text).
pub(crate) fn index_outcome(
    c: &Connection,
    ctx: &Ctx,
    follow_up: Uuid,
    pupil: Uuid,
    outcome: &str,
) -> Result<()> {
    let text = text_of(&[Some(outcome)]);
    if !text.is_empty() {
        let row = insert_row(
            c,
            RecordKind::FollowUp,
            follow_up,
            Some(pupil),
            ctx.user,
            &ctx.now_text(),
            &text,
        )?;
        set_role(c, row, RowRole::Outcome)?;
    }
    Ok(())
}

/// After a correction: the record's whole current text replaces its earlier text (kept under
/// the record's author, so staff still find their own concern), and the reason is found too.
#[allow(clippy::too_many_arguments)]
pub(crate) fn index_correction(
    c: &Connection,
    kind: RecordKind,
    record_id: Uuid,
    pupil_id: Option<Uuid>,
    author: Uuid,
    corrected_by: Uuid,
    at: &str,
    text: &str,
    reason: &str,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO search_row_roles (row_id, role)
         SELECT s.rowid, 'superseded' FROM search_text s
         WHERE s.record_id = ?1 AND NOT EXISTS (SELECT 1 FROM search_row_roles r WHERE r.row_id = s.rowid)",
    )?
    .execute([record_id.to_string()])?;
    // Written even when empty: it still replaces the text that was there.
    insert_row(c, kind, record_id, pupil_id, author, at, text)?;
    let reason = text_of(&[Some(reason)]);
    if !reason.is_empty() {
        let row = insert_row(c, kind, record_id, pupil_id, corrected_by, at, &reason)?;
        set_role(c, row, RowRole::Reason)?;
    }
    Ok(())
}

/// A `search_text` row, as `classify` reads it.
struct TextRow {
    rowid: i64,
    author: String,
    at: String,
    body: String,
}

/// A correction, as `classify` matches it to its rows.
struct Correction {
    id: Uuid,
    at: String,
    by: String,
    field: String,
    value: serde_json::Value,
    reason: String,
    schema_version: u32,
}

/// What `classify` found: each row's role, and the rows a store written before migration 011
/// still needs (a record's current text, a correction's reason on its own).
#[derive(Default)]
struct Plan {
    roles: Vec<(i64, RowRole)>,
    missing: Vec<Missing>,
}

struct Missing {
    kind: RecordKind,
    record_id: Uuid,
    pupil_id: Option<Uuid>,
    author: Uuid,
    body: String,
    role: Option<RowRole>,
}

/// Works out what every row of every corrected or completed record stands for, from the records
/// alone. Before migration 011 a correction indexed its new value with its reason in one row: such
/// a row is superseded, and the record's current text and the reason alone are missing.
fn classify(c: &Connection) -> Result<Plan> {
    let mut corrections: HashMap<String, (RecordKind, Vec<Correction>)> = HashMap::new();
    {
        let mut stmt = c.prepare(
            "SELECT record_id, record_kind, id, at, by_user, field, value, reason, coalesce(schema_version, 1) FROM amendments ORDER BY seq",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let kind = RecordKind::parse(&r.get::<_, String>(1)?)?;
            corrections
                .entry(r.get(0)?)
                .or_insert_with(|| (kind, Vec::new()))
                .1
                .push(Correction {
                    id: parse_id(&r.get::<_, String>(2)?)?,
                    at: r.get(3)?,
                    by: r.get(4)?,
                    field: r.get(5)?,
                    value: serde_json::from_str(&r.get::<_, String>(6)?)?,
                    reason: r.get(7)?,
                    schema_version: r.get(8)?,
                });
        }
    }
    let mut outcomes: HashMap<String, Vec<(String, String)>> = HashMap::new();
    {
        let mut stmt = c.prepare(
            "SELECT follow_up_id, at, body FROM follow_up_events WHERE event = 'completed'",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            // An outcome of a newer version is matched by its text as written, so its row is
            // still known as the outcome (not taken for the record's own text).
            let body: String = r.get(2)?;
            let outcome = read_event::<FollowUpOutcome>(&body)
                .map(|o| o.outcome)
                .or_else(|_| {
                    serde_json::from_str::<serde_json::Value>(&body)?["outcome"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or(Error::Internal {
                            detail: "a follow-up outcome without its text".into(),
                        })
                });
            let Ok(outcome) = outcome else {
                continue;
            };
            outcomes
                .entry(r.get(0)?)
                .or_default()
                .push((r.get(1)?, text_of(&[Some(&outcome)])));
        }
    }
    let ids: Vec<&String> = corrections.keys().chain(outcomes.keys()).collect();
    let mut rows: HashMap<String, Vec<TextRow>> = HashMap::new();
    {
        let mut stmt = c.prepare(
            "SELECT record_id, rowid, author_id, at, body FROM search_text
             WHERE record_id IN (SELECT value FROM json_each(?1)) ORDER BY rowid",
        )?;
        let mut q = stmt.query([serde_json::to_string(&ids)?])?;
        while let Some(r) = q.next()? {
            rows.entry(r.get(0)?).or_default().push(TextRow {
                rowid: r.get(1)?,
                author: r.get(2)?,
                at: r.get(3)?,
                body: r.get(4)?,
            });
        }
    }
    let mut plan = Plan::default();
    let mut claimed: HashSet<i64> = HashSet::new();
    let empty = Vec::new();
    for (id, list) in &outcomes {
        let rs = rows.get(id).unwrap_or(&empty);
        for (at, outcome) in list {
            if let Some(r) = rs
                .iter()
                .find(|r| !claimed.contains(&r.rowid) && &r.at == at && &r.body == outcome)
            {
                claimed.insert(r.rowid);
                plan.roles.push((r.rowid, RowRole::Outcome));
            }
        }
    }
    for (id, (kind, list)) in &corrections {
        let rs = rows.get(id).unwrap_or(&empty);
        // A reason row is written with its correction, or later by the backfill below; the row
        // a correction wrote before 011 has the correction's own time.
        let unclaimed = |claimed: &HashSet<i64>, at: &str, later: bool, by: &str, body: &str| {
            rs.iter()
                .find(|r| {
                    !claimed.contains(&r.rowid)
                        && (r.at.as_str() == at || (later && r.at.as_str() > at))
                        && r.author == by
                        && r.body == body
                })
                .map(|r| r.rowid)
        };
        // A correction of a record this store does not hold (`verify` names it) has no text.
        let Some((record_id, pupil_id, author, stored)) = record_row(c, *kind, id)? else {
            continue;
        };
        let views: Vec<AmendmentView> = list
            .iter()
            .map(|a| AmendmentView {
                id: a.id,
                at: parse_time(&a.at).unwrap_or_default(),
                by: String::new(),
                field: a.field.clone(),
                value: a.value.clone(),
                reason: a.reason.clone(),
                schema_version: a.schema_version,
            })
            .collect();
        // A record this build cannot read keeps its rows as they are, searchable as written:
        // nothing of it is claimed, superseded or written.
        let Ok(now_reads) = current_text(*kind, &stored, &views) else {
            continue;
        };
        let mut missing_reasons = Vec::new();
        for a in list {
            let reason = text_of(&[Some(&a.reason)]);
            match unclaimed(&claimed, &a.at, true, &a.by, &reason) {
                Some(row) => {
                    claimed.insert(row);
                    plan.roles.push((row, RowRole::Reason));
                }
                None if !reason.is_empty() => missing_reasons.push(a),
                None => {}
            }
            // The row a correction wrote before migration 011: its value with its reason.
            let old = text_of(&[a.value.as_str(), Some(&a.reason)]);
            if old != reason
                && let Some(row) = unclaimed(&claimed, &a.at, false, &a.by, &old)
            {
                claimed.insert(row);
                plan.roles.push((row, RowRole::Superseded));
            }
        }
        // The record's text rows: the newest is current if it reads as the record now does.
        let text_rows: Vec<&TextRow> = rs.iter().filter(|r| !claimed.contains(&r.rowid)).collect();
        let keep = text_rows
            .last()
            .filter(|r| r.body == now_reads)
            .map(|r| r.rowid);
        for r in &text_rows {
            if Some(r.rowid) != keep {
                plan.roles.push((r.rowid, RowRole::Superseded));
            }
        }
        // Written now, with the time they are written (as every row is: the recent index holds
        // the rows written from a day on).
        if keep.is_none() {
            plan.missing.push(Missing {
                kind: *kind,
                record_id,
                pupil_id,
                author,
                body: now_reads,
                role: None,
            });
        }
        for a in missing_reasons {
            plan.missing.push(Missing {
                kind: *kind,
                record_id,
                pupil_id,
                author: parse_id(&a.by)?,
                body: text_of(&[Some(&a.reason)]),
                role: Some(RowRole::Reason),
            });
        }
    }
    Ok(plan)
}

/// A corrected record's id, pupil, author and stored body.
type CorrectedRecord = (Uuid, Option<Uuid>, Uuid, String);

/// A corrected record's id, pupil, author and stored body.
fn record_row(c: &Connection, kind: RecordKind, id: &str) -> Result<Option<CorrectedRecord>> {
    let t = kind.table();
    let row: Option<(String, Option<String>, String)> = c
        .query_row(
            &format!(
                "SELECT {}, {}, body FROM {} WHERE id = ?1",
                t.author, t.pupil, t.name
            ),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((author, pupil, body)) = row else {
        return Ok(None);
    };
    Ok(Some((
        parse_id(id)?,
        pupil.as_deref().map(parse_id).transpose()?,
        parse_id(&author)?,
        body,
    )))
}

/// What `verify` finds wrong with the recent index: it must hold exactly the rows written from
/// `recent_from` on (a row missing from it is found by no search until the day it leaves; a
/// row it holds wrongly would be deleted from it blind). A store without it yet is skipped.
pub(crate) fn recent_index_problems(c: &Connection) -> Result<Vec<String>> {
    let kept_by_time: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('search_state') WHERE name = 'recent_from')",
        [],
        |r| r.get(0),
    )?;
    if !kept_by_time {
        return Ok(Vec::new());
    }
    let from: String = c.query_row("SELECT recent_from FROM search_state", [], |r| r.get(0))?;
    let (held, due) = recent_counts(c, &from)?;
    Ok(if held != due {
        vec![format!(
            "search's recent index holds {held} rows for the {due} written since its floor: `sgd rebuild-derived` makes it again"
        )]
    } else {
        Vec::new()
    })
}

/// The rows the recent index holds, and the rows written since `from` (what it should hold).
fn recent_counts(c: &Connection, from: &str) -> Result<(i64, i64)> {
    Ok(c.prepare_cached(
        "SELECT (SELECT count(*) FROM search_recent_docsize),
                (SELECT count(*) FROM search_text WHERE at >= ?1)",
    )?
    .query_row([from], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Moves the recent index's floor to the start of the day a year ago: the rows written before
/// it leave the recent index, and rows after it that were not in it (the clock was put back, or
/// the index is new) join it. Both are one range of `search_text_at`, so an unlock moves a day's
/// rows at most; the first after migration 012 fills a year's.
///
/// With `make_again` (`sgd rebuild-derived`, after `verify` found it short), or when it does
/// not hold exactly the rows since its floor, the index is made again from the rows since the
/// new floor instead.
fn keep_recent(c: &Connection, now: DateTime<Utc>, make_again: bool) -> Result<()> {
    let from: String = c.query_row("SELECT recent_from FROM search_state", [], |r| r.get(0))?;
    let day = (now - Duration::days(RECENT_DAYS)).date_naive();
    let cutoff = fmt_utc(day.and_time(chrono::NaiveTime::MIN).and_utc());
    if cutoff == from && !make_again {
        return Ok(());
    }
    // Taking out a row the index does not hold would damage it: a floor changed behind the app
    // (the index no longer holds exactly the rows since it) has the index made again instead.
    let (held, due) = recent_counts(c, &from)?;
    // When most of it would leave, it is cheaper to make it again than to take it out row by row.
    let mostly_leaving = || -> Result<bool> {
        let staying: i64 = c
            .prepare_cached("SELECT count(*) FROM search_text WHERE at >= ?1")?
            .query_row([&cutoff], |r| r.get(0))?;
        let leaving = due - staying;
        Ok(leaving > 10_000 && leaving > staying)
    };
    if make_again || held != due || (cutoff > from && mostly_leaving()?) {
        c.execute(
            "INSERT INTO search_recent(search_recent) VALUES ('delete-all')",
            [],
        )?;
        c.execute(
            "INSERT INTO search_recent(rowid, body) SELECT rowid, body FROM search_text WHERE at >= ?1",
            [&cutoff],
        )?;
    } else if cutoff > from {
        c.execute(
            "INSERT INTO search_recent(search_recent, rowid, body)
             SELECT 'delete', rowid, body FROM search_text WHERE at >= ?1 AND at < ?2",
            params![from, cutoff],
        )?;
    } else {
        c.execute(
            "INSERT INTO search_recent(rowid, body) SELECT rowid, body FROM search_text WHERE at >= ?1 AND at < ?2",
            params![cutoff, from],
        )?;
    }
    c.execute("UPDATE search_state SET recent_from = ?1", [&cutoff])?;
    Ok(())
}

/// One page of a search over one index, newest first, below a rowid: the recent index (rows
/// written from `recent_from` on), then `search_index` for the rows written before.
const SEARCH_RECENT: &str = "SELECT s.record_kind, s.record_id, s.pupil_id, s.at, snippet(search_recent, 0, '[', ']', '…', 16), s.rowid
     FROM search_recent JOIN search_text s ON s.rowid = search_recent.rowid
     WHERE search_recent MATCH ?1 AND (?2 IS NULL OR (s.author_id = ?2 AND s.record_kind = 'concern'))
       AND NOT EXISTS (SELECT 1 FROM search_row_roles r WHERE r.row_id = s.rowid AND r.role = 'superseded')
       AND search_recent.rowid < ?4 AND s.at >= ?5
     ORDER BY search_recent.rowid DESC LIMIT ?3";
const SEARCH_OLDER: &str = "SELECT s.record_kind, s.record_id, s.pupil_id, s.at, snippet(search_index, 0, '[', ']', '…', 16), s.rowid
     FROM search_index JOIN search_text s ON s.rowid = search_index.rowid
     WHERE search_index MATCH ?1 AND (?2 IS NULL OR (s.author_id = ?2 AND s.record_kind = 'concern'))
       AND NOT EXISTS (SELECT 1 FROM search_row_roles r WHERE r.row_id = s.rowid AND r.role = 'superseded')
       AND search_index.rowid < ?4 AND s.at < ?5
     ORDER BY search_index.rowid DESC LIMIT ?3";

type Row = (String, String, Option<String>, String, String, i64);

impl Session {
    /// Full-text search across all records' current text, newest first (FTS5 inside the
    /// encrypted database); one hit per record. Staff find only their own concerns.
    pub fn search(&mut self, typed: &str, limit: u32) -> Result<Vec<SearchHit>> {
        crate::records::limit("search", typed, 1000)?;
        let Some(q) = fts_query(typed) else {
            return Ok(Vec::new());
        };
        let hits = self.reading(|| self.search_read(&q, limit))?;
        self.audit_read(Action::Search, &[])?;
        Ok(hits)
    }

    fn search_read(&self, q: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let lead = self.user().role.reads_everything();
        let me = self.user().id.to_string();
        let staff = (!lead).then_some(me.as_str());
        let limit = limit.clamp(1, 200) as usize;
        // A correction's reason and its record's text can both match: pages of a few more rows
        // than hits, read until `limit` records are found or both indexes are exhausted.
        let ask = (limit + limit / 2 + 2) as i64;
        let from: String =
            self.conn()
                .query_row("SELECT recent_from FROM search_state", [], |r| r.get(0))?;
        let mut seen = HashSet::new();
        let mut rows: Vec<Row> = Vec::new();
        for sql in [SEARCH_RECENT, SEARCH_OLDER] {
            let mut below = i64::MAX;
            while rows.len() < limit {
                let page: Vec<Row> = self
                    .conn()
                    .prepare_cached(sql)?
                    .query_map(params![q, staff, ask, below, from], |r| {
                        TryFrom::try_from(r)
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                let exhausted = (page.len() as i64) < ask;
                if let Some(last) = page.last() {
                    below = last.5;
                }
                for r in page {
                    if rows.len() < limit && seen.insert(r.1.clone()) {
                        rows.push(r);
                    }
                }
                if exhausted {
                    break;
                }
            }
        }
        let pupil_ids: Vec<Uuid> = rows
            .iter()
            .filter_map(|r| r.2.as_deref().and_then(|p| parse_id(p).ok()))
            .collect();
        let pupil_names = self.pupil_names(&pupil_ids)?;
        let hits: Vec<SearchHit> = rows
            .into_iter()
            .map(|(kind, id, pupil, at, snippet, _)| {
                let pupil_id = pupil.as_deref().map(parse_id).transpose()?;
                Ok(SearchHit {
                    kind: RecordKind::parse(&kind)?,
                    record_id: parse_id(&id)?,
                    pupil_name: pupil_id.and_then(|p| pupil_names.get(&p).cloned()),
                    pupil_id,
                    at: parse_time(&at)?,
                    snippet,
                })
            })
            .collect::<Result<_>>()?;
        Ok(hits)
    }

    /// Brings search's derived state up to date at the team's unlock: what each row stands for
    /// (when another version worked it out, or `force`), writing the rows an older store lacks
    /// in one audited write; then the recent index's floor.
    pub(super) fn rebuild_search(&mut self, force: bool) -> Result<()> {
        // The recent index's floor is moved whatever becomes of the roles.
        let roles = self.rebuild_search_roles(force);
        let now = self.now();
        let sp = self.conn.savepoint()?;
        keep_recent(&sp, now, force)?;
        sp.commit()?;
        roles
    }

    fn rebuild_search_roles(&mut self, force: bool) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("SELECT version FROM search_state", [], |r| r.get(0))?;
        if !force && version == SEARCH_VERSION {
            return Ok(());
        }
        let mut plan = classify(&self.conn)?;
        if !plan.missing.is_empty() {
            // The rows an older store lacks are written by the safeguarding team in their own
            // name (as the inbox is filed); until one of them unlocks, nothing changes.
            if !self.user.role.is_safeguarding_lead() || self.via_recovery {
                return Ok(());
            }
            let missing = std::mem::take(&mut plan.missing);
            self.write(Action::SearchReindex, |c, ctx| {
                let mut targets = Vec::new();
                for m in &missing {
                    let row = insert_row(
                        c,
                        m.kind,
                        m.record_id,
                        m.pupil_id,
                        m.author,
                        &ctx.now_text(),
                        &m.body,
                    )?;
                    if let Some(role) = m.role {
                        set_role(c, row, role)?;
                    }
                    targets.push(m.record_id);
                }
                targets.dedup();
                Ok(((), targets))
            })?;
            plan = classify(&self.conn)?;
        }
        let sp = self.conn.savepoint()?;
        sp.execute("DELETE FROM search_row_roles", [])?;
        for (row, role) in &plan.roles {
            set_role(&sp, *row, *role)?;
        }
        sp.execute("UPDATE search_state SET version = ?1", [SEARCH_VERSION])?;
        sp.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_neutralises_operators() {
        assert_eq!(fts_query("hungry").as_deref(), Some("\"hungry\"*"));
        assert_eq!(
            fts_query("  \"NEAR\" OR x*  ").as_deref(),
            Some("\"NEAR\" \"OR\" \"x\"*")
        );
        assert_eq!(fts_query(" ** "), None);
        assert_eq!(fts_query("O'Connor").as_deref(), Some("\"O'Connor\"*"));
    }

    #[test]
    fn text_of_drops_blank_parts() {
        assert_eq!(text_of(&[Some("a"), None, Some("  "), Some("b")]), "a\nb");
        assert_eq!(text_of(&[None]), "");
    }
}
