//! `Session`: an unlocked store, the acting user and the clock. Every front end (the Tauri
//! window, the CLI) calls only this. Roles are enforced here, not in the UI.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use ts_rs::TS;
use uuid::Uuid;

use crate::audit::{self, ChainHead, ChainReport};
use crate::calendar::{CalendarConfig, WorkingCalendar};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::keyring::{KEYRING_FILE, KdfParams, Keyring};
use crate::records::{Id, MAX_SHORT, ResolutionProcedure, Role, SchoolDetails, Validate, required};
use crate::secret::{DataKey, Passphrase, RecoveryKey};
use crate::store;
use crate::time::{fmt_utc, parse_utc};

mod amend;
mod attachments;
mod documents;
mod drafts;
mod family;
mod prompts;
mod queries;
mod settings;
mod tracking;
mod writes;

pub use attachments::AttachmentView;
pub use documents::{DocumentRequest, EmailDraft, FlaggedInRecord, ReferralSelection};
pub use drafts::{Draft, MAX_DRAFT_BYTES};
pub use queries::*;
pub use settings::Settings;
pub use tracking::*;

/// What every store operation needs from outside: the KDF cost and the clock.
#[derive(Clone)]
pub struct StoreOptions {
    pub kdf: KdfParams,
    pub clock: Arc<dyn Clock>,
}

impl StoreOptions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        StoreOptions {
            kdf: KdfParams::DEFAULT,
            clock,
        }
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
}

impl VerifyReport {
    pub fn all_ok(&self) -> bool {
        self.integrity_ok && self.cipher_integrity_ok && self.chain.first_bad.is_none()
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
    data_key: DataKey,
    user: User,
    device_id: String,
    opts: StoreOptions,
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
    fs::create_dir_all(dir)?;
    // Only the account that made the store may list or read its folder.
    #[cfg(unix)]
    fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let data_key = DataKey::generate()?;
    let recovery = RecoveryKey::generate()?;
    let store_id = Uuid::now_v7();
    let device_id = Uuid::now_v7().to_string();
    let user_id = Uuid::now_v7();

    let result = (|| -> Result<Session> {
        let mut conn = store::open(&store::db_path(dir), &data_key, true)?;
        {
            let tx = conn.transaction()?;
            let at = fmt_utc(now);
            for (k, v) in [
                ("store_id", store_id.to_string()),
                ("device_id", device_id.clone()),
                ("created_at", at.clone()),
                ("created_by_version", env!("CARGO_PKG_VERSION").to_string()),
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
            audit::append(
                &tx,
                &device_id,
                now,
                Some(user_id),
                "store.create",
                &[store_id, user_id],
            )?;
            tx.commit()?;
        }
        let mut keyring = Keyring::new(store_id);
        keyring.set_user_slot(user_id, first_user, passphrase, &data_key, opts.kdf)?;
        keyring.set_recovery_slot(&recovery, &data_key, opts.kdf)?;
        keyring.save(dir)?;
        Ok(Session {
            dir: dir.to_owned(),
            conn,
            keyring,
            data_key,
            user: User {
                id: user_id,
                name: first_user.to_owned(),
                role: Role::Dsl,
            },
            device_id,
            opts,
        })
    })();
    match result {
        Ok(s) => Ok((s, recovery)),
        Err(e) => {
            // Nothing of a half-made store is left behind (these files were created just now).
            for p in store::db_side_files(dir) {
                let _ = fs::remove_file(p);
            }
            let _ = fs::remove_file(dir.join(KEYRING_FILE));
            Err(e)
        }
    }
}

/// Opens the database with the key from a slot, finishing a rekey that was interrupted.
fn open_with(
    dir: &Path,
    keyring: &mut Keyring,
    unlocked: &crate::keyring::Unlocked,
) -> Result<Connection> {
    let path = store::db_path(dir);
    match store::open(&path, &unlocked.data_key, false) {
        Ok(conn) => {
            if keyring.rekey_in_flight() {
                keyring.reseal_all(&unlocked.data_key, None)?;
                keyring.save(dir)?;
            }
            Ok(conn)
        }
        Err(Error::WrongPassphrase) => match &unlocked.previous_data_key {
            Some(previous) => {
                let conn = store::open(&path, previous, false).map_err(|_| {
                    Error::damaged("the database cannot be read with the keyring's keys")
                })?;
                store::rekey(&conn, &unlocked.data_key)?;
                keyring.reseal_all(&unlocked.data_key, None)?;
                keyring.save(dir)?;
                Ok(conn)
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
    conn.query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or(Error::damaged("the store's metadata is missing"))
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

/// Unlocks a store as `user` (or, with no name, as whoever the passphrase opens).
pub fn unlock(
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<Session> {
    let mut keyring = Keyring::load(dir)?;
    let unlocked = keyring.unlock_user(user, passphrase)?;
    let user_id = unlocked
        .user_id
        .ok_or(Error::damaged("a user slot has no user"))?;
    let conn = open_with(dir, &mut keyring, &unlocked)?;
    let (user, removed) = load_user(&conn, user_id)?;
    if removed {
        return Err(Error::WrongPassphrase);
    }
    let mut session = Session::opened(dir, conn, keyring, unlocked.data_key, user, opts)?;
    session.finish_removals()?;
    session.write("session.unlock", |_, ctx| Ok(((), vec![ctx.user])))?;
    Ok(session)
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
    let mut keyring = Keyring::load(dir)?;
    let unlocked = keyring.unlock_recovery(recovery_key)?;
    let conn = open_with(dir, &mut keyring, &unlocked)?;
    let user = active_user_by_name(&conn, user_name)?;
    let user_id = user.id;
    let mut session = Session::opened(dir, conn, keyring, unlocked.data_key, user, opts)?;
    session.set_slot(user_id, &session.user.name.clone(), new_passphrase)?;
    session.write("user.passphrase_recovered", |c, ctx| {
        insert_user_event(c, ctx, user_id, "passphrase_recovered")?;
        Ok(((), vec![user_id]))
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
    /// A session over a database just opened with a key from the keyring.
    fn opened(
        dir: &Path,
        conn: Connection,
        keyring: Keyring,
        data_key: DataKey,
        user: User,
        opts: StoreOptions,
    ) -> Result<Session> {
        let device_id = meta(&conn, "device_id")?;
        Ok(Session {
            dir: dir.to_owned(),
            conn,
            keyring,
            data_key,
            user,
            device_id,
            opts,
        })
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
        action: &str,
        f: impl FnOnce(&Connection, &Ctx) -> Result<(T, Vec<Uuid>)>,
    ) -> Result<T> {
        let ctx = self.ctx();
        let sp = self.conn.savepoint()?;
        let (out, targets) = f(&sp, &ctx)?;
        audit::append(&sp, &ctx.device, ctx.now, Some(ctx.user), action, &targets)?;
        sp.commit()?;
        Ok(out)
    }

    /// Appends an audit event for a read (opening a child's file, generating a document).
    pub(crate) fn audit_read(&mut self, action: &str, targets: &[Uuid]) -> Result<()> {
        self.write(action, |_, _| Ok(((), targets.to_vec())))
    }

    /// Runs many writes in one transaction (the seeded school; imports). Each write still gets
    /// its own audit event.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    // ---- settings ----

    pub(crate) fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        v.map(|s| serde_json::from_str(&s).map_err(Error::from))
            .transpose()
    }

    fn set_setting<T: Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        self.write("settings.change", |c, ctx| {
            put_setting(c, ctx, key, value)?;
            Ok(((), vec![]))
        })
    }

    pub fn school(&self) -> Result<SchoolDetails> {
        self.setting(keys::SCHOOL)?
            .ok_or(Error::damaged("the school's details are missing"))
    }

    pub fn set_school(&mut self, school: &SchoolDetails) -> Result<()> {
        school.validate(self.now())?;
        self.set_setting(keys::SCHOOL, school)
    }

    pub fn resolution_procedure(&self) -> Result<ResolutionProcedure> {
        Ok(self.setting(keys::PROCEDURE)?.unwrap_or_default())
    }

    pub fn set_resolution_procedure(&mut self, p: &ResolutionProcedure) -> Result<()> {
        p.validate(self.now())?;
        self.set_setting(keys::PROCEDURE, p)
    }

    pub fn calendar_config(&self) -> Result<CalendarConfig> {
        Ok(self.setting(keys::CALENDAR)?.unwrap_or_default())
    }

    pub fn set_calendar_config(&mut self, c: &CalendarConfig) -> Result<()> {
        for r in &c.school_holidays {
            if r.end < r.start {
                return Err(Error::invalid("school holiday", "ends before it starts"));
            }
            crate::records::limit("school holiday label", &r.label, MAX_SHORT)?;
        }
        if c.school_holidays.len() + c.inset_days.len() + c.extra_bank_holidays.len() > 2000 {
            return Err(Error::TooLarge {
                field: "calendar",
                limit: 2000,
            });
        }
        self.set_setting(keys::CALENDAR, c)
    }

    pub fn calendar(&self) -> Result<WorkingCalendar> {
        Ok(WorkingCalendar::new(self.calendar_config()?))
    }

    /// Working days a referral may wait for a decision before it is chased (default 1).
    pub fn referral_decision_working_days(&self) -> Result<u32> {
        Ok(self.setting(keys::DECISION_DAYS)?.unwrap_or(1))
    }

    pub fn set_referral_decision_working_days(&mut self, days: u32) -> Result<()> {
        if !(1..=20).contains(&days) {
            return Err(Error::invalid(
                "decision timescale",
                "must be 1 to 20 working days",
            ));
        }
        self.set_setting(keys::DECISION_DAYS, &days)
    }

    /// Minutes of inactivity before the window locks itself (default 5).
    pub fn idle_lock_minutes(&self) -> Result<u32> {
        Ok(self.setting(keys::IDLE_LOCK)?.unwrap_or(5))
    }

    pub fn set_idle_lock_minutes(&mut self, minutes: u32) -> Result<()> {
        if !(1..=60).contains(&minutes) {
            return Err(Error::invalid("idle lock", "must be 1 to 60 minutes"));
        }
        self.set_setting(keys::IDLE_LOCK, &minutes)
    }

    // ---- users and keys ----

    pub fn users(&self) -> Result<Vec<UserSummary>> {
        self.require(Role::reads_everything)?;
        let mut stmt = self.conn.prepare(concat!(
            "SELECT id, name, role, NOT ",
            removed!(),
            " FROM users u ORDER BY name"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        rows.map(|r| {
            let (id, name, role, active) = r?;
            Ok(UserSummary {
                id: parse_id(&id)?,
                name,
                role: Role::parse(&role)?,
                active,
            })
        })
        .collect()
    }

    fn set_slot(&mut self, user_id: Uuid, name: &str, passphrase: &Passphrase) -> Result<()> {
        let mut next = self.keyring.clone();
        next.set_user_slot(user_id, name, passphrase, &self.data_key, self.opts.kdf)?;
        next.save(&self.dir)?;
        self.keyring = next;
        Ok(())
    }

    /// Adds a user with their first passphrase (DSL only).
    pub fn add_user(&mut self, name: &str, role: Role, passphrase: &Passphrase) -> Result<Id> {
        self.require(|r| r == Role::Dsl)?;
        validate_user_name(name)?;
        passphrase.check_new()?;
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::Conflict {
                what: "a user with that name already exists",
            });
        }
        let ctx = self.ctx();
        let user_id = ctx.new_id();
        let sp = self.conn.savepoint()?;
        sp.execute(
            "INSERT INTO users (id, device_id, created_at, created_by, name, role) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user_id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), name, role.as_str()],
        )?;
        audit::append(
            &sp,
            &ctx.device,
            ctx.now,
            Some(ctx.user),
            "user.add",
            &[user_id],
        )?;
        // The slot is written before the row commits: a crash in between leaves a slot whose
        // user does not exist, which unlock refuses, never a user who cannot get in.
        let mut next = self.keyring.clone();
        next.set_user_slot(user_id, name, passphrase, &self.data_key, self.opts.kdf)?;
        next.save(&self.dir)?;
        sp.commit()?;
        self.keyring = next;
        Ok(user_id)
    }

    /// Changes a passphrase: anyone their own; the DSL anyone's (a reset).
    pub fn change_passphrase(
        &mut self,
        user_name: &str,
        new_passphrase: &Passphrase,
    ) -> Result<()> {
        new_passphrase.check_new()?;
        let target = active_user_by_name(&self.conn, user_name)?;
        if target.id != self.user.id && self.user.role != Role::Dsl {
            return Err(Error::Forbidden);
        }
        self.set_slot(target.id, &target.name, new_passphrase)?;
        self.write("user.passphrase_changed", |c, ctx| {
            insert_user_event(c, ctx, target.id, "passphrase_changed")?;
            Ok(((), vec![target.id]))
        })
    }

    /// Removes a user: records it, deletes their key slot and rekeys the database to a fresh
    /// data key sealed to the remaining slots, so a copy of the old key opens nothing new.
    pub fn remove_user(&mut self, user_name: &str) -> Result<()> {
        self.require(|r| r == Role::Dsl)?;
        let target = active_user_by_name(&self.conn, user_name)?;
        if target.id == self.user.id {
            return Err(Error::invalid("user", "you cannot remove yourself"));
        }
        self.write("user.remove", |c, ctx| {
            insert_user_event(c, ctx, target.id, "removed")?;
            Ok(((), vec![target.id]))
        })?;
        self.finish_removals()
    }

    /// Deletes the slots of removed users and rekeys. Safe to repeat after a crash at any step:
    /// the keyring keeps the previous key sealed until the database rekey has committed.
    fn finish_removals(&mut self) -> Result<()> {
        let removed: Vec<Uuid> = {
            let mut stmt = self
                .conn
                .prepare("SELECT DISTINCT user_id FROM user_events WHERE event = 'removed'")?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            ids.iter().map(|s| parse_id(s)).collect::<Result<_>>()?
        };
        if !removed.iter().any(|id| self.keyring.has_user(*id)) {
            return Ok(());
        }
        let new_key = DataKey::generate()?;
        let mut next = self.keyring.clone();
        for id in &removed {
            next.remove_user_slot(*id);
        }
        next.reseal_all(&new_key, Some(&self.data_key))?;
        next.save(&self.dir)?;
        store::rekey(&self.conn, &new_key)?;
        next.reseal_all(&new_key, None)?;
        next.save(&self.dir)?;
        self.keyring = next;
        self.data_key = new_key;
        self.write("store.rekey", |_, _| Ok(((), removed.clone())))
    }

    // ---- integrity, backup, statistics ----

    pub fn verify(&self) -> Result<VerifyReport> {
        let (integrity_ok, cipher_integrity_ok) = store::integrity(&self.conn)?;
        let chain = audit::verify(&self.conn)?;
        Ok(VerifyReport {
            integrity_ok,
            cipher_integrity_ok,
            chain,
        })
    }

    /// This device's newest audit event, printed on documents.
    pub fn chain_head(&self) -> Result<ChainHead> {
        audit::head_of(&self.conn, &self.device_id)?
            .ok_or(Error::damaged("the audit trail is empty"))
    }

    /// A consistent, still-encrypted copy of the store in one file (DSL and deputies).
    pub fn backup(&mut self, dest: &Path) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        if dest.exists() {
            return Err(Error::AlreadyExists {
                what: "backup file",
            });
        }
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = parent.join(format!(".sgd-backup-{}.tmp", Uuid::now_v7()));
        let result = (|| {
            store::backup_into(&self.conn, &tmp, &self.data_key)?;
            let keyring = fs::read(self.dir.join(KEYRING_FILE))?;
            store::backup::write(dest, &keyring, &tmp)
        })();
        let _ = fs::remove_file(&tmp);
        result?;
        self.audit_read("store.backup", &[])
    }

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

/// Restores a backup file into `dir`, which must not hold a store. The backup is unpacked beside
/// it, unlocked and verified, and only then moved into place.
pub fn restore(
    backup: &Path,
    dir: &Path,
    user: Option<&str>,
    passphrase: &Passphrase,
    opts: StoreOptions,
) -> Result<VerifyReport> {
    if store_exists(dir) || (dir.exists() && fs::read_dir(dir)?.next().is_some()) {
        return Err(Error::AlreadyExists {
            what: "a store or other files in the restore folder",
        });
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let staging = parent.join(format!(".sgd-restore-{}", Uuid::now_v7()));
    fs::create_dir(&staging)?;
    let result = (|| {
        store::backup::unpack(backup, &staging, KEYRING_FILE, store::DB_FILE)?;
        let report = {
            let session = unlock(&staging, user, passphrase, opts)?;
            let report = session.verify()?;
            drop(session);
            report
        };
        if !report.all_ok() {
            return Err(Error::damaged("the backup does not verify"));
        }
        if dir.exists() {
            fs::remove_dir(dir)?; // empty, checked above
        }
        fs::rename(&staging, dir)?;
        fs::File::open(parent)?.sync_all()?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

pub(crate) fn parse_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| Error::damaged("a stored id is malformed"))
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    parse_utc(s)
}
