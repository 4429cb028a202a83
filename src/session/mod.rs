//! `Session`: an unlocked store, the acting user and the clock. Every front end (the Tauri
//! window, the CLI) calls only this. Roles are enforced here, not in the UI.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::audit::Action;
use crate::audit::{self, ChainReport};
use crate::calendar::CalendarConfig;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::keyring::{KEYRING_FILE, KdfParams, Keyring, Unlocked};
use crate::records::{Id, MAX_SHORT, ResolutionProcedure, Role, SchoolDetails, Validate, required};
use crate::secret::{AuthorityKey, DataKey, Passphrase, RecoveryKey};
use crate::store::{self, Mode, lock::StoreLock};
use crate::time::{fmt_utc, parse_utc};
use zeroize::Zeroizing;

mod amend;
mod attachments;
mod chronology;
mod concerns;
mod derived;
mod documents;
mod drafts;
mod encompass;
mod escalations;
mod family;
mod follow_ups;
mod prompts;
mod pupils;
mod referrals;
mod search;
mod settings;
mod staff;
mod team;
mod today;
mod trust;
mod users;
mod verify;
mod voice;

pub use amend::AmendmentView;
pub use attachments::AttachmentView;
pub use chronology::{ChronologyEntry, ChronologyFilter, ChronologyPage};
pub use documents::{DocumentRequest, EmailDraft, FlaggedInRecord, ReferralSelection};
pub use drafts::{Draft, MAX_DRAFT_BYTES};
pub use escalations::{
    EscalationEventView, EscalationPage, EscalationQuery, EscalationView, StageView,
};
pub use family::HouseholdMemberView;
pub use follow_ups::{Assignee, CompletedFollowUp, FollowUpItem, FollowUpList};
pub use prompts::{PromptGroup, PromptPage, PromptQuery};
pub use pupils::{PupilFile, PupilPage, PupilQuery, PupilSummary, StatusFlag};
pub use search::SearchHit;
pub use settings::Settings;
pub use staff::{OwnConcern, StaffSession};
pub use team::{InboxReport, SetAside};
pub use today::{ConcernItem, Dashboard, EscalationItem, NotificationItem, ReferralItem};
pub use trust::restore;
pub use verify::verify_store;

/// What every store operation needs from outside: the KDF cost and the clock.
#[derive(Clone)]
pub struct StoreOptions {
    pub kdf: KdfParams,
    pub clock: Arc<dyn Clock>,
    /// Who holds the store while a session is open, as a second opener is told it.
    pub holder: &'static str,
    /// Told each step of a long operation (a rekey), for a progress line.
    pub progress: Arc<dyn Fn(store::Progress) + Send + Sync>,
}

impl StoreOptions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        StoreOptions {
            kdf: KdfParams::DEFAULT,
            clock,
            holder: "a Safeguard Desk program",
            progress: Arc::new(|_| {}),
        }
    }

    pub fn held_by(mut self, holder: &'static str) -> Self {
        self.holder = holder;
        self
    }

    pub fn with_progress(mut self, f: impl Fn(store::Progress) + Send + Sync + 'static) -> Self {
        self.progress = Arc::new(f);
        self
    }
}

/// The acting user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UserSummary {
    pub id: Id,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// A member of staff whose passphrase was set before this version: the DSL must set a new
    /// one before they can record anything.
    pub needs_new_passphrase: bool,
    /// Removing them moves the store to a new key (they hold the database key).
    pub removal_rekeys: bool,
}

/// Numbers per record type, for `sgd stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Stats {
    pub counts: Vec<(String, i64)>,
}

/// The outcome of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VerifyReport {
    pub integrity_ok: bool,
    pub cipher_integrity_ok: bool,
    pub chain: ChainReport,
    /// Objects missing from, changed in or added to the schema this build creates.
    pub schema_problems: Vec<String>,
    /// Rows whose references point nowhere.
    pub foreign_key_problems: Vec<String>,
    /// The chain does not hold a head recorded outside the database (keyring, backup, --expect).
    pub anchor_problems: Vec<String>,
    /// Derived tables (what Today and the pupil list read) short of rows or differing from the
    /// records: warnings, not problems (they are not records; a rebuild mends them, so a
    /// backup whose only finding is here still restores).
    pub derived_problems: Vec<String>,
}

impl VerifyReport {
    pub fn all_ok(&self) -> bool {
        self.problems().is_empty()
    }

    /// Every problem found, named, in the order `sgd verify` prints them.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.integrity_ok {
            out.push("SQLite's integrity check fails".to_string());
        }
        if !self.cipher_integrity_ok {
            out.push("a page fails its HMAC (cipher_integrity_check)".to_string());
        }
        if let Some((device, seq)) = &self.chain.first_bad {
            out.push(format!(
                "the audit chain breaks at event {seq} of device {device}"
            ));
        }
        out.extend(self.chain.content_problems.iter().cloned());
        out.extend(self.schema_problems.iter().cloned());
        out.extend(self.foreign_key_problems.iter().cloned());
        out.extend(self.anchor_problems.iter().cloned());
        out
    }
}

/// Settings keys; values are JSON, appended, the newest wins.
pub(crate) mod keys {
    pub const SCHOOL: &str = "school";
    pub const PROCEDURE: &str = "resolution_procedure";
    pub const CALENDAR: &str = "calendar";
    pub const DECISION_DAYS: &str = "referral_decision_working_days";
    pub const IDLE_LOCK: &str = "idle_lock_minutes";
    pub const PROMPTS: &str = "prompt_settings";
}

pub(crate) struct Ctx {
    pub user: Uuid,
    pub device: String,
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub fn new_id(&self) -> Uuid {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            self.now.timestamp().max(0) as u64,
            self.now.timestamp_subsec_nanos(),
        );
        Uuid::new_v7(ts)
    }

    pub fn now_text(&self) -> String {
        fmt_utc(self.now)
    }
}

pub struct Session {
    dir: PathBuf,
    conn: Connection,
    keyring: Keyring,
    /// The key the database is under now.
    data_key: DataKey,
    /// A key the keyring already holds and the database is still to be moved to.
    pending_key: Option<DataKey>,
    /// DSL sessions (and recovery) only: signs the keyring.
    authority: Option<AuthorityKey>,
    /// This user's own slot secret, to re-wrap it under a new passphrase.
    slot_secret: Zeroizing<[u8; 32]>,
    /// Opened with the recovery key (which, like a DSL's slot, may sign the keyring).
    via_recovery: bool,
    /// Pupils or the settings staff see changed: the roster is written again after the write.
    roster_dirty: bool,
    /// Inside `batch`: the roster waits for the end of it.
    in_batch: bool,
    /// What filing the staff inbox did at this unlock.
    inbox_report: team::InboxReport,
    /// Why the derived tables could not be rebuilt at this unlock (what the error said; never
    /// record content): reads that depend on them fall back or say so. None when they are whole.
    derived_failure: Option<String>,
    /// The open prompts as last worked out, and the database's write stamp then.
    prompt_cache: std::cell::RefCell<Option<prompts::PromptCache>>,
    user: User,
    device_id: String,
    opts: StoreOptions,
    _lock: StoreLock,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.name)
            .finish_non_exhaustive()
    }
}

fn store_exists(dir: &Path) -> bool {
    dir.join(KEYRING_FILE).exists() || store::db_path(dir).exists()
}

/// Is there a store in this folder (for a first-run screen)?
pub fn is_store(dir: &Path) -> bool {
    store_exists(dir)
}

/// The names on a store's unlock screen, read from the keyring without unlocking.
pub fn user_names(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = Keyring::load(dir)?
        .users()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    names.sort();
    Ok(names)
}

fn validate_user_name(name: &str) -> Result<()> {
    required("user name", name, MAX_SHORT)?;
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "user name",
            "must not start or end with spaces or hold control characters",
        ));
    }
    Ok(())
}

/// Creates a new store in `dir` (which may exist but must not hold a store) with its first DSL.
/// Returns the unlocked session and the recovery key, which is shown once and never stored.
pub fn create_store(
    dir: &Path,
    school: &SchoolDetails,
    first_user: &str,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<(Session, RecoveryKey)> {
    if store_exists(dir) {
        return Err(Error::AlreadyExists {
            what: "a store in that folder",
        });
    }
    let now = opts.clock.now();
    school.validate(now)?;
    validate_user_name(first_user)?;
    passphrase.check_new()?;
    // Only the account that made the store may list or read its folder.
    crate::files::create_private_dir(dir)?;
    let lock = StoreLock::acquire(dir, opts.holder)?;
    // Again under the lock: another program may have made one since the check above.
    if store_exists(dir) {
        return Err(Error::AlreadyExists {
            what: "a store in that folder",
        });
    }
    let data_key = DataKey::generate()?;
    let authority = AuthorityKey::generate()?;
    let recovery = RecoveryKey::generate()?;
    let store_id = Uuid::now_v7();
    let device_id = Uuid::now_v7().to_string();
    let user_id = Uuid::now_v7();

    let inbox_secret = x25519_dalek::StaticSecret::from(*DataKey::generate()?.expose_secret());
    let inbox_public = x25519_dalek::PublicKey::from(&inbox_secret);

    let result = (|| -> Result<Session> {
        let mut keyring = Keyring::new(store_id, &authority, &inbox_public);
        let keys = crate::keyring::SlotKeys {
            data_key: &data_key,
            previous: None,
            authority: &authority,
            roster_key: None,
            removed_users: &[],
        };
        keyring.set_user_slot(user_id, first_user, Role::Dsl, passphrase, &keys, opts.kdf)?;
        keyring.set_recovery_slot(&recovery, &keys, opts.kdf)?;
        keyring.sign(&authority);
        let unlocked = keyring.unlock_user(Some(first_user), passphrase)?;
        let mut conn = store::open(&store::db_path(dir), &data_key, Mode::Create)?;
        {
            let tx = conn.transaction()?;
            let at = fmt_utc(now);
            for (k, v) in [
                ("store_id", store_id.to_string()),
                ("device_id", device_id.clone()),
                ("created_at", at.clone()),
                ("created_by_version", env!("CARGO_PKG_VERSION").to_string()),
                (
                    trust::AUTHORITY_META,
                    keyring.authority_public().to_string(),
                ),
            ] {
                tx.execute(
                    "INSERT INTO store_meta (key, value) VALUES (?1, ?2)",
                    params![k, v],
                )?;
            }
            tx.execute(
                "INSERT INTO users (id, device_id, created_at, created_by, name, role) VALUES (?1, ?2, ?3, NULL, ?4, 'dsl')",
                params![user_id.to_string(), device_id, at, first_user],
            )?;
            let ctx = Ctx {
                user: user_id,
                device: device_id.clone(),
                now,
            };
            put_setting(&tx, &ctx, keys::SCHOOL, school)?;
            put_setting(&tx, &ctx, keys::PROCEDURE, &ResolutionProcedure::default())?;
            put_setting(&tx, &ctx, keys::CALENDAR, &CalendarConfig::default())?;
            team::insert_inbox_key(&tx, &ctx, &inbox_secret)?;
            team::new_team_keys(&tx, &ctx, false)?;
            trust::record_generation(&tx, &ctx, &keyring)?;
            derived::mark_current(&tx)?;
            audit::append(
                &tx,
                &device_id,
                now,
                Some(user_id),
                Action::StoreCreate.as_str(),
                &[store_id, user_id],
                &audit::Watermark::zero(),
            )?;
            tx.commit()?;
        }
        keyring.save_signed(dir)?;
        let mut session = Session {
            dir: dir.to_owned(),
            conn,
            keyring,
            data_key,
            pending_key: None,
            authority: Some(authority),
            slot_secret: unlocked.slot_secret,
            via_recovery: false,
            roster_dirty: false,
            in_batch: false,
            inbox_report: team::InboxReport::default(),
            derived_failure: None,
            prompt_cache: Default::default(),
            user: User {
                id: user_id,
                name: first_user.to_owned(),
                role: Role::Dsl,
            },
            device_id,
            opts,
            _lock: lock,
        };
        session.record_keyring_written()?;
        session.publish_roster()?;
        Ok(session)
    })();
    match result {
        Ok(s) => Ok((s, recovery)),
        Err(e) => {
            // Nothing of a half-made store is left behind (these files were created just now).
            for p in store::db_side_files(dir) {
                let _ = fs::remove_file(p);
            }
            let _ = fs::remove_file(dir.join(KEYRING_FILE));
            let _ = fs::remove_file(dir.join(crate::inbox::ROSTER_FILE));
            let _ = fs::remove_file(dir.join(store::lock::LOCK_FILE));
            Err(e)
        }
    }
}

/// Opens the database with the key from a slot. When only the slot's previous key opens it, a
/// rekey was interrupted: the database is under `previous` and is to move to the new key.
/// Returns the connection, the key it is under and the key it is still to move to.
fn open_database(
    dir: &Path,
    unlocked: &Unlocked,
) -> Result<(Connection, DataKey, Option<DataKey>)> {
    let path = store::db_path(dir);
    let data_key = unlocked.data_key.as_ref().ok_or(Error::Forbidden)?;
    match store::open(&path, data_key, Mode::Existing) {
        Ok(conn) => Ok((conn, data_key.duplicate(), None)),
        Err(Error::WrongPassphrase) => match &unlocked.previous_data_key {
            Some(previous) => {
                let conn = store::open(&path, previous, Mode::Existing).map_err(|_| {
                    Error::damaged("the database cannot be read with the keyring's keys")
                })?;
                Ok((conn, previous.duplicate(), Some(data_key.duplicate())))
            }
            // The key came out of an authenticated slot, so this is damage, not a wrong passphrase.
            None => Err(Error::damaged(
                "the database cannot be read with the keyring's key",
            )),
        },
        Err(e) => Err(e),
    }
}

/// SQL: true when the user `u` has been removed. Removal is an event row, never an edit.
macro_rules! removed {
    () => {
        "EXISTS (SELECT 1 FROM user_events e WHERE e.user_id = u.id AND e.event = 'removed')"
    };
}
pub(crate) use removed;

/// The current (not removed) user of that name.
fn active_user_by_name(conn: &Connection, name: &str) -> Result<User> {
    let id: String = conn
        .query_row(
            concat!(
                "SELECT id FROM users u WHERE name = ?1 AND NOT ",
                removed!()
            ),
            [name],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(Error::NotFound { what: "user" })?;
    Ok(load_user(conn, parse_id(&id)?)?.0)
}

fn meta(conn: &Connection, key: &str) -> Result<String> {
    meta_opt(conn, key)?.ok_or(Error::damaged("the store's metadata is missing"))
}

fn meta_opt(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn load_user(conn: &Connection, id: Uuid) -> Result<(User, bool)> {
    let row = conn
        .query_row(
            concat!(
                "SELECT name, role, ",
                removed!(),
                " FROM users u WHERE id = ?1"
            ),
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            },
        )
        .optional()?
        .ok_or(Error::NotFound { what: "user" })?;
    Ok((
        User {
            id,
            name: row.0,
            role: Role::parse(&row.1)?,
        },
        row.2,
    ))
}

/// An unlocked store: the team's session over the database, or a member of staff's over
/// their inbox (staff hold no database key).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per window or command; never stored in bulk
pub enum Opened {
    Team(Session),
    Staff(StaffSession),
}

/// Unlocks a store as a member of the safeguarding team (a member of staff's passphrase gives
/// `Forbidden`: their session is [`open_store`]'s `Opened::Staff`).
pub fn unlock(
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<Session> {
    match open_store(dir, user, passphrase, opts)? {
        Opened::Team(s) => Ok(s),
        Opened::Staff(_) => Err(Error::Forbidden),
    }
}

/// Unlocks a member of staff's session (anyone else's passphrase gives `Forbidden`).
pub fn unlock_staff(
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<StaffSession> {
    match open_store(dir, user, passphrase, opts)? {
        Opened::Staff(s) => Ok(s),
        Opened::Team(_) => Err(Error::Forbidden),
    }
}

/// Unlocks a store as `user` (or, with no name, as whoever the passphrase opens).
pub fn open_store(
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<Opened> {
    if !store_exists(dir) {
        return Err(Error::NoStore);
    }
    // A store written by an older version (or copied with a loose umask) is made private.
    let mut own = store::db_side_files(dir).to_vec();
    own.push(dir.join(KEYRING_FILE));
    crate::files::restrict_store(dir, &own);
    let lock = StoreLock::acquire(dir, opts.holder)?;
    let keyring = Keyring::load(dir)?;
    let unlocked = keyring.unlock_user(user, passphrase)?;
    let user_id = unlocked
        .user_id
        .ok_or(Error::damaged("a user slot has no user"))?;
    if unlocked.data_key.is_none() {
        return StaffSession::opened(dir, lock, keyring, unlocked, opts).map(Opened::Staff);
    }
    let secret = passphrase.expose_secret().as_bytes();
    let mut session = Session::opened(dir, lock, keyring, unlocked, opts, Some(secret), |conn| {
        let (user, removed) = load_user(conn, user_id)?;
        if removed {
            return Err(Error::WrongPassphrase);
        }
        Ok(user)
    })?;
    session.write(Action::SessionUnlock, |_, ctx| Ok(((), vec![ctx.user])))?;
    Ok(Opened::Team(session))
}

/// Resets a user's passphrase with the recovery key.
pub fn recover(
    dir: &Path,
    user_name: &str,
    recovery_key: &RecoveryKey,
    new_passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<()> {
    new_passphrase.check_new()?;
    let lock = StoreLock::acquire(dir, opts.holder)?;
    let keyring = Keyring::load(dir)?;
    let unlocked = keyring.unlock_recovery(recovery_key)?;
    let secret = recovery_key.expose_normalised();
    let mut session = Session::opened(
        dir,
        lock,
        keyring,
        unlocked,
        opts,
        Some(secret.as_bytes()),
        |conn| active_user_by_name(conn, user_name),
    )?;
    let target = session.user.clone();
    session.set_new_slot(&target, new_passphrase)?;
    session.write(Action::UserPassphraseRecovered, |c, ctx| {
        insert_user_event(c, ctx, target.id, "passphrase_recovered")?;
        Ok(((), vec![target.id]))
    })
}

pub(crate) fn put_setting<T: Serialize>(
    conn: &Connection,
    ctx: &Ctx,
    key: &str,
    value: &T,
) -> Result<()> {
    let json = serde_json::to_string(value).map_err(|_| Error::Internal {
        detail: "setting encoding".into(),
    })?;
    conn.execute(
        "INSERT INTO settings (id, device_id, at, by_user, key, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), key, json],
    )?;
    Ok(())
}

fn insert_user_event(conn: &Connection, ctx: &Ctx, user_id: Uuid, event: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO user_events (id, device_id, at, by_user, user_id, event) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), user_id.to_string(), event],
    )?;
    Ok(())
}

impl Session {
    /// A session over a store whose slot has just been opened: opens the database, checks the
    /// keyring against it before anything is resealed, finds the acting user with `who`, then
    /// brings the store up to date (keyring migration, content baseline, an interrupted rekey,
    /// removals still to finish).
    fn opened(
        dir: &Path,
        lock: StoreLock,
        keyring: Keyring,
        unlocked: Unlocked,
        opts: StoreOptions,
        rewrap_with: Option<&[u8]>,
        who: impl FnOnce(&Connection) -> Result<User>,
    ) -> Result<Session> {
        let (conn, data_key, pending_key) = open_database(dir, &unlocked)?;
        trust::check_keyring(&conn, &keyring)?;
        let user = who(&conn)?;
        // Checked against the database, an older wrapping is trusted and bound to the store now
        // (staff in a store not yet moved on get theirs bound before they are told to wait).
        let mut keyring = keyring;
        // (An unsigned keyring is first migrated: its wrappings are bound at the next unlock.)
        if !keyring.is_legacy()
            && let Some(secret) = rewrap_with
        {
            if unlocked.needs_rewrap {
                keyring.rewrap_slot(&unlocked.slot_secret, secret, opts.kdf)?;
                keyring.save_rewrapped(dir)?;
            } else if unlocked.kdf.rewrap_to(opts.kdf) {
                // A wrapping made with other parameters than this build writes (one Argon2id
                // lane, before 4 became the default) is made again with them, never with less
                // work: one more derivation, once. Best effort: a keyring that cannot be written
                // now (a full disk) keeps the old wrapping and never keeps the person out.
                let mut next = keyring.clone();
                if next
                    .rewrap_slot(&unlocked.slot_secret, secret, opts.kdf)
                    .and_then(|()| crate::faults::hit("keyring.rewrap_lanes"))
                    .and_then(|()| next.save_rewrapped(dir))
                    .is_ok()
                {
                    keyring = next;
                }
            }
        }
        if unlocked.user_id == Some(user.id) && user.role == Role::Staff {
            // A staff slot that still holds the database key: an older store the DSL has not
            // opened since the update. Staff never get a session over the database.
            return Err(Error::NotReady);
        }
        if let Some(role) = unlocked.role
            && unlocked.user_id == Some(user.id)
            && role != user.role
        {
            return Err(Error::KeyringTampered {
                detail: "a key slot's role differs from its user's",
            });
        }
        let device_id = meta(&conn, "device_id")?;
        let mut session = Session {
            dir: dir.to_owned(),
            conn,
            keyring,
            data_key,
            pending_key,
            authority: unlocked.authority,
            via_recovery: unlocked.user_id.is_none(),
            slot_secret: unlocked.slot_secret,
            roster_dirty: false,
            in_batch: false,
            inbox_report: team::InboxReport::default(),
            derived_failure: None,
            prompt_cache: Default::default(),
            user,
            device_id,
            opts,
            _lock: lock,
        };
        session.bring_up_to_date()?;
        Ok(session)
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.opts.clock.now()
    }

    pub(crate) fn ctx(&self) -> Ctx {
        Ctx {
            user: self.user.id,
            device: self.device_id.clone(),
            now: self.now(),
        }
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn require(&self, allowed: fn(Role) -> bool) -> Result<()> {
        if allowed(self.user.role) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Runs `f` and appends its audit event atomically (a savepoint, so batches nest).
    pub(crate) fn write<T>(
        &mut self,
        action: Action,
        f: impl FnOnce(&Connection, &Ctx) -> Result<(T, Vec<Uuid>)>,
    ) -> Result<T> {
        let ctx = self.ctx();
        let changes_before = self.conn.total_changes();
        let sp = self.conn.savepoint()?;
        let before = audit::Watermark::take(&sp)?;
        let (out, targets) = f(&sp, &ctx)?;
        chronology::refresh_written(&sp, &before)?;
        audit::append(
            &sp,
            &ctx.device,
            ctx.now,
            Some(ctx.user),
            action.as_str(),
            &targets,
            &before,
        )?;
        sp.commit()?;
        self.note_written(changes_before, prompts::Written::Records(&targets));
        if action.changes_roster() {
            self.roster_dirty = true;
        }
        if self.roster_dirty && !self.in_batch {
            // Best effort: the record is written; a roster that could not be (a full disk) is
            // tried again after the next write and at every unlock.
            let _ = self.publish_roster();
        }
        Ok(out)
    }

    /// Appends an audit event for a read (opening a child's file, generating a document).
    /// A read writes no record row, so its event accounts for none: no watermarks to take (a
    /// chronology or a search is opened far more often than anything is written).
    pub(crate) fn audit_read(&mut self, action: Action, targets: &[Uuid]) -> Result<()> {
        let ctx = self.ctx();
        let changes_before = self.conn.total_changes();
        let sp = self.conn.savepoint()?;
        audit::append_content(
            &sp,
            &ctx.device,
            ctx.now,
            Some(ctx.user),
            action.as_str(),
            targets,
            &audit::Content::default(),
        )?;
        sp.commit()?;
        self.note_written(changes_before, prompts::Written::AuditOnly);
        Ok(())
    }

    /// Tells the kept prompts what a write changed (`prompts::PromptCache::note`).
    fn note_written(&mut self, changes_before: u64, written: prompts::Written<'_>) {
        let after = self.conn.total_changes();
        if let Some(cache) = self.prompt_cache.get_mut() {
            cache.note(changes_before, after, written);
        }
    }

    /// Runs a read of many statements in one read transaction: one snapshot (what another
    /// process commits meanwhile is not half seen) and one WAL lock, instead of a lock taken and
    /// released around every statement, which costs more than the statement on a small read.
    /// Inside a write's transaction it just runs.
    pub(crate) fn reading<T>(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return read();
        }
        let changes = self.conn.total_changes();
        self.conn.execute_batch("BEGIN DEFERRED")?;
        // Ended even if the read fails or panics: a snapshot left open would pin the WAL and
        // swallow the next write into a transaction nobody commits.
        let open = ReadTransaction(&self.conn);
        let value = read()?;
        if self.conn.total_changes() != changes {
            return Err(Error::Internal {
                detail: "a read wrote to the store; nothing it wrote was kept".into(),
            });
        }
        open.end()?;
        Ok(value)
    }

    /// Runs many writes in one transaction (the seeded school; imports). Each write still gets
    /// its own audit event.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.in_batch = true;
        let result = f(self);
        self.in_batch = false;
        match result {
            Ok(v) => {
                if let Err(e) = self.conn.execute_batch("COMMIT") {
                    // Not committed: nothing worked out inside the batch may be kept.
                    let _ = self.conn.execute_batch("ROLLBACK");
                    self.prompt_cache.get_mut().take();
                    return Err(e.into());
                }
                if self.roster_dirty {
                    let _ = self.publish_roster();
                }
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                // Prompts worked out inside the batch may name what was rolled back.
                self.prompt_cache.get_mut().take();
                Err(e)
            }
        }
    }

    // ---- statistics ----

    pub fn stats(&self) -> Result<Stats> {
        self.require(Role::reads_everything)?;
        let tables = [
            ("users", "users"),
            ("pupils", "pupils"),
            ("households", "households"),
            ("household members", "household_members"),
            ("concerns", "concerns"),
            ("attachments", "attachments"),
            (
                "Operation Encompass notifications",
                "encompass_notifications",
            ),
            ("child's voice entries", "voice_entries"),
            ("follow-ups", "follow_ups"),
            ("referrals", "referrals"),
            ("referral decisions", "referral_decisions"),
            ("escalations", "escalations"),
            ("escalation stages", "escalation_stages"),
            ("amendments", "amendments"),
            ("prompt dismissals", "prompt_dismissals"),
            ("audit events", "audit_events"),
        ];
        let mut counts = Vec::new();
        for (label, table) in tables {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            counts.push((label.to_owned(), n));
        }
        Ok(Stats { counts })
    }
}

pub(crate) fn parse_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| Error::damaged("a stored id is malformed"))
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    parse_utc(s)
}

/// A read transaction `Session::reading` began: rolled back unless ended.
struct ReadTransaction<'c>(&'c Connection);

impl ReadTransaction<'_> {
    fn end(self) -> Result<()> {
        // A read has nothing to keep: COMMIT only releases the snapshot (if it fails, the
        // drop rolls back).
        self.0.execute_batch("COMMIT")?;
        Ok(())
    }
}

impl Drop for ReadTransaction<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod reading_tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;
    use crate::clock::ManualClock;
    use crate::keyring::{KdfParams, Keyring};
    use crate::secret::Passphrase;

    /// A read of many statements sees one snapshot, whatever another connection commits
    /// meanwhile, and leaves no transaction open, whether it succeeded or failed; inside a
    /// write's transaction it takes none of its own.
    #[test]
    fn a_read_sees_one_snapshot_and_leaves_no_transaction_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let pass = Passphrase::new("reading test passphrase".into());
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let mut opts = StoreOptions::new(Arc::new(ManualClock::new(now)));
        opts.kdf = KdfParams::MINIMUM;
        let school = SchoolDetails {
            name: "Snapshot school".into(),
            local_authority: "Test LA".into(),
            dfe_number: None,
            referral_email: None,
        };
        let (mut s, _) = create_store(&dir, &school, "A DSL", &pass, opts).unwrap();
        let key = Keyring::load(&dir)
            .unwrap()
            .unlock_user(Some("A DSL"), &pass)
            .unwrap()
            .data_key
            .unwrap();
        let other = crate::store::open(
            &crate::store::db_path(&dir),
            &key,
            crate::store::Mode::Existing,
        )
        .unwrap();
        let tables = |c: &Connection| -> i64 {
            c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .unwrap()
        };
        let (before, during) = s
            .reading(|| {
                let before = tables(s.conn());
                other
                    .execute_batch("CREATE TABLE committed_meanwhile (x)")
                    .unwrap();
                Ok((before, tables(s.conn())))
            })
            .unwrap();
        assert_eq!(before, during, "the read kept its snapshot");
        assert!(s.conn().is_autocommit());
        assert_eq!(
            tables(s.conn()),
            before + 1,
            "the next read sees the commit"
        );

        let failed: Result<()> = s.reading(|| Err(Error::NotFound { what: "anything" }));
        assert!(matches!(failed, Err(Error::NotFound { .. })));
        assert!(
            s.conn().is_autocommit(),
            "a failed read ends its transaction"
        );

        // A read that writes is refused, and what it wrote is not kept.
        s.conn().execute_batch("CREATE TABLE scratch (x)").unwrap();
        let wrote: Result<()> = s.reading(|| {
            s.conn().execute("INSERT INTO scratch VALUES (1)", [])?;
            Ok(())
        });
        assert!(matches!(wrote, Err(Error::Internal { .. })), "{wrote:?}");
        assert!(s.conn().is_autocommit());
        let kept: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM scratch", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 0, "the read's write was rolled back");
        // A read that panics leaves no transaction open either.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<()> = s.reading(|| panic!("a read panicked"));
        }));
        assert!(panicked.is_err());
        assert!(
            s.conn().is_autocommit(),
            "the panicked read was rolled back"
        );

        s.batch(|s| {
            assert!(!s.conn().is_autocommit());
            s.reading(|| Ok(()))?;
            assert!(
                !s.conn().is_autocommit(),
                "the write's transaction is still open"
            );
            Ok(())
        })
        .unwrap();
    }
}
