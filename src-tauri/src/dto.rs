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
    /// What this user may do (from their role, decided by the core).
    pub can: safeguard_core::records::Capabilities,
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

/// A step of a long operation (a rekey, a backup, a restore), sent to the window as the
/// `sgd-progress` event while the command runs.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProgressEvent {
    /// What the operation is ("Changing the database key").
    pub operation: String,
    /// The step now under way ("checking the new copy").
    pub step: String,
    pub done: bool,
}

impl From<safeguard_core::Progress> for ProgressEvent {
    fn from(p: safeguard_core::Progress) -> Self {
        ProgressEvent {
            operation: p.operation().into(),
            step: p.describe().into(),
            done: matches!(
                p,
                safeguard_core::Progress::Done | safeguard_core::Progress::Failed
            ),
        }
    }
}

/// A backup restored into a new folder, which the window then opens.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct Restored {
    pub folder: String,
    /// Audit events the restored copy's chain holds, all verified.
    pub events: u32,
}

/// A new user with their first passphrase: no Debug, so it cannot be logged.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct NewUserRequest {
    pub name: String,
    pub role: safeguard_core::records::Role,
    pub passphrase: String,
}

/// What was saved: the pages, and characters the font could not show (printed as U+FFFD).
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SavedDocument {
    /// Where it was saved, as the person chose in the dialog.
    pub path: String,
    pub pages: u32,
    pub missing: Vec<String>,
}
