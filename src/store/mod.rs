//! The encrypted database: opening it with a raw SQLCipher key, pragmas, migrations, integrity
//! checks, online backup. Nothing here knows about users or records.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};
use crate::secret::DataKey;

pub mod backup;

pub const DB_FILE: &str = "records.db";

/// Every migration, compiled in. Never edit one that has shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_prompts.sql"),
    include_str!("migrations/003_drafts.sql"),
    include_str!("migrations/004_escalation_event_stage.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// The schema version this build writes: one per migration.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

/// Paths SQLite may create beside the database.
pub fn db_side_files(dir: &Path) -> [PathBuf; 3] {
    let db = db_path(dir);
    let with = |suffix: &str| {
        let mut s = db.clone().into_os_string();
        s.push(suffix);
        PathBuf::from(s)
    };
    [db.clone(), with("-wal"), with("-shm")]
}

/// How a failure to read the first page should be reported: at unlock the key came from an
/// authenticated key slot, so an unreadable database is damage (or a half-finished rekey).
fn first_read(conn: &Connection) -> Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|_| ())
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::WrongPassphrase,
        _ => Error::from(e),
    })
}

/// Opens (or with `create`, creates) the database under `key`, applies pragmas and migrations.
/// Returns `WrongPassphrase` when the key does not decrypt the file.
pub fn open(path: &Path, key: &DataKey, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    } else if !path.exists() {
        return Err(Error::NoStore);
    }
    let mut conn = Connection::open_with_flags(path, flags)?;
    // Silence SQLCipher's own logging (it would print decryption failures to stderr).
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.pragma("key"))?;
    first_read(&conn)?;
    // Sorts and temporary tables stay in memory: a temp file would hold decrypted rows.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;
         PRAGMA busy_timeout = 5000;",
    )?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > schema_version() {
        return Err(Error::NewerStore {
            found,
            known: schema_version(),
        });
    }
    migrations().to_latest(&mut conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => Error::from(err),
        _ => Error::damaged("the database schema could not be brought up to date"),
    })?;
    Ok(conn)
}

/// Re-encrypts every page under `new_key`, then checkpoints so no frame under the old key is
/// left in the WAL.
pub fn rekey(conn: &Connection, new_key: &DataKey) -> Result<()> {
    conn.execute_batch(&new_key.pragma("rekey"))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// `integrity_check` and `cipher_integrity_check`: (sqlite ok, every page's HMAC ok).
pub fn integrity(conn: &Connection) -> Result<(bool, bool)> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let sqlite_ok = rows.len() == 1 && rows[0] == "ok";
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
    let problems = stmt.query_map([], |r| r.get::<_, String>(0))?.count();
    Ok((sqlite_ok, problems == 0))
}

/// A consistent copy of the live database into `dest` (a new file) under the same key.
pub fn backup_into(conn: &Connection, dest: &Path, key: &DataKey) -> Result<()> {
    let mut out = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    out.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    out.execute_batch(&key.pragma("key"))?;
    {
        let b = rusqlite::backup::Backup::new(conn, &mut out)?;
        b.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
    }
    out.execute_batch("PRAGMA journal_mode = DELETE;")?;
    drop(out);
    std::fs::File::open(dest)?.sync_all()?;
    Ok(())
}
