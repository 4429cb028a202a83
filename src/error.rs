//! The closed set of errors the core returns. Messages never contain record content: only
//! field names, limits and fixed descriptions, so they can be shown, logged and sent over IPC.

use serde::Serialize;
use ts_rs::TS;

/// The machine-readable code of an [`Error`]; front ends switch on this, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub enum ErrorCode {
    WrongPassphrase,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreDamaged,
    TooLarge,
    NewerStore,
    AlreadyExists,
    NoStore,
    WeakKdfParameters,
    Conflict,
    Io,
    Internal,
    Locked,
    KeyringTampered,
    StoreInUse,
    StoreBusy,
    DiskFull,
    NotReady,
    PassphraseResetNeeded,
    DerivedNotRebuilt,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong passphrase or recovery key, or no such user")]
    WrongPassphrase,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        field: &'static str,
        reason: &'static str,
    },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("the store is damaged: {detail}")]
    StoreDamaged { detail: &'static str },
    #[error("{field} is too large (the limit is {limit} bytes)")]
    TooLarge { field: &'static str, limit: usize },
    #[error(
        "this store was written by a newer version of Safeguard Desk (schema {found}; this version reads up to {known}): update the application"
    )]
    NewerStore { found: i64, known: i64 },
    #[error("something already exists there: {what}")]
    AlreadyExists { what: &'static str },
    #[error("there is no Safeguard Desk store in that folder")]
    NoStore,
    #[error("a key slot uses key-derivation parameters below the minimum; refusing to use it")]
    WeakKdfParameters,
    #[error("conflict: {what}")]
    Conflict { what: &'static str },
    #[error("file system error ({kind})")]
    Io { kind: String },
    #[error("internal error ({detail})")]
    Internal { detail: String },
    #[error("the store is locked: unlock it to continue")]
    Locked,
    #[error(
        "the keyring has been tampered with ({detail}); nothing was unlocked or resealed. Restore the keyring from a backup, or ask the DSL"
    )]
    KeyringTampered { detail: &'static str },
    #[error("the store is open in {holder}: close it there first")]
    StoreInUse { holder: String },
    #[error(
        "another program holds the database open, so its key could not be changed safely; nothing was lost: close it and try again"
    )]
    StoreBusy,
    #[error(
        "not enough free disk space: this needs about {needed_mib} MiB and {available_mib} MiB are free; nothing was changed"
    )]
    DiskFull { needed_mib: u64, available_mib: u64 },
    #[error(
        "this store was made by an older version: the DSL must open it once with this version before staff can use it"
    )]
    NotReady,
    #[error(
        "your passphrase was set before this version of Safeguard Desk and cannot be trusted on its own: ask the DSL to set you a new one"
    )]
    PassphraseResetNeeded,
    #[error(
        "the store's working tables (what Today's prompts read) could not be rebuilt at this unlock ({cause}); nothing was lost: free some space or close any other program holding the store, then lock and unlock again, and if this persists run `sgd verify`"
    )]
    DerivedNotRebuilt { cause: String },
}

impl Error {
    /// A condition that passes (a busy database, a full disk): a step that only tidies or
    /// derives must not keep anyone out because of it.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Error::StoreBusy | Error::DiskFull { .. })
            || matches!(self, Error::Io { kind } if kind == "StorageFull")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::Forbidden => ErrorCode::Forbidden,
            Error::InvalidInput { .. } => ErrorCode::InvalidInput,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::StoreDamaged { .. } => ErrorCode::StoreDamaged,
            Error::TooLarge { .. } => ErrorCode::TooLarge,
            Error::NewerStore { .. } => ErrorCode::NewerStore,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::NoStore => ErrorCode::NoStore,
            Error::WeakKdfParameters => ErrorCode::WeakKdfParameters,
            Error::Conflict { .. } => ErrorCode::Conflict,
            Error::Io { .. } => ErrorCode::Io,
            Error::Internal { .. } => ErrorCode::Internal,
            Error::Locked => ErrorCode::Locked,
            Error::KeyringTampered { .. } => ErrorCode::KeyringTampered,
            Error::StoreInUse { .. } => ErrorCode::StoreInUse,
            Error::StoreBusy => ErrorCode::StoreBusy,
            Error::DiskFull { .. } => ErrorCode::DiskFull,
            Error::NotReady => ErrorCode::NotReady,
            Error::PassphraseResetNeeded => ErrorCode::PassphraseResetNeeded,
            Error::DerivedNotRebuilt { .. } => ErrorCode::DerivedNotRebuilt,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: &'static str) -> Self {
        Error::InvalidInput { field, reason }
    }

    pub(crate) fn damaged(detail: &'static str) -> Self {
        Error::StoreDamaged { detail }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        // Only the kind: an io::Error message can carry a path, and paths can name a child.
        Error::Io {
            kind: format!("{:?}", e.kind()),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // SQLite messages can echo values (constraint failures, trigger text), so keep only the
        // primary result code name.
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt => {
                    Error::damaged("the database file cannot be read with this key")
                }
                // SQLCipher's pager reports a page whose HMAC fails (a flipped byte, a page
                // from another file) as out of memory: its codec returns no page.
                rusqlite::ErrorCode::OutOfMemory => {
                    Error::damaged("a page of the database file fails its integrity check")
                }
                rusqlite::ErrorCode::ConstraintViolation => constraint(f.extended_code),
                rusqlite::ErrorCode::DiskFull => Error::Io {
                    kind: "StorageFull".into(),
                },
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    Error::StoreBusy
                }
                rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen => Error::Io {
                    kind: format!("{:?}", f.code),
                },
                code => Error::Internal {
                    detail: format!("database: {code:?}"),
                },
            },
            rusqlite::Error::QueryReturnedNoRows => Error::NotFound { what: "record" },
            other => Error::Internal {
                detail: format!("database: {}", variant_name(other)),
            },
        }
    }
}

/// A constraint failure, by which constraint. Only a uniqueness clash can follow from what a
/// person did (the same thing recorded twice); the core checks everything else before it
/// writes, so a foreign key, a check, a NOT NULL or an append-only trigger refusing a write is a
/// bug, and is reported as one rather than as a conflict the user must resolve.
fn constraint(extended_code: std::ffi::c_int) -> Error {
    use rusqlite::ffi;
    let which = match extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            return Error::Conflict {
                what: "a database constraint refused the change",
            };
        }
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "a foreign key",
        ffi::SQLITE_CONSTRAINT_CHECK => "a check",
        ffi::SQLITE_CONSTRAINT_NOTNULL => "a NOT NULL",
        ffi::SQLITE_CONSTRAINT_TRIGGER => "an append-only trigger",
        _ => "a constraint",
    };
    Error::Internal {
        detail: format!("{which} constraint refused a write (a bug: please report it)"),
    }
}

fn variant_name(e: &rusqlite::Error) -> &'static str {
    match e {
        rusqlite::Error::FromSqlConversionFailure(..) => "conversion",
        rusqlite::Error::IntegralValueOutOfRange(..) => "range",
        rusqlite::Error::InvalidColumnType(..) => "column type",
        rusqlite::Error::InvalidParameterCount(..) => "parameter count",
        _ => "other",
    }
}

impl From<serde_json::Error> for Error {
    fn from(_: serde_json::Error) -> Self {
        Error::damaged("a stored record could not be decoded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_uniqueness_clash_is_a_conflict_every_other_constraint_is_a_bug() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id TEXT PRIMARY KEY);
             CREATE TABLE child (id TEXT UNIQUE NOT NULL, parent TEXT REFERENCES parent(id),
                                 n INTEGER CHECK (n > 0));
             CREATE TRIGGER child_no_delete BEFORE DELETE ON child
               BEGIN SELECT RAISE(ABORT, 'append-only: child'); END;
             INSERT INTO parent VALUES ('p');
             INSERT INTO child VALUES ('a', 'p', 1);",
        )
        .unwrap();
        let code = |sql: &str| Error::from(c.execute(sql, []).unwrap_err()).code();
        assert_eq!(
            code("INSERT INTO child VALUES ('a', 'p', 1)"),
            ErrorCode::Conflict
        );
        assert_eq!(code("INSERT INTO parent VALUES ('p')"), ErrorCode::Conflict);
        for bug in [
            "INSERT INTO child VALUES ('b', 'missing', 1)",
            "INSERT INTO child VALUES ('c', 'p', 0)",
            "INSERT INTO child VALUES (NULL, 'p', 1)",
            "DELETE FROM child",
        ] {
            let e = Error::from(c.execute(bug, []).unwrap_err());
            assert_eq!(e.code(), ErrorCode::Internal, "{bug}");
            assert!(e.to_string().contains("a bug"), "{bug}: {e}");
        }
    }
}
