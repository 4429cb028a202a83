//! `verify`: everything that can be checked about a store, without changing it. The database is
//! opened read-only (no migration, no audit event), so a check can run on evidence.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::{StoreOptions, VerifyReport, trust};
use crate::audit;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::secret::Passphrase;
use crate::store::{self, Mode, lock::StoreLock};

/// Opens the store read-only with `passphrase` and checks it. `expect` holds chain heads
/// (sequence, hash) known from outside — a printed document, a backup, `--expect` — that the
/// chain must contain.
pub fn verify_store(
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: &StoreOptions,
    expect: &[(i64, String)],
) -> Result<VerifyReport> {
    let _lock = StoreLock::acquire(dir, opts.holder)?;
    let keyring = Keyring::load(dir)?;
    let unlocked = keyring.unlock_user(user, passphrase)?;
    let path = store::db_path(dir);
    // A member of staff holds no database key: there is nothing they could verify.
    let data_key = unlocked.data_key.as_ref().ok_or(Error::Forbidden)?;
    let conn = match store::open(&path, data_key, Mode::ReadOnly) {
        Err(Error::WrongPassphrase) => match &unlocked.previous_data_key {
            Some(previous) => store::open(&path, previous, Mode::ReadOnly)?,
            None => {
                return Err(Error::damaged(
                    "the database cannot be read with the keyring's key",
                ));
            }
        },
        other => other?,
    };
    trust::check_keyring(&conn, &keyring)?;
    check(&conn, &keyring, expect)
}

/// The checks themselves, on an open connection.
pub(crate) fn check(
    conn: &Connection,
    keyring: &Keyring,
    expect: &[(i64, String)],
) -> Result<VerifyReport> {
    let (integrity_ok, cipher_integrity_ok) = store::integrity(conn)?;
    let chain = audit::verify(conn)?;
    Ok(VerifyReport {
        integrity_ok,
        cipher_integrity_ok,
        chain,
        schema_problems: schema_problems(conn)?,
        foreign_key_problems: foreign_key_problems(conn)?,
        anchor_problems: anchor_problems(conn, keyring, expect)?,
        derived_problems: super::derived::problems(conn)?,
    })
}

/// The store's schema against the one this build creates at the store's version: every table,
/// index and append-only trigger present and unchanged, nothing extra.
fn schema_problems(conn: &Connection) -> Result<Vec<String>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let expected = store::expected_schema(version)?;
    let found = store::schema_of(conn)?;
    let mut problems = Vec::new();
    for (kind, name, sql) in &expected {
        match found.iter().find(|f| &f.0 == kind && &f.1 == name) {
            None => problems.push(format!("{kind} {name} is missing")),
            Some(f) if &f.2 != sql => problems.push(format!("{kind} {name} has been changed")),
            Some(_) => {}
        }
    }
    for (kind, name, _) in &found {
        if !expected.iter().any(|e| &e.0 == kind && &e.1 == name) {
            problems.push(format!(
                "{kind} {name} is not part of this version's schema"
            ));
        }
    }
    Ok(problems)
}

fn foreign_key_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .take(50)
        .map(|(table, row, parent)| {
            format!(
                "{table} row {} refers to a {parent} row that does not exist",
                row.map(|r| r.to_string()).unwrap_or_else(|| "?".into())
            )
        })
        .collect())
}

fn anchor_problems(
    conn: &Connection,
    keyring: &Keyring,
    expect: &[(i64, String)],
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let hash_at = |device: Option<&str>, seq: i64| -> Result<Vec<String>> {
        let rows: Vec<String> = match device {
            Some(d) => conn
                .query_row(
                    "SELECT hash FROM audit_events WHERE device_id = ?1 AND device_seq = ?2",
                    rusqlite::params![d, seq],
                    |r| r.get(0),
                )
                .optional()?
                .into_iter()
                .collect(),
            None => conn
                .prepare("SELECT hash FROM audit_events WHERE device_seq = ?1")?
                .query_map([seq], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    };
    if let Some(a) = keyring.anchor() {
        let found = hash_at(Some(&a.device_id), a.seq)?;
        if found.is_empty() {
            problems.push(format!(
                "the audit trail ends before event {} that the signed keyring recorded: events have been cut",
                a.seq
            ));
        } else if !found.contains(&a.hash) {
            problems.push(format!(
                "audit event {} differs from the one the signed keyring recorded: the trail has been rewritten",
                a.seq
            ));
        }
    }
    for (seq, hash) in expect {
        let found = hash_at(None, *seq)?;
        if !found.iter().any(|h| h.eq_ignore_ascii_case(hash)) {
            problems.push(format!(
                "the audit trail does not hold the expected head {seq}:{}",
                &hash[..hash.len().min(16)]
            ));
        }
    }
    Ok(problems)
}
