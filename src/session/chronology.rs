//! A child's chronology: every record about them in date order, and the family's.
//!
//! Each entry is made from its record's current view (amendments applied) once, when the
//! record, an amendment of it or something it shows is written, and kept in `chronology_facts`
//! in the same transaction (`refresh_written`, called by every write with the rows it added).
//! Opening a child's file then reads one index, however many years the file holds. The team's
//! unlock rebuilds the table when a source's newest row has no entry (a store from before it),
//! when `derived::DERIVED_VERSION` changed, and makes again each entry that stood for a record
//! this build could not read; while the derived tables could not be rebuilt, entries are made
//! from the records on every read instead. An entry is derived, not a record: `verify` compares
//! the table with what the records make and warns.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::amend::AmendmentView;
use super::amend::{Amended, read_amendments};
use super::{Session, parse_id, parse_time};
use crate::audit::{Action, Watermark};
use crate::error::{Error, Result};
use crate::kinds::{InChronology, Line, ShownField, current_shown, read_event};
use crate::records::*;
use crate::time::{fmt_utc, london_date, parse_date};

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

type ExtraFn = fn(&rusqlite::Row<'_>) -> rusqlite::Result<Extra>;

/// A record table whose rows make chronology entries.
struct Source {
    kind: RecordKind,
    table: &'static str,
    /// Selects the record's id, time recorded, author, body, the source row's seq and the
    /// pupil the entry is about, then what `extra` reads; ends where a condition follows.
    sql: &'static str,
    /// The column naming the record the entry is of, and the pupil it is about.
    record: &'static str,
    /// Which rows of the table make an entry (the unlock's check counts only those).
    counted: &'static str,
    pupil: &'static str,
    extra: ExtraFn,
}

/// Every source, in the order entries recorded at the same moment are listed.
const SOURCES: &[Source] = &[
    Source {
        kind: RecordKind::Concern,
        table: "concerns",
        sql: "SELECT c.id, c.recorded_at, c.recorded_by, c.body, c.seq, c.pupil_id FROM concerns c WHERE",
        record: "c.id",
        counted: "1",
        pupil: "c.pupil_id",
        extra: |_| Ok(Extra::None),
    },
    // Named in another child's concern, with this child's own role.
    Source {
        kind: RecordKind::Concern,
        table: "concern_children",
        sql: "SELECT c.id, c.recorded_at, c.recorded_by, c.body, cc.seq, cc.pupil_id, cc.role
              FROM concern_children cc JOIN concerns c ON c.id = cc.concern_id
              WHERE cc.pupil_id IS NOT NULL AND",
        record: "cc.concern_id",
        counted: "pupil_id IS NOT NULL",
        pupil: "cc.pupil_id",
        extra: |r| Ok(Extra::NamedAs(r.get(6)?)),
    },
    Source {
        kind: RecordKind::EncompassChild,
        table: "encompass_children",
        sql: "SELECT ec.id, n.recorded_at, n.recorded_by, ec.body, ec.seq, ec.pupil_id, n.id, n.body
              FROM encompass_children ec JOIN encompass_notifications n ON n.id = ec.notification_id WHERE",
        record: "ec.id",
        counted: "1",
        pupil: "ec.pupil_id",
        extra: |r| Ok(Extra::Notification(r.get(6)?, r.get(7)?)),
    },
    Source {
        kind: RecordKind::Voice,
        table: "voice_entries",
        sql: "SELECT id, recorded_at, recorded_by, body, seq, pupil_id FROM voice_entries WHERE",
        record: "id",
        counted: "1",
        pupil: "pupil_id",
        extra: |_| Ok(Extra::None),
    },
    Source {
        kind: RecordKind::FollowUp,
        table: "follow_ups",
        sql: "SELECT f.id, f.created_at, f.created_by, f.body, f.seq, f.pupil_id, f.due_on,
                (SELECT body FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'completed' LIMIT 1),
                (SELECT at FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'completed' LIMIT 1)
              FROM follow_ups f WHERE",
        record: "f.id",
        counted: "1",
        pupil: "f.pupil_id",
        extra: |r| Ok(Extra::FollowUp(r.get(6)?, r.get(7)?, r.get(8)?)),
    },
    Source {
        kind: RecordKind::Referral,
        table: "referrals",
        sql: "SELECT id, recorded_at, recorded_by, body, seq, pupil_id FROM referrals WHERE",
        record: "id",
        counted: "1",
        pupil: "pupil_id",
        extra: |_| Ok(Extra::None),
    },
    Source {
        kind: RecordKind::Decision,
        table: "referral_decisions",
        sql: "SELECT d.id, d.recorded_at, d.recorded_by, d.body, d.seq, r.pupil_id, r.made_at
              FROM referral_decisions d JOIN referrals r ON r.id = d.referral_id WHERE",
        record: "d.id",
        counted: "1",
        pupil: "r.pupil_id",
        extra: |r| Ok(Extra::Decision(r.get(6)?)),
    },
    Source {
        kind: RecordKind::Escalation,
        table: "escalations",
        sql: "SELECT id, opened_at, opened_by, body, seq, pupil_id FROM escalations WHERE",
        record: "id",
        counted: "1",
        pupil: "pupil_id",
        extra: |_| Ok(Extra::None),
    },
    Source {
        kind: RecordKind::EscalationStage,
        table: "escalation_stages",
        sql: "SELECT s.id, s.recorded_at, s.recorded_by, s.body, s.seq, e.pupil_id, s.stage_no, s.due_on
              FROM escalation_stages s JOIN escalations e ON e.id = s.escalation_id WHERE",
        record: "s.id",
        counted: "1",
        pupil: "e.pupil_id",
        extra: |r| Ok(Extra::Stage(r.get(6)?, r.get(7)?)),
    },
    Source {
        kind: RecordKind::EscalationEvent,
        table: "escalation_events",
        sql: "SELECT v.id, v.at, v.by_user, v.body, v.seq, e.pupil_id, v.event
              FROM escalation_events v JOIN escalations e ON e.id = v.escalation_id WHERE",
        record: "v.id",
        counted: "1",
        pupil: "e.pupil_id",
        extra: |r| Ok(Extra::Event(r.get(6)?)),
    },
];

fn rank(table: &str) -> usize {
    SOURCES
        .iter()
        .position(|s| s.table == table)
        .unwrap_or(SOURCES.len())
}

enum Extra {
    None,
    NamedAs(String),
    /// The notification's id and stored body (its amendments are loaded with the entry's).
    Notification(String, String),
    FollowUp(String, Option<String>, Option<String>),
    Stage(i64, String),
    Event(String),
    /// When the referral was made (a decision never reads as earlier than its referral).
    Decision(String),
}

/// One source row, before its body is read.
struct RawEntry {
    source: &'static Source,
    record_id: String,
    pupil_id: String,
    recorded_at: String,
    author: String,
    body: String,
    seq: i64,
    extra: Extra,
}

/// Which source rows to read.
#[derive(Clone, Copy)]
enum Which<'a> {
    Record(&'a str),
    Pupil(&'a str),
    All,
}

fn collect(c: &Connection, source: &'static Source, which: Which<'_>) -> Result<Vec<RawEntry>> {
    let mut out = Vec::new();
    each_row(c, source, which, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with each source row, one at a time (a rebuild reads millions).
fn each_row(
    c: &Connection,
    source: &'static Source,
    which: Which<'_>,
    mut f: impl FnMut(RawEntry) -> Result<()>,
) -> Result<()> {
    let (condition, arg) = match which {
        Which::Record(id) => (format!("{} = ?1", source.record), Some(id)),
        Which::Pupil(id) => (format!("{} = ?1", source.pupil), Some(id)),
        Which::All => ("?1 IS NULL".to_owned(), None),
    };
    let mut stmt = c.prepare_cached(&format!("{} {condition}", source.sql))?;
    let mut rows = stmt.query([arg])?;
    while let Some(r) = rows.next()? {
        f(RawEntry {
            source,
            record_id: r.get(0)?,
            recorded_at: r.get(1)?,
            author: r.get(2)?,
            body: r.get(3)?,
            seq: r.get(4)?,
            pupil_id: r.get(5)?,
            extra: (source.extra)(r)?,
        })?;
    }
    Ok(())
}

/// What an entry shows that its record's current view decides (the rest — names, amendments,
/// attachments, what the reader may do — is looked up when it is read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Shown {
    at: chrono::DateTime<chrono::Utc>,
    title: String,
    text: String,
    child_words: Option<String>,
    categories: Vec<Category>,
    fields: Vec<ShownField>,
    status: Option<String>,
}

/// An entry as kept: its source row's columns and what it shows.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    record_id: String,
    pupil_id: String,
    kind: RecordKind,
    table: &'static str,
    seq: i64,
    named_as: Option<String>,
    author: String,
    recorded_at: String,
    readable: bool,
    shown: Shown,
}

impl RawEntry {
    /// The entry as this build reads its record; one whose body it cannot read (damaged, or
    /// from a newer version) says so, in its place and time, and hides nothing else.
    fn make(self, amendments: &HashMap<String, Vec<AmendmentView>>) -> Result<Made> {
        let (readable, shown) = match self.shown(amendments) {
            Ok(shown) => (true, shown),
            Err(_) => (false, unreadable(parse_time(&self.recorded_at)?)),
        };
        Ok(Made {
            named_as: match &self.extra {
                Extra::NamedAs(role) => Some(role.clone()),
                _ => None,
            },
            record_id: self.record_id,
            pupil_id: self.pupil_id,
            kind: self.source.kind,
            table: self.source.table,
            seq: self.seq,
            author: self.author,
            recorded_at: self.recorded_at,
            readable,
            shown,
        })
    }

    fn shown(&self, all_amendments: &HashMap<String, Vec<AmendmentView>>) -> Result<Shown> {
        let amended = |id: &str| all_amendments.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let amendments = amended(&self.record_id);
        let recorded_at = parse_time(&self.recorded_at)?;
        let body = self.body.as_str();
        let (line, fields) = match (&self.source.kind, &self.extra) {
            (RecordKind::Concern, Extra::NamedAs(role)) => {
                entry::<ConcernDetails>(body, amendments, recorded_at, Some(role.as_str()))?
            }
            (RecordKind::Concern, _) => {
                entry::<ConcernDetails>(body, amendments, recorded_at, None)?
            }
            (RecordKind::EncompassChild, Extra::Notification(nid, nbody)) => {
                let (n, mut fields) = current_shown::<EncompassDetails>(nbody, amended(nid))?;
                let (line, child_fields) =
                    entry::<EncompassChild>(body, amendments, recorded_at, &n)?;
                fields.extend(child_fields);
                (line, fields)
            }
            (RecordKind::Voice, _) => entry::<VoiceDetails>(body, amendments, recorded_at, ())?,
            (RecordKind::FollowUp, Extra::FollowUp(due, outcome, done_at)) => {
                let completed = match (outcome, done_at) {
                    (Some(o), Some(at)) => Some((parse_time(at)?, read_event(o)?)),
                    _ => None,
                };
                let context = (parse_date(due)?, completed);
                entry::<FollowUpDetails>(body, amendments, recorded_at, context)?
            }
            (RecordKind::Referral, _) => {
                entry::<ReferralDetails>(body, amendments, recorded_at, ())?
            }
            (RecordKind::Decision, extra) => {
                let made = match extra {
                    Extra::Decision(made) => Some(parse_time(made)?),
                    _ => None,
                };
                entry::<DecisionDetails>(body, amendments, recorded_at, made)?
            }
            (RecordKind::Escalation, _) => {
                entry::<EscalationDetails>(body, amendments, recorded_at, ())?
            }
            (RecordKind::EscalationStage, Extra::Stage(no, due)) => {
                let context = (*no, parse_date(due)?);
                entry::<StageDetails>(body, amendments, recorded_at, context)?
            }
            (RecordKind::EscalationEvent, Extra::Event(ev)) => {
                entry::<EscalationEventDetails>(body, amendments, recorded_at, ev.as_str())?
            }
            _ => {
                return Err(Error::Internal {
                    detail: "chronology entry kind".into(),
                });
            }
        };
        Ok(Shown {
            at: line.at,
            title: line.title,
            text: line.text,
            child_words: line.child_words,
            categories: line.categories,
            fields: if line.lists_fields {
                fields
            } else {
                Vec::new()
            },
            status: line.status,
        })
    }
}

/// A record's entry as its kind declares it ([`InChronology`]), from its current view, with
/// its fields as a person reads them.
fn entry<T: InChronology>(
    stored: &str,
    amendments: &[AmendmentView],
    recorded_at: DateTime<Utc>,
    context: T::Context<'_>,
) -> Result<(Line, Vec<ShownField>)> {
    let (body, fields) = current_shown::<T>(stored, amendments)?;
    Ok((body.line(recorded_at, context)?, fields))
}

/// What the entry of a record that cannot be read shows.
fn unreadable(recorded_at: chrono::DateTime<chrono::Utc>) -> Shown {
    Shown {
        at: recorded_at,
        title: "A record that could not be read".into(),
        text: "This record's stored content could not be read by this version of Safeguard Desk. \
               Nothing has been changed. Please report it (run `sgd verify` on the store)."
            .into(),
        child_words: None,
        categories: Vec::new(),
        fields: Vec::new(),
        status: None,
    }
}

/// The amendments the entries of `raw` are made from: each record's, and each notification's
/// (a child's entry shows its notification as amended).
fn amendments_of(c: &Connection, raw: &[RawEntry]) -> Result<HashMap<String, Vec<AmendmentView>>> {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for r in raw {
        ids.insert(&r.record_id);
        if let Extra::Notification(n, _) = &r.extra {
            ids.insert(n);
        }
    }
    let ids: Vec<&str> = ids.into_iter().collect();
    read_amendments(c, Amended::Records(&ids), None, true)
}

/// Calls `f` with every entry of every record, one at a time (a rebuild, and what `verify`
/// compares the table with). `versioned` is false for a store whose amendments predate their
/// schema versions.
fn each_made(c: &Connection, versioned: bool, mut f: impl FnMut(Made) -> Result<()>) -> Result<()> {
    let mut all = HashMap::new();
    for kind in RecordKind::IN_CHRONOLOGY
        .into_iter()
        .chain([RecordKind::Encompass])
    {
        all.extend(read_amendments(
            c,
            Amended::Kind(kind, None),
            None,
            versioned,
        )?);
    }
    for source in SOURCES {
        each_row(c, source, Which::All, |r| f(r.make(&all)?))?;
    }
    Ok(())
}

fn put(c: &Connection, m: &Made) -> Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO chronology_facts
         (record_id, pupil_id, kind, source, source_seq, named_as, author, recorded_at, at, readable, entry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        m.record_id,
        m.pupil_id,
        m.kind.as_str(),
        m.table,
        m.seq,
        m.named_as,
        m.author,
        m.recorded_at,
        fmt_utc(m.shown.at),
        m.readable,
        serde_json::to_string(&m.shown)?,
    ])?;
    Ok(())
}

/// Makes again every entry of one record (the record, or something it shows, was written).
fn refresh(c: &Connection, kind: RecordKind, id: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM chronology_facts WHERE record_id = ?1")?
        .execute([id])?;
    let mut raw = Vec::new();
    for source in SOURCES.iter().filter(|s| s.kind == kind) {
        raw.extend(collect(c, source, Which::Record(id))?);
    }
    let amendments = amendments_of(c, &raw)?;
    for r in raw {
        put(c, &r.make(&amendments)?)?;
    }
    Ok(())
}

/// Makes again the entries of every record the rows added since `before` are, or show: called
/// by every write, in its transaction, so no write path can leave an entry behind.
pub(crate) fn refresh_written(c: &Connection, before: &Watermark) -> Result<()> {
    let mut dirty: BTreeSet<(RecordKind, String)> = BTreeSet::new();
    let mut added = |table: &str, column: &str, kind: RecordKind| -> Result<()> {
        let mut stmt = c.prepare_cached(&format!("SELECT {column} FROM {table} WHERE seq > ?1"))?;
        let ids = stmt
            .query_map([before.of(table)], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        dirty.extend(ids.into_iter().map(|id| (kind, id)));
        Ok(())
    };
    for s in SOURCES {
        let column = match s.table {
            "concern_children" => "concern_id",
            _ => "id",
        };
        added(s.table, column, s.kind)?;
    }
    // A completion changes its follow-up's status.
    added("follow_up_events", "follow_up_id", RecordKind::FollowUp)?;
    let mut stmt = c.prepare_cached(
        "SELECT record_kind, record_id FROM amendments WHERE seq > ?1
         UNION SELECT 'encompass_child', ec.id FROM amendments a
           JOIN encompass_children ec ON ec.notification_id = a.record_id
           WHERE a.seq > ?1 AND a.record_kind = 'encompass'",
    )?;
    let amended = stmt
        .query_map([before.of("amendments")], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (kind, id) in amended {
        if let Ok(kind) = RecordKind::parse(&kind)
            && RecordKind::IN_CHRONOLOGY.contains(&kind)
        {
            dirty.insert((kind, id));
        }
    }
    for (kind, id) in &dirty {
        refresh(c, *kind, id)?;
    }
    Ok(())
}

/// Whether the table must be made again (at the team's unlock): a source's newest row has no
/// entry. Records are append-only and every write makes its entries, so a table whose newest
/// entry per source is the source's newest accounts for every row (one made behind the app
/// mid-table is named by `verify`). Two ends of two indexes per source: cheap even when cold.
pub(crate) fn stale(c: &Connection) -> Result<bool> {
    for s in SOURCES {
        let (records, facts): (Option<i64>, Option<i64>) = c.query_row(
            &format!(
                "SELECT (SELECT max(seq) FROM {} WHERE {}), (SELECT max(source_seq) FROM chronology_facts WHERE source = ?1)",
                s.table, s.counted
            ),
            [s.table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if records != facts {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Makes the whole table again from the records.
pub(crate) fn rebuild(c: &Connection) -> Result<usize> {
    c.execute("DELETE FROM chronology_facts", [])?;
    crate::faults::hit("derived.rebuild")?;
    let mut n = 0;
    each_made(c, true, |m| {
        n += 1;
        put(c, &m)
    })?;
    Ok(n)
}

/// Makes again each entry that stood for a record this build could not read (this build, or a
/// mended file, may read it now). Returns how many.
pub(crate) fn retry_unreadable(c: &Connection) -> Result<usize> {
    let retry: Vec<(String, String)> = c
        .prepare("SELECT DISTINCT kind, record_id FROM chronology_facts WHERE readable = 0")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (kind, id) in &retry {
        if let Ok(kind) = RecordKind::parse(kind) {
            refresh(c, kind, id)?;
        }
    }
    Ok(retry.len())
}

/// What `verify` finds wrong with the table: rows that differ from what the records make (or
/// missing, or extra). Skipped in a store not yet migrated to it.
pub(crate) fn problems(c: &Connection, versioned: bool) -> Result<Vec<String>> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chronology_facts')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    // Compared by a digest of each row, sorted: a large store has millions of entries.
    fn digest(fields: &[&str]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        h.finalize().into()
    }
    let mut expected: Vec<[u8; 32]> = Vec::new();
    each_made(c, versioned, |m| {
        expected.push(digest(&[
            &m.record_id,
            &m.pupil_id,
            m.kind.as_str(),
            m.table,
            &m.seq.to_string(),
            &format!("{:?}", m.named_as),
            &m.author,
            &m.recorded_at,
            &fmt_utc(m.shown.at),
            &m.readable.to_string(),
            &serde_json::to_string(&m.shown)?,
        ]));
        Ok(())
    })?;
    let mut found: Vec<[u8; 32]> = Vec::new();
    let mut stmt = c.prepare(
        "SELECT record_id, pupil_id, kind, source, source_seq, named_as, author, recorded_at, at, readable, entry
         FROM chronology_facts",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> Result<String> { Ok(r.get::<_, String>(i)?) };
        found.push(digest(&[
            &text(0)?,
            &text(1)?,
            &text(2)?,
            &text(3)?,
            &r.get::<_, i64>(4)?.to_string(),
            &format!("{:?}", r.get::<_, Option<String>>(5)?),
            &text(6)?,
            &text(7)?,
            &text(8)?,
            &(r.get::<_, i64>(9)? != 0).to_string(),
            &text(10)?,
        ]));
    }
    expected.sort_unstable();
    found.sort_unstable();
    if found == expected {
        return Ok(Vec::new());
    }
    // A changed row is one kept that should not be and one expected that is not there.
    let (mut only_found, mut only_expected) = (0usize, 0usize);
    let (mut i, mut j) = (0, 0);
    while i < found.len() || j < expected.len() {
        match (found.get(i), expected.get(j)) {
            (Some(a), Some(b)) if a == b => (i, j) = (i + 1, j + 1),
            (Some(a), Some(b)) if a < b => (only_found, i) = (only_found + 1, i + 1),
            (Some(_), None) => (only_found, i) = (only_found + 1, i + 1),
            _ => (only_expected, j) = (only_expected + 1, j + 1),
        }
    }
    let differ = only_found.max(only_expected);
    Ok(vec![format!(
        "{differ} chronology entr{} differ from what the records make ({} kept, {} expected; changed outside the app, or made by another version): `sgd rebuild-derived` makes them again",
        if differ == 1 { "y" } else { "ies" },
        found.len(),
        expected.len()
    )])
}

/// Where a chronology's entries come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The kept entries (the window): one index per child.
    Kept,
    /// Made from the records on this read (documents).
    FromRecords,
}

/// One entry as read for a pupil: the kept row, before names and permissions are added.
struct Kept {
    made: Made,
    pupil_rank: usize,
}

/// What orders a kept entry, read without its (larger) entry text: which entries are the
/// newest is known before any is decoded.
struct KeptKey {
    rowid: i64,
    kind: RecordKind,
    at: DateTime<Utc>,
    recorded_at: String,
    pupil_rank: usize,
    table: &'static str,
    seq: i64,
}

/// A chronology as the window shows it: the newest entries that match, in time order, and
/// how many older ones match too ("show earlier").
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ChronologyPage {
    pub entries: Vec<ChronologyEntry>,
    pub earlier: u32,
}

fn matches_filter(filter: &ChronologyFilter, kind: RecordKind, at: DateTime<Utc>) -> bool {
    let day = london_date(at);
    (filter.kinds.is_empty() || filter.kinds.contains(&kind))
        && filter.from.is_none_or(|f| day >= f)
        && filter.to.is_none_or(|t| day <= t)
}

fn has_category(filter: &ChronologyFilter, shown: &Shown) -> bool {
    filter.categories.is_empty()
        || shown
            .categories
            .iter()
            .any(|c| filter.categories.contains(c))
}

/// In time order; at the same moment, by pupil, source and the order rows were written. The
/// moment is taken to the millisecond, as kept (`fmt_utc`): the keys, read before any entry is
/// decoded, order a page exactly as the whole chronology is ordered.
fn time_order(
    a: (i64, &str, usize, &str, i64),
    b: (i64, &str, usize, &str, i64),
) -> std::cmp::Ordering {
    (a.0, a.1, a.2)
        .cmp(&(b.0, b.1, b.2))
        .then(rank(a.3).cmp(&rank(b.3)))
        .then(a.4.cmp(&b.4))
}

fn order_of(k: &Kept) -> (i64, &str, usize, &str, i64) {
    let m = &k.made;
    (
        m.shown.at.timestamp_millis(),
        &m.recorded_at,
        k.pupil_rank,
        m.table,
        m.seq,
    )
}

impl Session {
    /// A child's chronology: every record about them in date order. Audited as opening the file.
    /// Staff see only the concerns they recorded.
    pub fn pupil_chronology(
        &mut self,
        pupil: Id,
        filter: &ChronologyFilter,
    ) -> Result<Vec<ChronologyEntry>> {
        Ok(self
            .read_chronology(pupil, false, filter, Read::Kept, None)?
            .entries)
    }

    /// The family's chronology: the child and every sibling at this school, merged.
    pub fn family_chronology(
        &mut self,
        pupil: Id,
        filter: &ChronologyFilter,
    ) -> Result<Vec<ChronologyEntry>> {
        Ok(self
            .read_chronology(pupil, true, filter, Read::Kept, None)?
            .entries)
    }

    /// The newest `newest` entries of the child's (or with `family` the family's) chronology
    /// that match, and how many older ones do: what the window shows, decades of history
    /// read at the cost of one page. Audited as opening the file.
    pub fn chronology_page(
        &mut self,
        pupil: Id,
        family: bool,
        filter: &ChronologyFilter,
        newest: usize,
    ) -> Result<ChronologyPage> {
        self.read_chronology(pupil, family, filter, Read::Kept, Some(newest))
    }

    /// A chronology for a document, made from the records themselves (a few milliseconds
    /// more): what is printed and sent never rests on derived rows, which are not audited.
    pub(crate) fn document_chronology(
        &mut self,
        pupil: Id,
        family: bool,
        filter: &ChronologyFilter,
    ) -> Result<Vec<ChronologyEntry>> {
        Ok(self
            .read_chronology(pupil, family, filter, Read::FromRecords, None)?
            .entries)
    }

    /// The child's (or the family's) chronology, audited as opening the file.
    fn read_chronology(
        &mut self,
        pupil: Id,
        family: bool,
        filter: &ChronologyFilter,
        read: Read,
        newest: Option<usize>,
    ) -> Result<ChronologyPage> {
        let mut ids = vec![pupil];
        let action = if family {
            self.require(Role::reads_everything)?;
            ids.extend(self.siblings_of(pupil)?);
            Action::FamilyChronology
        } else {
            Action::PupilChronology
        };
        let page = self.reading(|| self.chronology_of(&ids, filter, read, newest))?;
        self.audit_read(action, &ids)?;
        Ok(page)
    }

    /// The newest entries of these pupils that match (all with no `newest`), in time order,
    /// and how many older ones match: from the kept entries, or made from the records while
    /// the derived tables could not be rebuilt or when a kept entry cannot be decoded.
    fn matching_entries(
        &self,
        pupils: &[Uuid],
        staff_only: Option<&str>,
        filter: &ChronologyFilter,
        read: Read,
        newest: Option<usize>,
    ) -> Result<(Vec<Kept>, usize)> {
        if let (Read::Kept, None) = (read, &self.derived_failure) {
            // An entry this build cannot decode (kept by another version) must not keep the
            // child's file shut: the entries are made from the records instead.
            if let Ok(found) = self.newest_kept(pupils, staff_only, filter, newest) {
                return Ok(found);
            }
        }
        let mut all = Vec::new();
        for (pupil_rank, p) in pupils.iter().enumerate() {
            let made = self.made_from_records(&p.to_string(), staff_only)?;
            all.extend(made.into_iter().map(|made| Kept { made, pupil_rank }));
        }
        all.retain(|k| {
            matches_filter(filter, k.made.kind, k.made.shown.at)
                && has_category(filter, &k.made.shown)
        });
        all.sort_by(|a, b| time_order(order_of(a), order_of(b)));
        let earlier = all.len().saturating_sub(newest.unwrap_or(usize::MAX));
        all.drain(..earlier);
        Ok((all, earlier))
    }

    /// The kept entries: every key of these pupils is read and ordered, and only the newest
    /// page's entries are decoded (all of them when filtering by category, which is inside).
    fn newest_kept(
        &self,
        pupils: &[Uuid],
        staff_only: Option<&str>,
        filter: &ChronologyFilter,
        newest: Option<usize>,
    ) -> Result<(Vec<Kept>, usize)> {
        let mut keys = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(
                "SELECT rowid, kind, at, recorded_at, source, source_seq
                 FROM chronology_facts WHERE pupil_id = ?1
                 AND (?2 IS NULL OR (source = 'concerns' AND author = ?2))",
            )?;
            for (pupil_rank, p) in pupils.iter().enumerate() {
                let mut rows = stmt.query(params![p.to_string(), staff_only])?;
                while let Some(r) = rows.next()? {
                    let kind = RecordKind::parse(r.get_ref(1)?.as_str().map_err(not_text)?)?;
                    let at = parse_time(r.get_ref(2)?.as_str().map_err(not_text)?)?;
                    if !matches_filter(filter, kind, at) {
                        continue;
                    }
                    keys.push(KeptKey {
                        rowid: r.get(0)?,
                        kind,
                        at,
                        recorded_at: r.get(3)?,
                        pupil_rank,
                        table: source_table(r.get_ref(4)?.as_str().map_err(not_text)?)?,
                        seq: r.get(5)?,
                    });
                }
            }
        }
        keys.sort_by(|a, b| {
            time_order(
                (
                    a.at.timestamp_millis(),
                    &a.recorded_at,
                    a.pupil_rank,
                    a.table,
                    a.seq,
                ),
                (
                    b.at.timestamp_millis(),
                    &b.recorded_at,
                    b.pupil_rank,
                    b.table,
                    b.seq,
                ),
            )
        });
        let page = newest.unwrap_or(usize::MAX);
        let skipped = if filter.categories.is_empty() {
            keys.len().saturating_sub(page)
        } else {
            0
        };
        let mut kept = Vec::with_capacity(keys.len() - skipped);
        for k in &keys[skipped..] {
            let made = self.kept_row(k, &pupils[k.pupil_rank])?;
            if has_category(filter, &made.shown) {
                kept.push(Kept {
                    made,
                    pupil_rank: k.pupil_rank,
                });
            }
        }
        // Decoded in the keys' order, which is the entries' own (`time_order`).
        let more = kept.len().saturating_sub(page);
        kept.drain(..more);
        Ok((kept, skipped + more))
    }

    /// One kept entry, decoded.
    fn kept_row(&self, key: &KeptKey, pupil: &Uuid) -> Result<Made> {
        self.conn()
            .prepare_cached(
                "SELECT record_id, named_as, author, readable, entry FROM chronology_facts
                 WHERE rowid = ?1",
            )?
            .query_row([key.rowid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(Error::from)
            .and_then(|(record_id, named_as, author, readable, entry)| {
                Ok(Made {
                    record_id,
                    pupil_id: pupil.to_string(),
                    kind: key.kind,
                    table: key.table,
                    seq: key.seq,
                    named_as,
                    author,
                    recorded_at: key.recorded_at.clone(),
                    readable,
                    shown: serde_json::from_str(&entry)?,
                })
            })
    }

    /// One pupil's entries made from the records, as this user may see them.
    fn made_from_records(&self, pid: &str, staff_only: Option<&str>) -> Result<Vec<Made>> {
        let mut raw = Vec::new();
        for s in SOURCES {
            if staff_only.is_none() || s.table == "concerns" {
                raw.extend(collect(self.conn(), s, Which::Pupil(pid))?);
            }
        }
        raw.retain(|r| staff_only.is_none_or(|me| r.author == me));
        let amendments = amendments_of(self.conn(), &raw)?;
        raw.into_iter().map(|r| r.make(&amendments)).collect()
    }

    fn chronology_of(
        &self,
        pupils: &[Uuid],
        filter: &ChronologyFilter,
        read: Read,
        newest: Option<usize>,
    ) -> Result<ChronologyPage> {
        for p in pupils {
            super::pupils::pupil_exists(self.conn(), *p)?;
        }
        let lead = self.user().role.is_safeguarding_lead();
        let me = self.user().id.to_string();
        let staff_only = (!self.user().role.reads_everything()).then_some(me.as_str());
        let (kept, earlier) = self.matching_entries(pupils, staff_only, filter, read, newest)?;
        let names = self.names()?;
        let pupil_names = self.pupil_names(pupils)?;
        // A concern about another child that names this one shows only that this child was
        // named, never the other child's corrections or files.
        let own: Vec<String> = kept
            .iter()
            .filter(|k| k.made.named_as.is_none())
            .map(|k| k.made.record_id.clone())
            .collect();
        let mut amendments = self.amendments_for(&own, &names)?;
        let mut attachments = self.attachments_for(&own)?;
        kept.into_iter()
            .map(|k| {
                let m = k.made;
                let named_only = m.named_as.is_some();
                let yours = lead || m.author == me;
                let pupil_id = parse_id(&m.pupil_id)?;
                let (amendments, attachments) = match (named_only, m.readable) {
                    (false, true) => (
                        amendments.remove(&m.record_id).unwrap_or_default(),
                        attachments.remove(&m.record_id).unwrap_or_default(),
                    ),
                    (false, false) => (
                        Vec::new(),
                        attachments.remove(&m.record_id).unwrap_or_default(),
                    ),
                    (true, _) => (Vec::new(), Vec::new()),
                };
                Ok(ChronologyEntry {
                    at: m.shown.at,
                    kind: m.kind,
                    record_id: parse_id(&m.record_id)?,
                    pupil_id,
                    pupil_name: pupil_names.get(&pupil_id).cloned().unwrap_or_default(),
                    title: m.shown.title,
                    text: m.shown.text,
                    child_words: m.shown.child_words,
                    categories: m.shown.categories,
                    fields: m.shown.fields,
                    status: m.shown.status,
                    author: names.user(&m.author),
                    recorded_at: parse_time(&m.recorded_at)?,
                    amendments,
                    attachments,
                    may_amend: yours && !named_only,
                    may_attach: yours && !named_only,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(|entries| ChronologyPage {
                entries,
                earlier: u32::try_from(earlier).unwrap_or(u32::MAX),
            })
    }
}

fn not_text(_: rusqlite::types::FromSqlError) -> Error {
    Error::Internal {
        detail: "a kept chronology entry's column is not text".into(),
    }
}

fn source_table(table: &str) -> Result<&'static str> {
    SOURCES
        .iter()
        .find(|s| s.table == table)
        .map(|s| s.table)
        .ok_or_else(|| Error::Internal {
            detail: "a chronology entry from an unknown source".into(),
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;

    use super::*;
    use crate::clock::ManualClock;
    use crate::fields::FieldType;
    use crate::keyring::KdfParams;
    use crate::kinds::Amend;
    use crate::secret::Passphrase;
    use crate::seed::SeedSpec;
    use crate::session::StoreOptions;

    fn every_chronology(s: &Session, pupils: &[Id], read: Read) -> Vec<Vec<ChronologyEntry>> {
        pupils
            .iter()
            .map(|p| {
                s.chronology_of(&[*p], &ChronologyFilter::default(), read, None)
                    .unwrap()
                    .entries
            })
            .collect()
    }

    /// A record of every kind a chronology shows amended (and a notification, which its
    /// children's entries show), a follow-up completed: the entries kept on write are exactly
    /// what the records make, and every child's chronology read from them is the one made from
    /// the records on every read (as while the derived tables cannot be rebuilt).
    #[test]
    fn kept_entries_are_what_the_records_make_after_every_kind_of_write() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("school");
        let pass = Passphrase::new("seed passphrase for chronologies".into());
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let spec = SeedSpec {
            pupils: 60,
            years: 2,
            seed: 5,
            today,
        };
        crate::seed::create(&dir, &spec, &pass, KdfParams::MINIMUM).unwrap();
        let clock = Arc::new(ManualClock::new(crate::time::noon_london(today)));
        let mut s = crate::unlock(&dir, None, &pass, StoreOptions::new(clock)).unwrap();
        const WORDS: &str = "Amended by the chronology test";
        let mut amended = Vec::new();
        for kind in RecordKind::IN_CHRONOLOGY
            .into_iter()
            .chain([RecordKind::Encompass])
        {
            let table = kind.table().name;
            let id: String = s
                .conn()
                .query_row(
                    &format!("SELECT id FROM {table} ORDER BY seq DESC LIMIT 1"),
                    [],
                    |r| r.get(0),
                )
                .unwrap_or_else(|e| panic!("the seeded school has no {table}: {e}"));
            let field = kind
                .fields()
                .iter()
                .find(|f| {
                    matches!(f.ty, FieldType::Text | FieldType::OptionalText)
                        && f.amend == Amend::Typed
                })
                .unwrap_or_else(|| panic!("{kind:?} has a typed text field"));
            s.amend(
                kind,
                parse_id(&id).unwrap(),
                field.name,
                serde_json::json!(WORDS),
                "Checked",
            )
            .unwrap_or_else(|e| panic!("{kind:?}.{}: {e}", field.name));
            amended.push((kind, id, field.label));
        }
        let open: String = s
            .conn()
            .query_row(
                "SELECT f.id FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        s.complete_follow_up(parse_id(&open).unwrap(), "Seen; support in place.")
            .unwrap();

        // A concern naming one child twice (two roles), then a child not on roll, last.
        let ids: Vec<String> = s
            .conn()
            .prepare("SELECT id FROM pupils ORDER BY seq LIMIT 2")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let (subject, named) = (parse_id(&ids[0]).unwrap(), parse_id(&ids[1]).unwrap());
        let other = |pupil_id, name: &str, role: &str| OtherChild {
            pupil_id,
            name: name.into(),
            role: role.into(),
        };
        let concern = s
            .record_concern(&NewConcern {
                pupil_id: subject,
                details: ConcernDetails {
                    reporter_name: "Teacher".into(),
                    reporter_role: "Class teacher".into(),
                    observed_at: crate::time::noon_london(today) - chrono::Duration::hours(3),
                    location: "Playground".into(),
                    categories: vec![Category::PhysicalAbuse],
                    account: "A fall from the climbing frame.".into(),
                    child_words: None,
                    immediate_action: "First aid given.".into(),
                    body_marks: vec![],
                },
                other_children: vec![
                    other(Some(named), "Named Twice", "witness"),
                    other(Some(named), "Named Twice", "also hurt"),
                    other(None, "A child not on roll", "witness"),
                ],
            })
            .unwrap();
        assert!(
            !stale(s.conn()).unwrap(),
            "the unlock would rebuild every time"
        );
        let roles: Vec<Option<String>> = s
            .conn()
            .prepare("SELECT named_as FROM chronology_facts WHERE record_id = ?1 AND pupil_id = ?2 ORDER BY source_seq")
            .unwrap()
            .query_map([concern.to_string(), named.to_string()], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(roles, [Some("witness".into()), Some("also hurt".into())]);

        assert_eq!(problems(s.conn(), true).unwrap(), Vec::<String>::new());
        let pupils: Vec<Id> = s
            .conn()
            .prepare("SELECT id FROM pupils")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|id| parse_id(&id.unwrap()).unwrap())
            .collect();
        let kept = every_chronology(&s, &pupils, Read::Kept);
        assert_eq!(kept, every_chronology(&s, &pupils, Read::FromRecords));
        s.derived_failure = Some("as if a rebuild had failed".into());
        assert_eq!(kept, every_chronology(&s, &pupils, Read::Kept));
        s.derived_failure = None;
        let entries: Vec<&ChronologyEntry> = kept.iter().flatten().collect();
        assert!(entries.len() > 500, "{} entries", entries.len());
        for (kind, id, label) in &amended {
            let shows = |e: &&ChronologyEntry| {
                e.fields
                    .iter()
                    .any(|f| f.label == *label && f.value == WORDS)
            };
            let n = entries.iter().filter(|e| shows(e)).count();
            assert!(n >= 1, "{kind:?} {id}: the amended {label} in its entry");
        }
        assert!(entries.iter().any(|e| {
            e.record_id.to_string() == open
                && e.status
                    .as_deref()
                    .is_some_and(|t| t.contains("Seen; support"))
        }));

        // A row changed behind the app is named by verify's check, and a rebuild mends it.
        s.conn()
            .execute("UPDATE chronology_facts SET entry = replace(entry, 'Concern', 'Nothing') WHERE kind = 'concern'", [])
            .unwrap();
        assert_eq!(problems(s.conn(), true).unwrap().len(), 1);
        rebuild(s.conn()).unwrap();
        assert!(problems(s.conn(), true).unwrap().is_empty());
        assert_eq!(every_chronology(&s, &pupils, Read::Kept), kept);

        // An entry this build cannot decode (kept by another version): that child's file is
        // made from the records instead of failing.
        s.conn()
            .execute(
                "UPDATE chronology_facts SET entry = '{\"from\": \"another version\"}' WHERE pupil_id = ?1",
                [named.to_string()],
            )
            .unwrap();
        assert_eq!(every_chronology(&s, &pupils, Read::Kept), kept);
    }

    /// A page is exactly the newest entries of the whole chronology that match, with the
    /// count of older ones, for one child and for a family, with each filter, from the kept
    /// entries and from the records.
    #[test]
    fn a_page_is_the_newest_of_the_whole_chronology() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("school");
        let pass = Passphrase::new("seed passphrase for pages".into());
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let spec = SeedSpec {
            pupils: 40,
            years: 3,
            seed: 9,
            today,
        };
        crate::seed::create(&dir, &spec, &pass, KdfParams::MINIMUM).unwrap();
        let clock = Arc::new(ManualClock::new(crate::time::noon_london(today)));
        let mut s = crate::unlock(&dir, None, &pass, StoreOptions::new(clock)).unwrap();
        // The child with the most siblings, and their family.
        let (pupil, family): (String, Vec<Uuid>) = {
            let p: String = s
                .conn()
                .query_row(
                    "SELECT pupil_id FROM member_facts WHERE pupil_id IS NOT NULL
                     GROUP BY household_id ORDER BY count(*) DESC, household_id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let id = parse_id(&p).unwrap();
            let mut ids = vec![id];
            ids.extend(s.siblings_of(id).unwrap());
            (p, ids)
        };
        assert!(family.len() >= 2, "a family to merge");
        let one = [parse_id(&pupil).unwrap()];
        let filters = [
            ChronologyFilter::default(),
            ChronologyFilter {
                kinds: vec![RecordKind::Concern],
                ..Default::default()
            },
            ChronologyFilter {
                categories: vec![Category::Neglect],
                ..Default::default()
            },
            ChronologyFilter {
                from: Some(today - chrono::Duration::days(400)),
                to: Some(today - chrono::Duration::days(30)),
                ..Default::default()
            },
        ];
        let mut checked = 0;
        for pupils in [&one[..], &family[..]] {
            for filter in &filters {
                let all = s.chronology_of(pupils, filter, Read::Kept, None).unwrap();
                assert_eq!(all.earlier, 0);
                assert_eq!(
                    all.entries,
                    s.chronology_of(pupils, filter, Read::FromRecords, None)
                        .unwrap()
                        .entries
                );
                let n = all.entries.len();
                for newest in [0, 1, 7, n / 2, n, n + 5] {
                    for read in [Read::Kept, Read::FromRecords] {
                        let page = s.chronology_of(pupils, filter, read, Some(newest)).unwrap();
                        let shown = newest.min(n);
                        assert_eq!(
                            page.entries,
                            all.entries[n - shown..],
                            "{filter:?} {newest}"
                        );
                        assert_eq!(page.earlier as usize, n - shown, "{filter:?} {newest}");
                        checked += 1;
                    }
                }
            }
        }
        let whole = s
            .chronology_of(&family, &filters[0], Read::Kept, None)
            .unwrap();
        assert!(whole.entries.len() > 40, "{} entries", whole.entries.len());
        assert!(checked >= 90);
        // The window's read is audited as opening the file, as the whole chronology is.
        let before: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM audit_events WHERE action = 'family.chronology'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        s.chronology_page(one[0], true, &ChronologyFilter::default(), 10)
            .unwrap();
        let after: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM audit_events WHERE action = 'family.chronology'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(after, before + 1);
    }
}
