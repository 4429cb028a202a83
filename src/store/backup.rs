//! The backup file: one file holding the keyring and the (still encrypted) database, so a
//! backup can be restored with nothing else. Layout:
//! `SGDBACKUP\x00` · version u32 · keyring length u64 · keyring · database length u64 · database.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

const MAGIC: &[u8; 10] = b"SGDBACKUP\x00";
const VERSION: u32 = 1;
const MAX_KEYRING: u64 = 1 << 20;

pub fn write(dest: &Path, keyring: &[u8], db_file: &Path) -> Result<()> {
    let mut db = File::open(db_file)?;
    let db_len = db.metadata()?.len();
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::AlreadyExists {
                    what: "backup file",
                }
            } else {
                e.into()
            }
        })?;
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_be_bytes())?;
    out.write_all(&(keyring.len() as u64).to_be_bytes())?;
    out.write_all(keyring)?;
    out.write_all(&db_len.to_be_bytes())?;
    std::io::copy(&mut db, &mut out)?;
    out.sync_all()?;
    Ok(())
}

/// Unpacks a backup into `into` (an empty folder): `keyring.json` and the database file.
pub fn unpack(src: &Path, into: &Path, keyring_name: &str, db_name: &str) -> Result<()> {
    let bad = || Error::damaged("the backup file is not a complete Safeguard Desk backup");
    let mut f = File::open(src).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound {
                what: "backup file",
            }
        } else {
            e.into()
        }
    })?;
    let total = f.metadata()?.len();
    let mut magic = [0u8; 10];
    f.read_exact(&mut magic).map_err(|_| bad())?;
    if &magic != MAGIC {
        return Err(bad());
    }
    let mut u32b = [0u8; 4];
    f.read_exact(&mut u32b).map_err(|_| bad())?;
    let version = u32::from_be_bytes(u32b);
    if version > VERSION {
        return Err(Error::NewerStore {
            found: version as i64,
            known: VERSION as i64,
        });
    }
    let mut u64b = [0u8; 8];
    f.read_exact(&mut u64b).map_err(|_| bad())?;
    let klen = u64::from_be_bytes(u64b);
    if klen > MAX_KEYRING || klen > total {
        return Err(bad());
    }
    let mut keyring = vec![0u8; klen as usize];
    f.read_exact(&mut keyring).map_err(|_| bad())?;
    f.read_exact(&mut u64b).map_err(|_| bad())?;
    let dlen = u64::from_be_bytes(u64b);
    let header = 10 + 4 + 8 + klen + 8;
    if header + dlen != total {
        return Err(bad());
    }
    fs::write(into.join(keyring_name), &keyring)?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(into.join(db_name))?;
    let copied = std::io::copy(&mut (&mut f).take(dlen), &mut out)?;
    if copied != dlen {
        return Err(bad());
    }
    out.sync_all()?;
    Ok(())
}
