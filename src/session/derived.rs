//! Derived state kept on write: for each record of a few kinds, the facts the hot reads need,
//! taken from its current view (amendments applied). A record's derived row depends on that
//! record, its amendments and its own events only, so `refresh` rewrites it in the same
//! transaction as each of those writes; the team's unlock rebuilds a table that does not account
//! for every record (a store from before it), every table when `DERIVED_VERSION` changed, and
//! each row that stands for a record that could not be read. Derived rows are not records:
//! neither append-only nor audited; `verify` compares them with the records and warns.
//!
//! - `concern_facts`: each concern's time and categories (Today's prompts read recent weeks).
//! - `voice_facts`: each voice entry's time (when each child was last heard).
//! - `referral_facts`: each referral's time, decision due date, agency as shown and decision
//!   (rewritten when the decision is recorded).
//! - `pupil_facts`: each pupil's name, year group, status flags and list summary (the pupil
//!   list, and every read that names a child, without parsing every pupil's body).
//! - `member_facts`: each household member's household, pupil, "Name (school)" for a child at
//!   another school, and whether they have left (rewritten when they leave): siblings.

use std::collections::{BTreeSet, HashMap};

use rusqlite::types::Value;
use rusqlite::{Connection, params};

use super::amend::AmendmentView;
use super::pupils::{PupilSummary, StatusFlag, pupil_summary};
use super::{Session, parse_id, parse_time};
use crate::error::Result;
use crate::kinds::current;
use crate::records::*;
use crate::store;
use crate::time::fmt_utc;

/// What each derived table follows, and how its rows are counted against the records.
struct Derivation {
    kind: RecordKind,
    records: &'static str,
    facts: &'static str,
}

const DERIVATIONS: &[Derivation] = &[
    Derivation {
        kind: RecordKind::Concern,
        records: "concerns",
        facts: "concern_facts",
    },
    Derivation {
        kind: RecordKind::Voice,
        records: "voice_entries",
        facts: "voice_facts",
    },
    Derivation {
        kind: RecordKind::Referral,
        records: "referrals",
        facts: "referral_facts",
    },
    Derivation {
        kind: RecordKind::Pupil,
        records: "pupils",
        facts: "pupil_facts",
    },
    Derivation {
        kind: RecordKind::HouseholdMember,
        records: "household_members",
        facts: "member_facts",
    },
];

/// A record row as the derivations read it: the columns they fall back on when the body cannot
/// be read.
struct Row {
    id: String,
    seq: i64,
    /// The pupil it is about (none for a household member who is not a pupil here).
    pupil: Option<String>,
    /// The record's time column (observed, spoken, made), the UPN for a pupil, the household
    /// for a member.
    column: Option<String>,
    /// The referral's decision due date.
    due: Option<String>,
    body: String,
    /// The referral's decision (id, outcome, received on), when one was recorded; a member's
    /// leaving (its id).
    decision: [Option<String>; 3],
}

fn select_rows(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Concern => {
            "SELECT r.id, r.seq, r.pupil_id, r.observed_at, NULL, r.body, NULL, NULL, NULL FROM concerns r"
        }
        RecordKind::Voice => {
            "SELECT r.id, r.seq, r.pupil_id, r.spoken_at, NULL, r.body, NULL, NULL, NULL FROM voice_entries r"
        }
        RecordKind::Referral => {
            "SELECT r.id, r.seq, r.pupil_id, r.made_at, r.decision_due_on, r.body, d.id, d.outcome, d.received_on
             FROM referrals r LEFT JOIN referral_decisions d ON d.referral_id = r.id"
        }
        RecordKind::HouseholdMember => {
            "SELECT r.id, r.seq, r.pupil_id, r.household_id, NULL, r.body,
                    (SELECT e.id FROM household_member_ends e WHERE e.member_id = r.id), NULL, NULL
             FROM household_members r"
        }
        _ => "SELECT r.id, r.seq, r.id, r.upn, NULL, r.body, NULL, NULL, NULL FROM pupils r",
    }
}

/// One record (`Some(id)`, through its unique index) or every record of the kind.
fn rows(c: &Connection, kind: RecordKind, which: Option<&str>) -> Result<Vec<Row>> {
    let sql = match which {
        Some(_) => format!("{} WHERE r.id = ?1", select_rows(kind)),
        None => format!("{} WHERE ?1 IS NULL", select_rows(kind)),
    };
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([which], |r| {
            Ok(Row {
                id: r.get(0)?,
                seq: r.get(1)?,
                pupil: r.get(2)?,
                column: r.get(3)?,
                due: r.get(4)?,
                body: r.get(5)?,
                decision: [r.get(6)?, r.get(7)?, r.get(8)?],
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Amendments of one kind (of one record, or of all), grouped by record, oldest first. Only
/// field and value matter to a current view.
fn amendments(
    c: &Connection,
    kind: RecordKind,
    which: Option<&str>,
) -> Result<HashMap<String, Vec<AmendmentView>>> {
    amendments_at(c, kind, which, true)
}

/// As `amendments`, in a store whose amendments may predate their `schema_version` column
/// (`verify` of a store not yet migrated: every body was at version 1 then).
fn amendments_at(
    c: &Connection,
    kind: RecordKind,
    which: Option<&str>,
    versioned: bool,
) -> Result<HashMap<String, Vec<AmendmentView>>> {
    super::amend::read_amendments(c, super::amend::Amended::Kind(kind, which), None, versioned)
}

/// Rewrites the derived row of one record of `kind` from its current view. Called after the
/// record, an amendment of it or one of its events is written, in the same transaction; a kind
/// with nothing derived is a no-op.
pub(crate) fn refresh(c: &Connection, kind: RecordKind, id: Id) -> Result<()> {
    let Some(d) = DERIVATIONS.iter().find(|d| d.kind == kind) else {
        return Ok(());
    };
    let id = id.to_string();
    let amendments = amendments(c, kind, Some(&id))?;
    for row in rows(c, kind, Some(&id))? {
        put(
            c,
            d,
            &row.id,
            facts_of(kind, &row, amended(&amendments, &row.id))?,
        )?;
    }
    Ok(())
}

fn amended<'a>(all: &'a HashMap<String, Vec<AmendmentView>>, id: &str) -> &'a [AmendmentView] {
    all.get(id).map(Vec::as_slice).unwrap_or(&[])
}

/// One record's derived row, in its table's column order, and whether its body could be read.
/// A body this build cannot read (shown as unreadable in the chronology) still gets a row from
/// its columns and is listed in `derived_unreadable` (Today says how many; each unlock tries it
/// again): it must not keep the team out, hide the others or stop a later write.
fn facts_of(
    kind: RecordKind,
    row: &Row,
    amendments: &[AmendmentView],
) -> Result<(Vec<Value>, bool)> {
    fn read<T: crate::kinds::Body>(row: &Row, a: &[AmendmentView], ok: &mut bool) -> Option<T> {
        let v = current::<T>(&row.body, a).ok();
        *ok &= v.is_some();
        v
    }
    let mut ok = true;
    let text = |s: &str| Value::Text(s.to_owned());
    let pupil = Value::from(row.pupil.clone());
    let column_time = || parse_time(row.column.as_deref().unwrap_or_default());
    let facts = match kind {
        RecordKind::Concern => {
            let (at, categories) = match read::<ConcernDetails>(row, amendments, &mut ok) {
                Some(d) => (d.observed_at, d.categories),
                None => (column_time()?, Vec::new()),
            };
            vec![
                text(&row.id),
                pupil,
                Value::Integer(row.seq),
                Value::Text(fmt_utc(at)),
                Value::Text(serde_json::to_string(&categories)?),
            ]
        }
        RecordKind::Voice => {
            let at = match read::<VoiceDetails>(row, amendments, &mut ok) {
                Some(d) => d.spoken_at,
                None => column_time()?,
            };
            vec![
                text(&row.id),
                pupil,
                Value::Integer(row.seq),
                Value::Text(fmt_utc(at)),
            ]
        }
        RecordKind::Referral => {
            let agency = match read::<ReferralDetails>(row, amendments, &mut ok) {
                Some(d) => d.agency_shown(),
                None => "an agency (the referral cannot be read)".to_owned(),
            };
            // The time, the due date and the decision's outcome and date are not amendable:
            // the columns are the current view.
            let [decision, outcome, received] = row.decision.clone();
            vec![
                text(&row.id),
                pupil,
                Value::Integer(row.seq),
                Value::from(row.column.clone()),
                Value::from(row.due.clone()),
                Value::Text(agency),
                Value::from(decision),
                Value::from(outcome),
                Value::from(received),
            ]
        }
        RecordKind::HouseholdMember => {
            // A child at another school or setting, as the prompts name them.
            let elsewhere = read::<MemberDetails>(row, amendments, &mut ok).and_then(|m| {
                match (m.is_child, m.school_or_setting, m.full_name) {
                    (true, Some(school), Some(name)) if row.pupil.is_none() => {
                        Some(format!("{name} ({school})"))
                    }
                    _ => None,
                }
            });
            vec![
                text(&row.id),
                Value::from(row.column.clone()),
                pupil,
                Value::Integer(row.seq),
                Value::from(elsewhere),
                Value::Integer(row.decision[0].is_some().into()),
            ]
        }
        _ => {
            let id = parse_id(&row.id)?;
            let (summary, flags) = match read::<PupilDetails>(row, amendments, &mut ok) {
                Some(d) => (pupil_summary(id, &d, true), StatusFlag::bits(&d)),
                None => (unreadable_pupil(id, row.column.clone()), 0),
            };
            vec![
                text(&row.id),
                Value::Integer(row.seq),
                text(&summary.name),
                Value::Text(summary.name.to_lowercase()),
                Value::Text(summary.legal_name.to_lowercase()),
                Value::from(summary.upn.as_deref().map(str::to_lowercase)),
                text(&summary.year_group),
                Value::Integer(flags),
                Value::Text(serde_json::to_string(&summary)?),
            ]
        }
    };
    Ok((facts, ok))
}

/// Writes (or rewrites) one record's derived row, and whether it stands for a record that could
/// not be read.
fn put(
    c: &Connection,
    d: &Derivation,
    id: &str,
    (facts, readable): (Vec<Value>, bool),
) -> Result<()> {
    let marks = vec!["?"; facts.len()].join(", ");
    c.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {} VALUES ({marks})",
        d.facts
    ))?
    .execute(rusqlite::params_from_iter(&facts))?;
    let sql = if readable {
        "DELETE FROM derived_unreadable WHERE record_kind = ?1 AND record_id = ?2"
    } else {
        "INSERT OR IGNORE INTO derived_unreadable (record_kind, record_id) VALUES (?1, ?2)"
    };
    c.prepare_cached(sql)?
        .execute(params![d.kind.as_str(), id])?;
    Ok(())
}

/// A pupil whose record this build cannot read still appears in the list (their file shows
/// why), found by UPN.
fn unreadable_pupil(id: Id, upn: Option<String>) -> PupilSummary {
    PupilSummary {
        id,
        upn,
        name: "(pupil record cannot be read)".into(),
        legal_name: String::new(),
        year_group: String::new(),
        date_of_birth: None,
        protection_status: None,
        looked_after: None,
        young_carer: None,
        attendance_concern: None,
    }
}

/// The version of what `facts_of` and the chronology entries (`chronology::Shown`: titles,
/// field labels and choice labels, how values read) make: bump it when a derived row's content
/// changes (a label, a column, a flag's bit, a title's wording), and every store rebuilds its
/// derived tables at its next unlock.
const DERIVED_VERSION: i64 = 1;

/// Records that the (empty) derived tables of a new store are this version's.
pub(crate) fn mark_current(c: &Connection) -> Result<()> {
    c.execute("DELETE FROM derived_state", [])?;
    c.execute(
        "INSERT INTO derived_state (version) VALUES (?1)",
        [DERIVED_VERSION],
    )?;
    Ok(())
}

/// Rebuilds one derived table from every record it follows.
fn rebuild(c: &Connection, d: &Derivation) -> Result<usize> {
    let amendments = amendments(c, d.kind, None)?;
    let all = rows(c, d.kind, None)?;
    c.execute(&format!("DELETE FROM {}", d.facts), [])?;
    c.execute(
        "DELETE FROM derived_unreadable WHERE record_kind = ?1",
        [d.kind.as_str()],
    )?;
    crate::faults::hit("derived.rebuild")?;
    for row in &all {
        put(
            c,
            d,
            &row.id,
            facts_of(d.kind, row, amended(&amendments, &row.id))?,
        )?;
    }
    Ok(all.len())
}

impl Session {
    /// Brings the derived tables up to date (at unlock): all of them when another version of
    /// `facts_of` made them (or `force`; a store from before them), each one whose newest row is
    /// not its records' newest, and each row that stands for a record that could not be read
    /// (this build may read it). All or nothing. Returns how many records were read.
    pub(super) fn rebuild_derived(&mut self, force: bool) -> Result<usize> {
        let version: Option<i64> =
            self.conn
                .query_row("SELECT max(version) FROM derived_state", [], |r| r.get(0))?;
        let all = force || version != Some(DERIVED_VERSION);
        // Records are append-only and every write refreshes its row, so a table whose newest
        // row is its records' newest accounts for every record (one that does not, made behind
        // the app, is named by `verify`). Two ends of two indexes: cheap even when cold.
        let mut stale = Vec::new();
        for d in DERIVATIONS {
            let (records, facts): (Option<i64>, Option<i64>) = self.conn.query_row(
                &format!(
                    "SELECT (SELECT max(seq) FROM {}), (SELECT max(seq) FROM {})",
                    d.records, d.facts
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if all || records != facts {
                stale.push(d);
            }
        }
        let retry: Vec<(String, String)> = self
            .conn
            .prepare("SELECT record_kind, record_id FROM derived_unreadable")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let chronology_stale = all || super::chronology::stale(&self.conn)?;
        let chronology_retry: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM chronology_facts WHERE readable = 0)",
            [],
            |r| r.get(0),
        )?;
        if stale.is_empty() && retry.is_empty() && !chronology_stale && !chronology_retry {
            return Ok(0);
        }
        let stale_any = !stale.is_empty() || chronology_stale;
        if stale_any {
            // Committed on its own, first: if the rebuild does not finish, a write before the
            // next unlock could make a short table's newest row match again; with no version
            // recorded, that unlock rebuilds every table whatever was written in between.
            self.conn.execute("DELETE FROM derived_state", [])?;
        }
        // Told only when whole tables are made again (minutes on a large store, and the window
        // would otherwise say nothing while it waits); a retry of a few rows is quick.
        let progress = self.opts.progress.clone();
        let tell = |step| {
            if stale_any {
                progress(step)
            }
        };
        let made: Result<usize> = (|| {
            let sp = self.conn.savepoint()?;
            let mut read = 0;
            if !stale.is_empty() {
                tell(store::Progress::DerivingFacts);
            }
            for d in &stale {
                read += rebuild(&sp, d)?;
            }
            for (kind, id) in &retry {
                let d = DERIVATIONS.iter().find(|d| d.kind.as_str() == kind);
                if let (Some(d), Ok(id)) = (d, parse_id(id))
                    && !stale.iter().any(|s| s.kind == d.kind)
                {
                    refresh(&sp, d.kind, id)?;
                    read += 1;
                }
            }
            if chronology_stale {
                tell(store::Progress::DerivingChronology);
                read += super::chronology::rebuild(&sp)?;
            } else if chronology_retry {
                read += super::chronology::retry_unreadable(&sp)?;
            }
            if stale_any {
                mark_current(&sp)?;
            }
            sp.commit()?;
            Ok(read)
        })();
        tell(match made {
            Ok(_) => store::Progress::Done,
            Err(_) => store::Progress::Failed,
        });
        let read = made?;
        self.prompt_cache.get_mut().take();
        Ok(read)
    }

    /// Rebuilds every derived table from the records (`sgd rebuild-derived`, after `verify`
    /// warned that derived rows differ from the records). They are not records: nothing is
    /// lost, changed or audited. The safeguarding lead only.
    pub fn rebuild_derived_tables(&mut self) -> Result<usize> {
        self.require(Role::is_safeguarding_lead)?;
        let read = self.rebuild_derived(true)?;
        self.rebuild_search(true)?;
        self.derived_failure = None;
        Ok(read)
    }

    /// How many records this build could not read (their derived rows stand in from columns).
    pub(crate) fn unreadable_records(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM derived_unreadable", [], |r| r.get(0))?)
    }
}

/// What `verify` finds wrong with the derived tables: a table short of rows (the next unlock
/// makes it again), or rows that differ from what the records make (changed outside the app,
/// so that a prompt or the pupil list would lie; or made by another version). They are not
/// records: `verify` warns and a rebuild mends them. A table the store does not have yet (not
/// migrated) is skipped; a store not yet migrated is read as an older build wrote it.
pub(crate) fn problems(c: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let versioned: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('amendments') WHERE name = 'schema_version')",
        [],
        |r| r.get(0),
    )?;
    for d in DERIVATIONS {
        let exists: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [d.facts],
            |r| r.get(0),
        )?;
        if !exists {
            continue;
        }
        let amendments = amendments_at(c, d.kind, None, versioned)?;
        // Values compared by their typed debug form (`Value` has no order of its own).
        let comparable = |v: Vec<Value>| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>();
        let expected: BTreeSet<Vec<String>> = rows(c, d.kind, None)?
            .iter()
            .map(|row| {
                facts_of(d.kind, row, amended(&amendments, &row.id)).map(|f| comparable(f.0))
            })
            .collect::<Result<_>>()?;
        let mut stmt = c.prepare(&format!("SELECT * FROM {}", d.facts))?;
        let n = stmt.column_count();
        let found: BTreeSet<Vec<String>> = stmt
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
            .map(|r| r.map(comparable))
            .collect::<rusqlite::Result<_>>()?;
        if found.len() != expected.len() {
            out.push(format!(
                "{} holds {} rows for {} records: `sgd rebuild-derived` makes it again",
                d.facts,
                found.len(),
                expected.len()
            ));
            continue;
        }
        let differ = found.difference(&expected).count();
        if differ > 0 {
            out.push(format!(
                "{differ} row(s) of {} differ from what the records make (changed outside the app, or made by another version): `sgd rebuild-derived` makes them again",
                d.facts
            ));
        }
    }
    // One damaged row must not fail verify (and so a restore): the records are checked on
    // their own; the entries are derived.
    match super::chronology::problems(c, versioned) {
        Ok(p) => out.extend(p),
        Err(e) => out.push(format!(
            "the chronology entries could not be compared with the records ({e}): `sgd rebuild-derived` makes them again"
        )),
    }
    out.extend(crate::session::search::recent_index_problems(c)?);
    Ok(out)
}
