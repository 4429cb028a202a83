//! Tauri commands: convert the DTO, call one core function, map the error. No SQL, crypto or
//! business rule here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use safeguard_core::idle::IdleLock;

use safeguard_core::clock::SystemClock;
use safeguard_core::language::LanguageFlag;
use safeguard_core::prompts::Prompt;
use safeguard_core::records::{
    DecisionDetails, EncompassChild, Id, NewConcern, NewReferral, NewVoice, SchoolDetails,
};
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{
    ChronologyEntry, ChronologyFilter, Dashboard, PupilFile, PupilPage, PupilQuery, PupilSummary,
    SearchHit,
};
use safeguard_core::session::{InboxReport, OwnConcern};
use safeguard_core::session::{PromptPage, PromptQuery};
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
        },
        Opened::Staff(s) => SessionInfo {
            user: s.user().clone(),
            school: s.school_name().to_owned(),
            idle_lock_minutes: s.idle_lock_minutes(),
        },
    })
}

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> IpcResult<AppStatus> {
    app_status_of(&state)
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

#[tauri::command]
pub async fn create_store(
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

/// Async so the key derivation runs off the UI thread and the window can show progress.
#[tauri::command]
pub async fn unlock(
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

/// Drops the session and with it the data key.
#[tauri::command]
pub fn lock(state: State<'_, AppState>) -> IpcResult<()> {
    state.lock_now().map(|_| ())
}

/// The person did something in the window (reported at most every few seconds). Without these
/// reports the shell locks by itself after the idle time, even if the window has frozen.
#[tauri::command]
pub fn activity(state: State<'_, AppState>) -> IpcResult<()> {
    if let Some(i) = state.idle.lock().map_err(|_| poisoned())?.as_mut() {
        i.activity(Instant::now());
    }
    Ok(())
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

/// What filing the staff inbox did when this DSL or deputy unlocked.
#[tauri::command]
pub fn inbox_report(state: State<'_, AppState>) -> IpcResult<InboxReport> {
    with_session(&state, |s| s.inbox_report())
}

/// A member of staff's own concerns, newest first (waiting, or filed by the team).
#[tauri::command]
pub fn my_concerns(state: State<'_, AppState>) -> IpcResult<Vec<OwnConcern>> {
    with_either(&state, |_| Err(Error::Forbidden), |s| s.my_concerns())
}

#[tauri::command]
pub fn dashboard(state: State<'_, AppState>) -> IpcResult<Dashboard> {
    with_session(&state, |s| s.dashboard())
}

/// The open practice prompts, in Today's order.
#[tauri::command]
pub fn prompts(state: State<'_, AppState>) -> IpcResult<Vec<Prompt>> {
    with_session(&state, |s| s.prompts())
}

/// Today's prompts: a page, ranked by urgency, with counts by rule, filtered by rule and year.
#[tauri::command]
pub fn prompt_page(state: State<'_, AppState>, query: PromptQuery) -> IpcResult<PromptPage> {
    with_session(&state, |s| s.prompt_page(&query))
}

/// Dismisses a prompt with a reason; returns the prompts still open.
#[tauri::command]
pub fn dismiss_prompt(
    state: State<'_, AppState>,
    key: String,
    reason: String,
) -> IpcResult<Vec<Prompt>> {
    with_session(&state, |s| s.dismiss_prompt(&key, &reason))
}

#[tauri::command]
pub fn list_pupils(state: State<'_, AppState>, query: PupilQuery) -> IpcResult<PupilPage> {
    with_either(&state, |s| s.list_pupils(&query), |s| s.list_pupils(&query))
}

#[tauri::command]
pub fn pupil_summary(state: State<'_, AppState>, pupil_id: Id) -> IpcResult<PupilSummary> {
    with_either(
        &state,
        |s| s.pupil_summary(pupil_id),
        |s| s.pupil_summary(pupil_id),
    )
}

#[tauri::command]
pub fn pupil_file(state: State<'_, AppState>, pupil_id: Id) -> IpcResult<PupilFile> {
    with_session(&state, |s| s.pupil_file(pupil_id))
}

/// A child's chronology, or with `family` the family's (siblings merged).
#[tauri::command]
pub fn chronology(
    state: State<'_, AppState>,
    pupil_id: Id,
    family: bool,
    filter: ChronologyFilter,
) -> IpcResult<Vec<ChronologyEntry>> {
    with_either(
        &state,
        |s| match family {
            true => s.family_chronology(pupil_id, &filter),
            false => s.pupil_chronology(pupil_id, &filter),
        },
        // Staff see only what they wrote, about this child.
        |s| s.chronology(pupil_id),
    )
}

#[tauri::command]
pub fn pupil_prompts(state: State<'_, AppState>, pupil_id: Id) -> IpcResult<Vec<Prompt>> {
    with_session(&state, |s| s.prompts_for_pupil(pupil_id))
}

#[tauri::command]
pub fn record_concern(state: State<'_, AppState>, form: ConcernForm) -> IpcResult<Id> {
    let concern = NewConcern::try_from(form)?;
    with_either(
        &state,
        |s| s.record_concern(&concern),
        |s| s.record_concern(&concern),
    )
}

#[tauri::command]
pub fn record_voice(state: State<'_, AppState>, form: VoiceForm) -> IpcResult<Id> {
    let voice = NewVoice::try_from(form)?;
    with_session(&state, |s| s.record_voice(&voice))
}

#[tauri::command]
pub fn record_referral(state: State<'_, AppState>, form: ReferralForm) -> IpcResult<Id> {
    let referral = NewReferral::try_from(form)?;
    with_session(&state, |s| s.record_referral(&referral))
}

#[tauri::command]
pub fn record_decision(
    state: State<'_, AppState>,
    referral_id: Id,
    form: DecisionForm,
) -> IpcResult<Id> {
    let decision = DecisionDetails::try_from(form)?;
    with_session(&state, |s| s.record_decision(referral_id, &decision))
}

/// The one step for a sibling not on a notification: add them to it (with their own
/// follow-up; presence and words "not known" until amended). Returns the prompts still open.
#[tauri::command]
pub fn add_sibling_to_notification(
    state: State<'_, AppState>,
    notification_id: Id,
    pupil_id: Id,
) -> IpcResult<Vec<Prompt>> {
    let child = EncompassChild {
        pupil_id,
        present: None,
        where_during: None,
        spoken_to: None,
        what_they_said: None,
    };
    with_session(&state, |s| {
        s.add_encompass_child(notification_id, &child)?;
        s.prompts()
    })
}

/// The factual-language check of a text as it is typed (no store needed, nothing recorded).
#[tauri::command]
pub fn check_language(text: String) -> Vec<LanguageFlag> {
    safeguard_core::language::check(&text)
}

#[tauri::command]
pub fn search(state: State<'_, AppState>, text: String) -> IpcResult<Vec<SearchHit>> {
    with_either(&state, |s| s.search(&text, 50), |s| s.search(&text, 50))
}
