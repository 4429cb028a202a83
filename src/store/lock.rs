//! One process at a time: an OS lock on `store.lock` in the store folder, held for the life of
//! a session by the window and by `sgd`. A second opener gets `StoreInUse`, told which kind of
//! program holds it. The lock is advisory between our programs; it is no defence against an
//! attacker's own tool (the rekey checks for that separately).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};

pub const LOCK_FILE: &str = "store.lock";

#[derive(Debug)]
pub struct StoreLock {
    // Held open: the OS releases the lock when the file is closed, including when the process dies.
    _file: File,
}

impl StoreLock {
    /// Takes the lock on `dir` for `holder` (e.g. "the Safeguard Desk window").
    pub fn acquire(dir: &Path, holder: &str) -> Result<StoreLock> {
        let path = dir.join(LOCK_FILE);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
            // A link planted in its place is refused, not followed and truncated.
            opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let mut file = opts.open(&path)?;
        // On the handle, never the path again (a link swapped in after the open).
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(Error::damaged(
                "the store's lock file is not a regular file",
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if meta.nlink() != 1 {
                return Err(Error::damaged(
                    "the store's lock file has other names (hard links)",
                ));
            }
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        // A lock just released can stay held for a moment by a child process another thread
        // was starting (it keeps a copy of every descriptor until it executes its program), so a
        // holder is only believed after a short wait; a program that really has the store open
        // holds it far longer.
        let mut tries = 0;
        let locked = loop {
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock) if tries < 20 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => break other,
            }
        };
        match locked {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = (&file).take(200).read_to_string(&mut who);
                let who = who.lines().next().unwrap_or("").trim();
                let who: String = who
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || " ()-".contains(*c))
                    .collect();
                return Err(Error::StoreInUse {
                    holder: if who.is_empty() {
                        "another Safeguard Desk program".into()
                    } else {
                        who
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{holder} (process {})", std::process::id())?;
        file.sync_all()?;
        Ok(StoreLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_opener_is_told_who_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let first = StoreLock::acquire(dir.path(), "the sgd command").unwrap();
        match StoreLock::acquire(dir.path(), "the Safeguard Desk window") {
            Err(Error::StoreInUse { holder }) => {
                assert!(holder.starts_with("the sgd command (process "), "{holder}")
            }
            other => panic!("expected StoreInUse, got {other:?}"),
        }
        drop(first);
        StoreLock::acquire(dir.path(), "the Safeguard Desk window").unwrap();
    }
}
