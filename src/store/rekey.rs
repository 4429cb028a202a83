//! Changing the database key without ever risking the store, in the way LUKS re-encrypts:
//! the database is written under the new key into a new file, that file is proven (opened
//! afresh, integrity and HMACs checked, the same rows in every table, the same audit head), and
//! only then renamed over the old one. `PRAGMA rekey` is never used: the bundled SQLCipher
//! answers `ok` when it failed. The keyring must hold both keys until this returns.

use std::fs;
use std::path::Path;

use rusqlite::{Connection, params};

use super::{Mode, db_side_files, open, rekey_path, schema_version, table_counts};
use crate::error::{Error, Result};
use crate::faults;
use crate::files;
use crate::secret::DataKey;

/// Steps of a long operation (a rekey, a backup, a restore, the first unlock after an upgrade),
/// for a progress line in the window and in `sgd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Rekey: the database written under the new key into a new file.
    Copying,
    /// Rekey: the new copy opened afresh and proven.
    Checking,
    /// Rekey: the new copy renamed into place.
    Replacing,
    /// Backup: a consistent copy of the database taken.
    BackingUp,
    /// Backup: the copy and the keyring written into the backup file.
    WritingBackup,
    /// Restore: the backup file unpacked beside the new folder.
    Unpacking,
    /// Restore: the unpacked store verified, read-only.
    VerifyingRestore,
    /// Restore: the verified store moved into its folder.
    PlacingRestore,
    /// Unlock: the derived facts (Today's, the pupil list's) made again from every record, once
    /// after an upgrade or a repair.
    DerivingFacts,
    /// Unlock: every child's chronology entries made again from every record (minutes on a
    /// store that holds decades).
    DerivingChronology,
    Done,
    /// The operation stopped with an error (reported by the command itself).
    Failed,
}

impl Progress {
    pub fn describe(self) -> &'static str {
        match self {
            Progress::Copying => "writing the database under the new key",
            Progress::Checking => "checking the new copy",
            Progress::Replacing => "putting the new copy in place",
            Progress::BackingUp => "copying the database",
            Progress::WritingBackup => "writing the backup file",
            Progress::Unpacking => "unpacking the backup",
            Progress::VerifyingRestore => "checking every record and the audit trail",
            Progress::PlacingRestore => "putting the restored store in its folder",
            Progress::DerivingFacts => "working out what Today and the pupil list show",
            Progress::DerivingChronology => {
                "making every child's chronology from the records (this takes a few minutes once)"
            }
            Progress::Done => "done",
            Progress::Failed => "stopped",
        }
    }

    /// What the whole operation is, for the title of the window's progress panel.
    pub fn operation(self) -> &'static str {
        match self {
            Progress::Copying | Progress::Checking | Progress::Replacing => {
                "Changing the database key"
            }
            Progress::BackingUp | Progress::WritingBackup => "Backing up the store",
            Progress::Unpacking | Progress::VerifyingRestore | Progress::PlacingRestore => {
                "Restoring a backup"
            }
            Progress::DerivingFacts | Progress::DerivingChronology => {
                "Preparing the store for this version"
            }
            Progress::Done => "Finished",
            Progress::Failed => "Stopped",
        }
    }
}

/// Room a rekey needs: a whole copy of the database, its WAL, and a margin.
fn space_needed(dir: &Path) -> u64 {
    let mut total = 16 * 1024 * 1024;
    for p in db_side_files(dir) {
        if let Ok(m) = fs::metadata(p) {
            total += m.len();
        }
    }
    total
}

fn audit_head(conn: &Connection) -> Result<Option<(String, i64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT device_id, device_seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
    )?;
    let mut rows = stmt.query([])?;
    Ok(match rows.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
        None => None,
    })
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Refuses, with a clear `DiskFull`, when the folder has no room for a rekey's copy.
pub fn check_space_for_rekey(dir: &Path) -> Result<()> {
    faults::hit("rekey.space")?;
    let needed = space_needed(dir);
    let available = files::available_space(dir)?;
    if available < needed {
        return Err(Error::DiskFull {
            needed_mib: needed.div_ceil(1 << 20),
            available_mib: available / (1 << 20),
        });
    }
    Ok(())
}

/// Re-encrypts the database of `dir` under `new_key`. `conn` is the live connection (under the
/// old key); on success it is replaced by one under the new key. On any failure before the
/// rename, the old file is untouched and `conn` still works; after it, the new file is in place
/// and proven. A crash at any point leaves a file that one of the keyring's two keys opens.
pub fn rekey(
    dir: &Path,
    conn: &mut Connection,
    old_key: &DataKey,
    new_key: &DataKey,
    progress: &dyn Fn(Progress),
) -> Result<()> {
    let next = rekey_path(dir);
    // A copy from an interrupted attempt is never trusted: start again.
    remove_if_present(&next)?;
    remove_if_present(&dir.join("records.db.rekey-journal"))?;
    check_space_for_rekey(dir)?;
    let expected_counts = table_counts(conn)?;
    let expected_head = audit_head(conn)?;

    progress(Progress::Copying);
    drop(files::create_new_private(&next)?);
    let path = next.to_str().ok_or(Error::Internal {
        detail: "store path is not UTF-8".into(),
    })?;
    let exported = (|| -> Result<()> {
        conn.execute(
            "ATTACH DATABASE ?1 AS rekeyed KEY ?2",
            params![path, new_key.raw_key_literal().as_str()],
        )?;
        conn.query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))?;
        conn.execute_batch(&format!(
            "PRAGMA rekeyed.user_version = {};",
            schema_version_of(conn)?
        ))?;
        Ok(())
    })();
    let detached = conn.execute_batch("DETACH DATABASE rekeyed");
    exported?;
    detached?;
    faults::hit("rekey.exported")?;
    fs::File::open(&next)?.sync_all()?;

    progress(Progress::Checking);
    {
        let copy = open(&next, new_key, Mode::ReadOnly)
            .map_err(|_| Error::damaged("the rekeyed copy does not open with the new key"))?;
        let (sqlite_ok, cipher_ok) = super::integrity(&copy)?;
        if !sqlite_ok || !cipher_ok {
            return Err(Error::damaged(
                "the rekeyed copy fails its integrity checks",
            ));
        }
        if table_counts(&copy)? != expected_counts {
            return Err(Error::damaged(
                "the rekeyed copy does not hold the same rows",
            ));
        }
        if audit_head(&copy)? != expected_head {
            return Err(Error::damaged(
                "the rekeyed copy ends at another audit event",
            ));
        }
        let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != schema_version_of(conn)? {
            return Err(Error::damaged(
                "the rekeyed copy has another schema version",
            ));
        }
    }
    faults::hit("rekey.checked")?;

    progress(Progress::Replacing);
    // The old file must be whole on its own before its WAL goes: a crash between removing the
    // WAL and the rename must leave every acknowledged write in it.
    let (busy, log, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 || log != done {
        return Err(Error::StoreBusy);
    }
    let live = std::mem::replace(conn, Connection::open_in_memory()?);
    live.close().map_err(|(_, e)| Error::from(e))?;
    let [db, wal, shm] = db_side_files(dir);
    let replaced = (|| -> Result<()> {
        if fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) != 0 {
            // Something else wrote after the checkpoint: keep the old store as it is.
            return Err(Error::StoreBusy);
        }
        remove_if_present(&wal)?;
        remove_if_present(&shm)?;
        faults::hit("rekey.before_rename")?;
        fs::rename(&next, &db)?;
        files::sync_dir(dir)?;
        faults::hit("rekey.renamed")
    })();
    match replaced {
        Ok(()) => {
            *conn = open(&db, new_key, Mode::Existing)?;
            progress(Progress::Done);
            Ok(())
        }
        Err(e) => {
            // Whichever file is in place, one of the two keys opens it: carry on with that one.
            *conn = open(&db, old_key, Mode::Existing)
                .or_else(|_| open(&db, new_key, Mode::Existing))?;
            Err(e)
        }
    }
}

fn schema_version_of(conn: &Connection) -> Result<i64> {
    let v: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
    debug_assert!(v <= schema_version());
    Ok(v)
}
