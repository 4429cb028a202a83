//! Safeguard Desk core: the encrypted, append-only store of a school's safeguarding records and
//! the one API (`Session`) that every front end calls. No Tauri here.
#![forbid(unsafe_code)]

/// Modules a front end does not call: crate-private in the app and the CLI, public only to the
/// tests, benchmarks and fuzz targets, which build with the `internals` feature.
macro_rules! internal {
    ($($module:ident),*) => {$(
        #[cfg(feature = "internals")]
        pub mod $module;
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $module;
    )*};
}
internal!(audit, inbox, keyring, kinds, store);

pub mod calendar;
pub mod clock;
pub mod demo;
pub mod desktop_lock;
mod documents;
mod error;
pub(crate) mod faults;
pub mod fields;
pub mod files;
pub mod forms;
pub mod idle;
pub mod language;
pub mod pdf;
pub mod process;
pub mod prompts;
pub mod records;
pub mod secret;
pub mod seed;
pub mod session;
pub mod sleep;
pub mod time;
pub mod vocabulary;

/// Raw database access for attacker tests: only in builds that enable the `testing` feature
/// (this crate's own tests and benchmarks), never in the app or the CLI.
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, ErrorCode, Result};
pub use keyring::{KEYRING_FILE, KdfParams};
pub use session::{
    Opened, Session, StaffSession, StoreOptions, create_store, is_store, open_store, recover,
    restore, unlock, unlock_staff, user_names, verify_store,
};
pub use store::Progress;
