//! The encrypted database: opening it with a raw SQLCipher key, pragmas, migrations, integrity
//! checks, online backup. Nothing here knows about users or records.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};
use crate::secret::DataKey;

pub mod backup;
pub mod lock;
mod rekey;

pub use rekey::{Progress, check_space_for_rekey, rekey};

pub const DB_FILE: &str = "records.db";

/// Every migration, compiled in. Never edit one that has shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_prompts.sql"),
    include_str!("migrations/003_drafts.sql"),
    include_str!("migrations/004_escalation_event_stage.sql"),
    include_str!("migrations/005_trust_model.sql"),
    include_str!("migrations/006_team_keys.sql"),
    include_str!("migrations/007_keyring_contents.sql"),
    include_str!("migrations/008_indexes_for_history.sql"),
    include_str!("migrations/009_concern_facts.sql"),
    include_str!("migrations/010_derived_facts.sql"),
    include_str!("migrations/011_search_current.sql"),
    include_str!("migrations/012_versions_scope_recent.sql"),
    include_str!("migrations/013_chronology_facts.sql"),
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

/// The file a rekey writes before it is renamed over the database.
pub fn rekey_path(dir: &Path) -> PathBuf {
    dir.join("records.db.rekey")
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

/// How a database file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new store: the file is made (0600) and the schema created.
    Create,
    /// An existing store, brought up to this build's schema.
    Existing,
    /// An existing store read as it is: no migration, no write (for `verify` and checks).
    ReadOnly,
}

/// SQLCipher's page size here: a database file is always a whole number of pages.
const PAGE: u64 = 4096;

/// A zero-length or truncated database is damage, never a new store to initialise.
fn check_file(path: &Path) -> Result<()> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoStore),
        Err(e) => return Err(e.into()),
    };
    if len == 0 {
        return Err(Error::damaged("the database file is empty"));
    }
    if len % PAGE != 0 {
        return Err(Error::damaged("the database file is truncated"));
    }
    Ok(())
}

/// Opens (or creates) the database under `key`, applies pragmas and (unless read-only)
/// migrations. Returns `WrongPassphrase` when the key does not decrypt the file.
pub fn open(path: &Path, key: &DataKey, mode: Mode) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    match mode {
        Mode::Create => {
            // Made here, private, so SQLite's WAL and SHM (which copy its mode) are private too.
            drop(crate::files::create_new_private(path)?);
            flags |= OpenFlags::SQLITE_OPEN_READ_WRITE;
        }
        Mode::Existing => {
            check_file(path)?;
            flags |= OpenFlags::SQLITE_OPEN_READ_WRITE;
        }
        Mode::ReadOnly => {
            check_file(path)?;
            flags |= OpenFlags::SQLITE_OPEN_READ_ONLY;
        }
    }
    let mut conn = Connection::open_with_flags(path, flags)?;
    // Silence SQLCipher's own logging (it would print decryption failures to stderr).
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.pragma("key"))?;
    first_read(&conn)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if mode != Mode::Create && found == 0 {
        return Err(Error::damaged("the database holds no schema"));
    }
    if found > schema_version() {
        return Err(Error::NewerStore {
            found,
            known: schema_version(),
        });
    }
    // Sorts and temporary tables stay in memory: a temp file would hold decrypted rows.
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    // The session's reads use well over rusqlite's default 16 statements: kept prepared, Today
    // and a write do not parse their SQL again each time.
    conn.set_prepared_statement_cache_capacity(256);
    if mode == Mode::ReadOnly {
        return Ok(conn);
    }
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;",
    )?;
    migrations().to_latest(&mut conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => Error::from(err),
        _ => Error::damaged("the database schema could not be brought up to date"),
    })?;
    Ok(conn)
}

/// The schema this build creates at `version`: (type, name, sql) of every object, as SQLite
/// stores them, for `verify` to compare with a store's.
pub fn expected_schema(version: i64) -> Result<Vec<(String, String, String)>> {
    let mut conn = Connection::open_in_memory()?;
    migrations()
        .to_version(&mut conn, version as usize)
        .map_err(|_| Error::Internal {
            detail: "the build's own migrations failed".into(),
        })?;
    schema_of(&conn)
}

pub fn schema_of(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, coalesce(sql, '') FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Rows in every table, by name (what a rekeyed copy must match).
pub fn table_counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|n| {
            let c: i64 = conn.query_row(
                &format!("SELECT count(*) FROM \"{}\"", n.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )?;
            Ok((n, c))
        })
        .collect()
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
    drop(crate::files::create_new_private(dest)?);
    let mut out = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
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

#[cfg(test)]
mod migration_tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// A shipped migration is never edited (stores out there have run it): each is pinned by
    /// its SHA-256. A new migration adds a line here.
    const SHIPPED: &[&str] = &[
        "876cb49e6f107f1af92db95aecfb580f89df5de8c6ffb2abd8d8594fc2baf68b",
        "fe3da1917290d61976f52fef3f7f9963eaa63963304e020a69d339395611511f",
        "7951a4fde949fb2b95e7d0c6290d3d420810f1704dd3615071024411e64a7545",
        "4844cc1e48ee9956f3f77509949b0924aaf35f756c924c3718ed7b218a43c8ca",
        "5c345869b879c0d4950e527282498e1428f1af20bb3b1dd4a6b99a1d313e8ebc",
        "92789805f8c39d8af815c788c54f87d953ee74d343f69211deff84ed4e211b2f",
        "a342d0f41a041e3cfaae5066ab7c9db5fe9e7def5dca36abde87a58ce58c97c1",
        "8cf0aee693251bc7c5ed3487b506a4bbf1068cf9d7a4ae8c0040a793af3af43c",
        "457b1d7639a81737cbf73fbc6119e6b381ea1fc2b425e1e3d65d33e0a9bbd131",
        "b9a11e30d267598be8aa1bba18cd01866deda8bdc52e53fdfdd8d51b31845fc1",
        "5fc4a4100d7fd1466f99491f44c01b50c2edb6e586d154c2f2d134fbbe2a864c",
        "23a1f15d56d6af62460886c62569096cfe451041bf84476a73199e26420927b2",
        "c6073cd4847205746d175c184d49dde86e9e5e6a1c8e4a9d2537481b6db506ab",
    ];

    #[test]
    fn shipped_migrations_are_unchanged_and_every_migration_is_pinned() {
        assert_eq!(
            MIGRATIONS.len(),
            SHIPPED.len(),
            "pin the new migration's hash"
        );
        for (i, (sql, pinned)) in MIGRATIONS.iter().zip(SHIPPED).enumerate() {
            assert_eq!(
                &hex::encode(Sha256::digest(sql.as_bytes())),
                pinned,
                "migration {} was edited after shipping: add a new one instead",
                i + 1
            );
        }
    }

    #[test]
    fn the_migrations_validate_and_run_one_after_another() {
        migrations()
            .validate()
            .expect("the migrations apply to an empty database");
        // Each prefix applies on top of the one before: a store at any earlier version upgrades.
        let mut conn = Connection::open_in_memory().unwrap();
        for n in 1..=MIGRATIONS.len() {
            Migrations::new(MIGRATIONS[..n].iter().map(|sql| M::up(sql)).collect())
                .to_latest(&mut conn)
                .unwrap_or_else(|e| panic!("upgrading to version {n}: {e}"));
            let v: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, n as i64);
        }
    }
}
