//! Safeguard Desk core: the encrypted, append-only store of a school's safeguarding records and
//! the one API (`Session`) that every front end calls. No Tauri here.
#![forbid(unsafe_code)]

pub mod audit;
pub mod calendar;
pub mod clock;
pub mod demo;
pub mod desktop_lock;
mod error;
pub(crate) mod faults;
pub mod fields;
pub mod files;
pub mod forms;
pub mod idle;
pub mod inbox;
pub mod keyring;
pub mod kinds;
pub mod language;
pub mod pdf;
pub mod process;
pub mod prompts;
pub mod records;
pub mod secret;
pub mod seed;
pub mod session;
pub mod sleep;
pub mod store;
pub mod time;
pub mod vocabulary;

/// Raw database access for attacker tests: only in builds that enable the `testing` feature
/// (this crate's own tests and benchmarks), never in the app or the CLI.
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, ErrorCode, Result};
pub use session::{
    Opened, Session, StaffSession, StoreOptions, create_store, is_store, open_store, recover,
    restore, unlock, unlock_staff, user_names, verify_store,
};
