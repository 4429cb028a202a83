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
    store::open(
        &store::db_path(dir),
        &unlocked.data_key,
        store::Mode::Existing,
    )
}

/// The data key itself (to check that an old key no longer opens a rekeyed store).
pub fn data_key(dir: &Path, user: &str, passphrase: &Passphrase) -> Result<DataKey> {
    Ok(Keyring::load(dir)?
        .unlock_user(Some(user), passphrase)?
        .data_key)
}

/// Tries to open the database with a given key.
pub fn open_with_key(dir: &Path, key: &DataKey) -> Result<Connection> {
    store::open(&store::db_path(dir), key, store::Mode::Existing)
}
