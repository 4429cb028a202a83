//! The shell's state (the session, its idle clock, files picked to attach) and what the
//! commands in `ipc.rs` share: running a call on the open session, opening and creating a store.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use safeguard_core::clock::SystemClock;
use safeguard_core::idle::IdleLock;
use safeguard_core::records::SchoolDetails;
use safeguard_core::secret::Passphrase;
use safeguard_core::{Error, Opened, Session, StaffSession, StoreOptions};
use tauri::{AppHandle, Emitter, State};

use crate::dto::*;

pub struct AppState {
    store_dir: Mutex<PathBuf>,
    /// The team's session over the database, or a member of staff's over their inbox.
    session: Mutex<Option<Opened>>,
    /// Set while a session is open: the core's idle rule, fed by the window's activity reports.
    idle: Mutex<Option<IdleLock>>,
    /// Files picked to attach (token → path); cleared at every lock.
    picked: Mutex<HashMap<String, PathBuf>>,
}

impl AppState {
    pub fn new(store_dir: PathBuf) -> Self {
        AppState {
            store_dir: Mutex::new(store_dir),
            session: Mutex::new(None),
            idle: Mutex::new(None),
            picked: Mutex::new(HashMap::new()),
        }
    }

    /// Drops the session (and with it the data key). True when it was unlocked. Never refused:
    /// a poisoned lock (a command that panicked) is taken over, not left holding the key.
    pub fn lock_now(&self) -> IpcResult<bool> {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.picked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(session.take().is_some())
    }

    /// Keeps the session and starts its idle clock, both under the session's lock (the order
    /// `lock_now` takes them in), so a session is never open without its idle clock.
    fn open(&self, new: Opened, idle_minutes: u32) -> IpcResult<()> {
        let mut session = self.session.lock().map_err(|_| poisoned())?;
        *self.idle.lock().map_err(|_| poisoned())? =
            Some(IdleLock::new(Instant::now(), idle_minutes));
        *session = Some(new);
        Ok(())
    }

    /// Files picked in the shell's dialog, by token, until attached or the store is locked.
    pub(crate) fn picked(&self) -> IpcResult<std::sync::MutexGuard<'_, HashMap<String, PathBuf>>> {
        self.picked.lock().map_err(|_| poisoned())
    }

    /// Points the app at another store folder (the session is locked first by the caller).
    pub(crate) fn set_store_dir(&self, dir: PathBuf) -> IpcResult<()> {
        *self.store_dir.lock().map_err(|_| poisoned())? = dir;
        Ok(())
    }

    /// The person did something in the window: the idle clock starts again.
    pub(crate) fn activity(&self) -> IpcResult<()> {
        if let Some(i) = self.idle.lock().map_err(|_| poisoned())?.as_mut() {
            i.activity(Instant::now());
        }
        Ok(())
    }

    /// Whether the idle time has passed (checked by the shell's watcher thread).
    pub fn idle_due(&self) -> bool {
        self.idle
            .lock()
            .map(|i| i.as_ref().is_some_and(|i| i.due(Instant::now())))
            .unwrap_or(true)
    }
}

/// `SGD_STORE` names the store folder (the run script points it at the demo school; tests at a
/// throwaway store); otherwise the user's data folder.
pub fn initial_store_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SGD_STORE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("safeguard-desk").join("store")
}

/// The store options of the window: long operations report each step as `sgd-progress`.
pub(crate) fn opts(app: &AppHandle) -> StoreOptions {
    let app = app.clone();
    StoreOptions::new(Arc::new(SystemClock))
        .held_by("the Safeguard Desk window")
        .with_progress(move |p| {
            let _ = app.emit("sgd-progress", crate::dto::ProgressEvent::from(p));
        })
}

fn poisoned() -> IpcError {
    IpcError::from(Error::Internal {
        detail: "application state".into(),
    })
}

fn info(opened: &Opened) -> Result<SessionInfo, Error> {
    Ok(match opened {
        Opened::Team(s) => SessionInfo {
            user: s.user().clone(),
            school: s.school()?.name,
            idle_lock_minutes: s.idle_lock_minutes()?,
            can: s.user().role.capabilities(),
        },
        Opened::Staff(s) => SessionInfo {
            user: s.user().clone(),
            school: s.school_name().to_owned(),
            idle_lock_minutes: s.idle_lock_minutes(),
            can: s.user().role.capabilities(),
        },
    })
}

pub(crate) fn app_status_of(state: &AppState) -> IpcResult<AppStatus> {
    let dir = state.store_dir.lock().map_err(|_| poisoned())?.clone();
    let session = state.session.lock().map_err(|_| poisoned())?;
    let store_exists = safeguard_core::is_store(&dir);
    let users = if store_exists {
        safeguard_core::user_names(&dir)?
    } else {
        Vec::new()
    };
    let session = session.as_ref().map(info).transpose()?;
    Ok(AppStatus {
        store_dir: dir.display().to_string(),
        store_exists,
        users,
        session,
    })
}

pub(crate) fn create_store(
    app: AppHandle,
    state: State<'_, AppState>,
    request: CreateStoreRequest,
) -> IpcResult<CreatedStore> {
    let dir = state.store_dir.lock().map_err(|_| poisoned())?.clone();
    let school = SchoolDetails {
        name: request.school_name,
        local_authority: request.local_authority,
        dfe_number: None,
        referral_email: None,
    };
    let (session, key) = safeguard_core::create_store(
        &dir,
        &school,
        &request.user_name,
        &Passphrase::new(request.passphrase),
        opts(&app),
    )?;
    let session = Opened::Team(session);
    let created = CreatedStore {
        session: info(&session)?,
        recovery_key: key.expose_grouped().to_string(),
    };
    state.open(session, created.session.idle_lock_minutes)?;
    Ok(created)
}

pub(crate) fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    request: UnlockRequest,
) -> IpcResult<SessionInfo> {
    let dir = state.store_dir.lock().map_err(|_| poisoned())?.clone();
    let session = safeguard_core::open_store(
        &dir,
        Some(&request.user_name),
        &Passphrase::new(request.passphrase),
        opts(&app),
    )?;
    let i = info(&session)?;
    state.open(session, i.idle_lock_minutes)?;
    Ok(i)
}

/// Runs `f` on the team's unlocked session, or answers `Locked` (or `Forbidden` to staff).
pub(crate) fn with_session<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Session) -> Result<T, Error>,
) -> IpcResult<T> {
    with_either(state, f, |_| Err(Error::Forbidden))
}

/// Runs `team` on the team's session or `staff` on a member of staff's.
pub(crate) fn with_either<T>(
    state: &State<'_, AppState>,
    team: impl FnOnce(&mut Session) -> Result<T, Error>,
    staff: impl FnOnce(&mut StaffSession) -> Result<T, Error>,
) -> IpcResult<T> {
    let mut guard = state.session.lock().map_err(|_| poisoned())?;
    match guard.as_mut().ok_or(IpcError::from(Error::Locked))? {
        Opened::Team(s) => Ok(team(s)?),
        Opened::Staff(s) => Ok(staff(s)?),
    }
}
