//! For tests that play an attacker who has a user's passphrase and a raw SQL tool: open the
//! database directly with the data key from a slot. Not used by any front end.

use std::path::Path;

use rusqlite::Connection;

use crate::error::Result;
use crate::keyring::Keyring;
use crate::secret::{DataKey, Passphrase};
use crate::store;

/// The raw connection, with the key from `user`'s slot.
pub fn raw_connection(dir: &Path, user: &str, passphrase: &Passphrase) -> Result<Connection> {
    let unlocked = Keyring::load(dir)?.unlock_user(Some(user), passphrase)?;
    let key = unlocked.data_key.ok_or(crate::Error::Forbidden)?;
    store::open(&store::db_path(dir), &key, store::Mode::Existing)
}

/// The raw connection, read-only and as the file is (no migration runs).
pub fn raw_read_only(dir: &Path, user: &str, passphrase: &Passphrase) -> Result<Connection> {
    let unlocked = Keyring::load(dir)?.unlock_user(Some(user), passphrase)?;
    let key = unlocked.data_key.ok_or(crate::Error::Forbidden)?;
    store::open(&store::db_path(dir), &key, store::Mode::ReadOnly)
}

/// The data key itself (to check that an old key no longer opens a rekeyed store).
pub fn data_key(dir: &Path, user: &str, passphrase: &Passphrase) -> Result<DataKey> {
    Keyring::load(dir)?
        .unlock_user(Some(user), passphrase)?
        .data_key
        .ok_or(crate::Error::Forbidden)
}

/// Tries to open the database with a given key.
pub fn open_with_key(dir: &Path, key: &DataKey) -> Result<Connection> {
    store::open(&store::db_path(dir), key, store::Mode::Existing)
}

/// A user's slot secret, opened with the real key derivation (what an insider holding their own
/// passphrase and the keyring has offline).
pub fn slot_secret(
    dir: &Path,
    user: &str,
    passphrase: &Passphrase,
) -> Result<zeroize::Zeroizing<[u8; 32]>> {
    Ok(Keyring::load(dir)?
        .unlock_user(Some(user), passphrase)?
        .slot_secret)
}

/// Tries raw 32-byte values as the database key, as someone with SQLCipher and the file would.
pub fn opens_with_raw_key(dir: &Path, key: &[u8; 32]) -> bool {
    let Ok(conn) = Connection::open(store::db_path(dir)) else {
        return false;
    };
    let pragma = format!("PRAGMA key = \"x'{}'\";", hex::encode(key));
    conn.execute_batch(&pragma).is_ok()
        && conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
}
