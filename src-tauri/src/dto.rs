//! The IPC boundary: what crosses to the webview, generated as TypeScript by ts-rs. Errors cross
//! as `{ code, message }`, with the core's closed set of codes and its content-free messages.

use safeguard_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AppStatus {
    pub store_dir: String,
    pub store_exists: bool,
    /// Names on the unlock screen (from the keyring; empty when there is no store).
    pub users: Vec<String>,
    pub session: Option<SessionInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SessionInfo {
    pub user: safeguard_core::session::User,
    pub school: String,
    pub idle_lock_minutes: u32,
}

/// Holds a passphrase: no Debug, so it cannot be logged by accident; it becomes a core
/// `Passphrase` (zeroized on drop) at once.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct CreateStoreRequest {
    pub school_name: String,
    pub local_authority: String,
    pub user_name: String,
    pub passphrase: String,
}

/// Holds the recovery key on its way to the screen: no Debug.
#[derive(Serialize, TS)]
#[ts(export)]
pub struct CreatedStore {
    pub session: SessionInfo,
    /// Shown once, in groups; never stored by the app.
    pub recovery_key: String,
}

/// Holds a passphrase: no Debug.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct UnlockRequest {
    pub user_name: String,
    pub passphrase: String,
}
