//! The trust model inside a session: the keyring checked against the database at every unlock,
//! users and their slots, the rekey that follows a removal or a recovery-key rotation, the
//! audit anchor kept in the signed keyring, backups and restores.

use std::fs;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{
    Ctx, Session, StoreOptions, User, VerifyReport, active_user_by_name, insert_user_event,
    parse_id, removed, store_exists, validate_user_name,
};
use crate::audit;
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::keyring::{Anchor, KEYRING_FILE, Keyring, RecordedContents, TrustedFacts};
use crate::records::{Id, Role};
use crate::secret::{AuthorityKey, DataKey, Passphrase, RecoveryKey};
use crate::store;

/// The store_meta key holding the keyring authority's public key (hex).
pub(crate) const AUTHORITY_META: &str = "keyring_authority";

/// Records a keyring generation in the database, inside the caller's audited write. Called only
/// after the keyring file of that generation is on disk, so the database is never newer.
pub(crate) fn record_generation(conn: &Connection, ctx: &Ctx, keyring: &Keyring) -> Result<()> {
    conn.execute(
        "INSERT INTO keyring_generations (at, generation, digest) VALUES (?1, ?2, ?3)",
        params![
            ctx.now_text(),
            keyring.generation() as i64,
            keyring.digest()
        ],
    )?;
    record_contents(conn, ctx, keyring, false)
}

/// Records what `keyring` holds (its content digest): intended before its file is written,
/// written after.
fn record_contents(conn: &Connection, ctx: &Ctx, keyring: &Keyring, written: bool) -> Result<()> {
    conn.execute(
        "INSERT INTO keyring_contents (at, generation, digest, written) VALUES (?1, ?2, ?3, ?4)",
        params![
            ctx.now_text(),
            keyring.generation() as i64,
            keyring.content_digest(),
            written
        ],
    )?;
    Ok(())
}

/// What the database recorded of the keyring's contents, or none (a store from before they
/// were recorded, or one opened read-only before the migration that makes the table).
fn recorded_contents(conn: &Connection) -> Result<Option<RecordedContents>> {
    if !table_exists(conn, "keyring_contents")? {
        return Ok(None);
    }
    let newest = |sql: &str| -> Result<Option<(i64, String)>> {
        Ok(conn
            .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    };
    let Some((newest_generation, _)) =
        newest("SELECT generation, digest FROM keyring_contents ORDER BY seq DESC LIMIT 1")?
    else {
        return Ok(None);
    };
    let written: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT seq, generation, digest FROM keyring_contents WHERE written = 1 ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let intended = newest(
        "SELECT seq, digest FROM keyring_contents WHERE written = 0 ORDER BY seq DESC LIMIT 1",
    )?
    .filter(|(seq, _)| written.as_ref().is_none_or(|(w, _, _)| seq > w));
    Ok(Some(RecordedContents {
        newest_generation: newest_generation as u64,
        written: written.map(|(_, g, d)| (g as u64, d)),
        intended: intended.map(|i| i.1),
    }))
}

/// Whether the database's newest record of the keyring is `keyring`, written.
fn recorded_as_written(conn: &Connection, keyring: &Keyring) -> Result<bool> {
    Ok(recorded_contents(conn)?.is_some_and(|r| {
        r.intended.is_none()
            && r.written
                .is_some_and(|(_, d)| d == keyring.content_digest())
    }))
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )?)
}

/// Every user: (id, name, role, removed).
pub(crate) fn all_users(conn: &Connection) -> Result<Vec<(Uuid, String, Role, bool)>> {
    let mut stmt = conn.prepare(concat!(
        "SELECT id, name, role, ",
        removed!(),
        " FROM users u"
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, name, role, removed)| Ok((parse_id(&id)?, name, Role::parse(&role)?, removed)))
        .collect()
}

/// Checks the keyring against the database it opened, before anything is resealed.
pub(crate) fn check_keyring(conn: &Connection, keyring: &Keyring) -> Result<()> {
    let store_id = parse_id(&super::meta(conn, "store_id")?)?;
    let authority = super::meta_opt(conn, AUTHORITY_META)?;
    // A store from before the trust model, opened read-only, has no such table yet: nothing
    // recorded. Any other error is an error (it must not switch the rollback check off).
    let generation: i64 = match table_exists(conn, "keyring_generations")? {
        true => conn.query_row(
            "SELECT coalesce(max(generation), 0) FROM keyring_generations",
            [],
            |r| r.get(0),
        )?,
        false => 0,
    };
    let users = all_users(conn)?;
    if keyring.has_team_keys() {
        let named = keyring.team_public().map(|p| hex::encode(p.as_bytes()));
        let known: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM team_keys WHERE kind = 'inbox' AND public = ?1)",
            [named],
            |r| r.get(0),
        )?;
        if !known {
            return Err(Error::KeyringTampered {
                detail: "the keyring names a team inbox key this store does not have",
            });
        }
    }
    keyring.check_against(&TrustedFacts {
        store_id,
        authority_public: authority.as_deref(),
        generation: generation as u64,
        recorded: recorded_contents(conn)?,
        users: &users,
    })
}

impl Session {
    /// After the keyring checked out: finish what an older version or an interruption left.
    pub(super) fn bring_up_to_date(&mut self) -> Result<()> {
        if !audit::has_content_events(&self.conn)? {
            // A store from before content auditing: one event accounts for every row so far.
            let content = audit::baseline(&self.conn)?;
            let ctx = self.ctx();
            let sp = self.conn.savepoint()?;
            audit::append_content(
                &sp,
                &ctx.device,
                ctx.now,
                Some(ctx.user),
                Action::AuditBaseline.as_str(),
                &[],
                &content,
            )?;
            sp.commit()?;
        }
        if self.keyring.is_legacy() || super::meta_opt(&self.conn, AUTHORITY_META)?.is_none() {
            self.migrate_keyring()?;
        }
        self.record_keyring_written()?;
        // A removal cut short first: moving to format 3 reseals every slot, and a removed
        // user's slot is sealed nothing (so it would keep the shape of the old format).
        if self.authority.is_some() && !self.keyring.has_team_keys() && self.removals_pending()? {
            match self.finish_removals() {
                Err(e) if e.is_transient() => {}
                other => other?,
            }
        }
        // Like a rekey, the move to format 3 must not keep anyone out when it cannot finish.
        match self.move_to_team_keys() {
            Err(e) if e.is_transient() => {}
            other => other?,
        }
        // Derived state only: no failure to rebuild it (a full disk, a busy store, a damaged
        // record) keeps anyone out. Reads that need it fall back or say so; the next unlock
        // tries again. Before the inbox is filed: a filed concern's row would make a short
        // table's newest row match its records' again.
        if let Err(e) = self.rebuild_derived(false) {
            self.derived_failure = Some(e.to_string());
        }
        // Search's own derived state likewise: without it search still finds every word, only
        // less precisely (a corrected word too) or more slowly; the next unlock tries again.
        // A damaged store is said as such; anything else leaves search as it was.
        if let Err(e @ Error::StoreDamaged { .. }) = self.rebuild_search(false) {
            return Err(e);
        }
        // Before any removal is finished or key rotated: what was waiting was written under the
        // keys of now, so after a rotation anything under an old key is suspect.
        self.file_inbox();
        // Finishing an interrupted rekey is worth doing, but a busy database or a full disk must
        // not keep anyone out: the database is whole under the old key, the new one stays
        // pending and is tried again at the next unlock.
        match self.complete_rekey() {
            Err(e) if e.is_transient() => {}
            other => other?,
        }
        if self.authority.is_some() && self.pending_key.is_none() {
            if self.keyring.rekey_in_flight() {
                // The database is under the new key already; drop the previous one.
                self.reseal_and_save(None)?;
            }
            match self.finish_removals() {
                Err(e) if e.is_transient() => {}
                other => other?,
            }
            self.rotate_team_keys_if_owed()?;
        }
        if self.keyring.has_team_keys() && self.user.role.reads_everything() {
            // Staff see pupils added since (and a roster lost or damaged is made again).
            let _ = self.publish_roster();
        }
        Ok(())
    }

    /// Binds this session's own slot wrapping (made before the binding) to the store.
    pub(super) fn rewrap_own_slot(&mut self, secret: &[u8]) -> Result<()> {
        let mut next = self.keyring.clone();
        next.rewrap_slot(&self.slot_secret, secret, self.opts.kdf)?;
        next.save_rewrapped(&self.dir)?;
        self.keyring = next;
        Ok(())
    }

    /// A format-1 keyring becomes signed by a new authority — only in a DSL's session or the
    /// recovery key's, since the authority is sealed to the DSL and recovery slots. The
    /// signed keyring's contents are recorded as intended, then it is written, then the
    /// database records its authority (a crash after the file leaves a signed keyring whose
    /// authority the database does not know yet: `check_against` lets through only the one
    /// recorded as intended, and the next unlock by a DSL or the recovery key adopts it here).
    /// While a rekey is pending the target key is sealed, with the current one kept beside it.
    fn migrate_keyring(&mut self) -> Result<()> {
        let users = all_users(&self.conn)?;
        let may_sign = self.user.role == Role::Dsl || self.via_recovery;
        if self.keyring.is_legacy() {
            if !may_sign {
                return Ok(());
            }
            let authority = AuthorityKey::generate()?;
            let mut next = self.keyring.clone();
            let (target, previous) = match &self.pending_key {
                Some(pending) => (pending, Some(&self.data_key)),
                None => (&self.data_key, None),
            };
            next.migrate(&users, target, previous, &authority)?;
            next.sign(&authority);
            // Recorded as intended first: only this signed keyring is let through (by
            // `check_against`) before the database knows its authority.
            let intended = next.clone();
            self.write(Action::KeyringMigrateIntended, |c, ctx| {
                record_contents(c, ctx, &intended, false)?;
                Ok(((), vec![]))
            })?;
            next.save_signed(&self.dir)?;
            crate::faults::hit("keyring.migrated")?;
            self.keyring = next;
            self.authority = Some(authority);
        }
        let public = self.keyring.authority_public().to_string();
        let holds = self
            .authority
            .as_ref()
            .is_some_and(|a| hex::encode(a.verifying_key().as_bytes()) == public);
        if !holds {
            return Ok(());
        }
        let keyring = self.keyring.clone();
        self.write(Action::KeyringMigrate, |c, ctx| {
            c.execute(
                "INSERT INTO store_meta (key, value) VALUES (?1, ?2)",
                params![AUTHORITY_META, public],
            )?;
            record_generation(c, ctx, &keyring)?;
            Ok(((), vec![]))
        })
    }

    fn authority(&self) -> Result<&AuthorityKey> {
        self.authority.as_ref().ok_or(Error::Forbidden)
    }

    /// Signs `next`, records it in the database as intended, writes it, then records it as
    /// written: the database never lags behind the file, so a keyring it has not recorded is
    /// refused at unlock, and once written, the one before it is refused too. When an earlier
    /// change was intended and never written (its write failed), the keyring on disk is
    /// recorded as written first.
    pub(super) fn save_keyring(&mut self, mut next: Keyring, action: Action) -> Result<()> {
        next.sign(self.authority()?);
        let current = self.keyring.clone();
        self.write(action, |c, ctx| {
            if !recorded_as_written(c, &current)? {
                record_contents(c, ctx, &current, true)?;
            }
            record_generation(c, ctx, &next)?;
            Ok(((), vec![]))
        })?;
        crate::faults::hit("keyring.recorded")?;
        if let Err(e) = next.save_signed(&self.dir) {
            // The rename may have happened before the error (an fsync of the folder that
            // failed): what is on disk decides which keyring this session now holds.
            let on_disk = Keyring::load(&self.dir).map(|k| k.content_digest());
            if on_disk.ok() != Some(next.content_digest()) {
                return Err(e);
            }
        }
        self.keyring = next;
        // The change is on disk: failing to record that now is not a failure of the change
        // (the next change or unlock records it).
        let _ = self.record_keyring_written();
        Ok(())
    }

    /// Records the keyring on disk as written, unless that is already the newest record (after
    /// a change, or at unlock: a store from before contents were recorded, or a change cut
    /// short between its record and its file). From then on no other keyring opens the store.
    pub(super) fn record_keyring_written(&mut self) -> Result<()> {
        // Not before the database knows the keyring's authority (a migration cut short, to
        // be adopted by a DSL): once anything is recorded, an unknown authority is refused.
        if self.keyring.is_legacy()
            || super::meta_opt(&self.conn, AUTHORITY_META)?.is_none()
            || recorded_as_written(&self.conn, &self.keyring)?
        {
            return Ok(());
        }
        let keyring = self.keyring.clone();
        self.write(Action::KeyringWritten, |c, ctx| {
            record_contents(c, ctx, &keyring, true)?;
            Ok(((), vec![]))
        })
    }

    /// Reseals the current key to every slot, keeping `previous` beside it if given.
    fn reseal_and_save(&mut self, previous: Option<&DataKey>) -> Result<()> {
        let mut next = self.keyring.clone();
        let key = self.pending_key.as_ref().unwrap_or(&self.data_key);
        self.with_slot_keys(key, previous, |k| next.reseal_all(k))?;
        self.save_keyring(next, Action::KeyringReseal)
    }

    /// Moves the database to the pending key (the keyring already holds it), proven before it
    /// replaces the old file. On failure the database stays under the old key and the pending
    /// key is kept, to be tried again.
    pub(super) fn complete_rekey(&mut self) -> Result<()> {
        let Some(new_key) = self.pending_key.take() else {
            return Ok(());
        };
        // The new connection counts its changes from nought: nothing kept may match it by chance.
        self.prompt_cache.get_mut().take();
        let progress = self.opts.progress.clone();
        if let Err(e) = store::rekey(
            &self.dir,
            &mut self.conn,
            &self.data_key,
            &new_key,
            &*progress,
        ) {
            self.pending_key = Some(new_key);
            progress(store::Progress::Failed);
            return Err(e);
        }
        self.data_key = new_key;
        if self.authority.is_some() {
            self.reseal_and_save(None)?;
        }
        self.write(Action::StoreRekey, |_, _| Ok(((), vec![])))
    }

    /// Deletes the slots of removed users and rekeys: a fresh key sealed (beside the old one)
    /// to the remaining slots, then the database moved to it, then the old key dropped.
    /// On format 3 a member of staff never held the data key: their removal only deletes the
    /// slot (the roster key rotates after); a team member's also rekeys, and the inbox key
    /// rotates once the database is under the new key.
    /// Whether a removed user still has a slot (a removal cut short).
    pub(super) fn removals_pending(&self) -> Result<bool> {
        Ok(all_users(&self.conn)?
            .iter()
            .any(|u| u.3 && self.keyring.has_user(u.0)))
    }

    fn finish_removals(&mut self) -> Result<()> {
        let removed: Vec<(Uuid, Role)> = all_users(&self.conn)?
            .into_iter()
            .filter(|u| u.3 && self.keyring.has_user(u.0))
            .map(|u| (u.0, u.2))
            .collect();
        if removed.is_empty() {
            return self.complete_rekey();
        }
        let rekey =
            removed.iter().any(|(_, role)| role.holds_data_key()) || !self.keyring.has_team_keys();
        let change = |next: &mut Keyring| {
            for (id, _) in &removed {
                next.remove_user_slot(*id);
            }
            Ok(())
        };
        if rekey {
            self.start_rekey(change)?;
        } else {
            let mut next = self.keyring.clone();
            change(&mut next)?;
            let key = self.pending_key.as_ref().unwrap_or(&self.data_key);
            self.with_slot_keys(key, None, |k| next.reseal_all(k))?;
            self.save_keyring(next, Action::KeyringStaffRemoved)?;
        }
        self.rotate_team_keys_if_owed()
    }

    /// Changes the keyring with `change`, seals a new data key beside the current one to every
    /// remaining slot, then moves the database to it.
    pub(super) fn start_rekey(
        &mut self,
        change: impl FnOnce(&mut Keyring) -> Result<()>,
    ) -> Result<()> {
        self.begin_rekey(change)?;
        self.complete_rekey()
    }

    /// The keyring half of a rekey: after it the keyring holds the new key beside the current
    /// one and the database move is pending. Refused before anything changes when there is no
    /// room for the copy.
    fn begin_rekey(&mut self, change: impl FnOnce(&mut Keyring) -> Result<()>) -> Result<()> {
        if self.pending_key.is_some() {
            self.complete_rekey()?;
        }
        store::check_space_for_rekey(&self.dir)?;
        let new_key = DataKey::generate()?;
        let mut next = self.keyring.clone();
        change(&mut next)?;
        self.with_slot_keys(&new_key, Some(&self.data_key), |k| next.reseal_all(k))?;
        self.save_keyring(next, Action::KeyringRekeyStarted)?;
        self.pending_key = Some(new_key);
        Ok(())
    }

    /// A slot of its own for `user` under `passphrase` (new key pair): for a new user, a reset
    /// by the DSL and a recovery. Needs the authority.
    pub(super) fn set_new_slot(&mut self, user: &User, passphrase: &Passphrase) -> Result<()> {
        // A slot made now is sealed the current key only: a pending move must finish first.
        if self.pending_key.is_some() {
            self.complete_rekey()?;
        }
        let mut next = self.keyring.clone();
        let kdf = self.opts.kdf;
        self.with_slot_keys(&self.data_key, None, |k| {
            next.set_user_slot(user.id, &user.name, user.role, passphrase, k, kdf)
        })?;
        if user.role == Role::Staff
            && let Some(public) = next.user_public(user.id)
        {
            // Recorded before the slot exists, so what they record is always filed.
            let public = hex::encode(public.as_bytes());
            self.write(Action::UserStaffKey, |c, ctx| {
                super::team::record_staff_key(c, ctx, user.id, &public)?;
                Ok(((), vec![user.id]))
            })?;
        }
        self.save_keyring(next, Action::KeyringSlotSet)
    }

    /// Adds a user with their first passphrase (DSL only). The user is recorded first, then
    /// their slot: a crash in between leaves a user who cannot yet unlock (the DSL resets their
    /// passphrase), never a slot the database does not know.
    pub fn add_user(&mut self, name: &str, role: Role, passphrase: &Passphrase) -> Result<Id> {
        self.require(Role::manages_users)?;
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
        let user_id = self.write(Action::UserAdd, |c, ctx| {
            let user_id = ctx.new_id();
            c.execute(
                "INSERT INTO users (id, device_id, created_at, created_by, name, role) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![user_id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), name, role.as_str()],
            )?;
            Ok((user_id, vec![user_id]))
        })?;
        let user = User {
            id: user_id,
            name: name.to_owned(),
            role,
        };
        self.set_new_slot(&user, passphrase)?;
        Ok(user_id)
    }

    /// Changes a passphrase: anyone their own (their slot re-wrapped, nothing signed changes);
    /// the DSL anyone's (a new slot).
    pub fn change_passphrase(
        &mut self,
        user_name: &str,
        new_passphrase: &Passphrase,
    ) -> Result<()> {
        new_passphrase.check_new()?;
        let target = active_user_by_name(&self.conn, user_name)?;
        if target.id == self.user.id && self.keyring.has_user(target.id) {
            self.rewrap_own_slot(new_passphrase.expose_secret().as_bytes())?;
        } else if self.user.role == Role::Dsl {
            self.set_new_slot(&target, new_passphrase)?;
        } else {
            return Err(Error::Forbidden);
        }
        self.write(Action::UserPassphraseChanged, |c, ctx| {
            insert_user_event(c, ctx, target.id, "passphrase_changed")?;
            Ok(((), vec![target.id]))
        })
    }

    /// Removes a user: records it, deletes their key slot and moves the database to a fresh
    /// data key sealed to the remaining slots, so a copy of the old key opens nothing new.
    pub fn remove_user(&mut self, user_name: &str) -> Result<()> {
        self.require(Role::manages_users)?;
        let target = active_user_by_name(&self.conn, user_name)?;
        if target.id == self.user.id {
            return Err(Error::invalid("user", "you cannot remove yourself"));
        }
        self.write(Action::UserRemove, |c, ctx| {
            insert_user_event(c, ctx, target.id, "removed")?;
            Ok(((), vec![target.id]))
        })?;
        self.finish_removals()
    }

    /// A new recovery key (DSL only): the old recovery slot goes and the database moves to a new
    /// key, so the old recovery key (and any copy of the old keyring) then opens nothing.
    pub fn rotate_recovery_key(&mut self) -> Result<RecoveryKey> {
        self.require(Role::manages_users)?;
        let recovery = RecoveryKey::generate()?;
        let kdf = self.opts.kdf;
        let mut with_new = self.keyring.clone();
        self.with_slot_keys(&self.data_key, None, |k| {
            with_new.set_recovery_slot(&recovery, k, kdf)
        })?;
        self.begin_rekey(move |next| {
            *next = with_new;
            Ok(())
        })?;
        self.write(Action::RecoveryRotate, |_, _| Ok(((), vec![])))?;
        // The keyring holds only the new recovery slot now: the key is returned even if moving
        // the database has to wait (it is finished at the next unlock).
        if self.complete_rekey().is_ok() && self.keyring.has_team_keys() {
            // Whoever saw the old recovery key could have read the team's keys in the database.
            let _ = self
                .write(Action::KeyringTeamKeysRotated, |c, ctx| {
                    super::team::new_team_keys(c, ctx, true)?;
                    Ok(((), vec![]))
                })
                .and_then(|_| self.name_current_team_keys());
        }
        Ok(recovery)
    }

    /// Whether a DSL has been removed since the recovery key was last rotated: the window then
    /// suggests rotating it (whoever held the old one may have seen the key).
    pub fn recovery_rotation_suggested(&self) -> Result<bool> {
        self.require(Role::manages_users)?;
        Ok(self.conn.query_row(
            "SELECT EXISTS (
                 SELECT 1 FROM user_events e JOIN users u ON u.id = e.user_id
                 WHERE e.event = 'removed' AND u.role = 'dsl'
                   AND e.at > coalesce((SELECT max(at) FROM audit_events WHERE action = 'recovery.rotate'), ''))",
            [],
            |r| r.get(0),
        )?)
    }

    /// Keeps the chain head in the signed keyring (DSL sessions), so cutting the tail of the
    /// audit trail is noticed by `verify`.
    pub fn seal_anchor(&mut self) -> Result<()> {
        let Some(authority) = self.authority.as_ref() else {
            return Ok(());
        };
        let Some(head) = audit::head_of(&self.conn, &self.device_id)? else {
            return Ok(());
        };
        let anchor = Anchor {
            device_id: head.device_id,
            seq: head.seq,
            hash: head.hash,
        };
        if self.keyring.anchor() == Some(&anchor) {
            return Ok(());
        }
        let mut next = self.keyring.clone();
        next.set_anchor(anchor);
        next.sign_and_save(&self.dir, authority)?;
        self.keyring = next;
        Ok(())
    }

    // ---- integrity and backup ----

    /// Every check `sgd verify` makes, on this session's database.
    pub fn verify(&self) -> Result<VerifyReport> {
        super::verify::check(&self.conn, &self.keyring, &[])
    }

    /// This device's newest audit event, printed on documents.
    pub fn chain_head(&self) -> Result<audit::ChainHead> {
        audit::head_of(&self.conn, &self.device_id)?
            .ok_or(Error::damaged("the audit trail is empty"))
    }

    /// The name the save dialog suggests for a backup made today (no child is named in it).
    pub fn backup_file_name(&self) -> Result<String> {
        self.require(Role::is_safeguarding_lead)?;
        let date = crate::time::london_date(self.now()).format("%Y-%m-%d");
        Ok(format!("Safeguard Desk backup {date}.sgdbackup"))
    }

    /// A consistent, still-encrypted copy of the store in one file (DSL and deputies). The
    /// backup's header carries the chain head, checked again at restore.
    pub fn backup(&mut self, dest: &Path) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        if dest.exists() {
            return Err(Error::AlreadyExists {
                what: "backup file",
            });
        }
        self.audit_read(Action::StoreBackup, &[])?;
        self.seal_anchor()?;
        let parent = crate::files::folder_of(dest);
        let tmp = parent.join(format!(".sgd-backup-{}.tmp", Uuid::now_v7()));
        let head = self.chain_head()?;
        let progress = self.opts.progress.clone();
        let result = (|| {
            progress(store::Progress::BackingUp);
            store::backup_into(&self.conn, &tmp, &self.data_key)?;
            let keyring = self.keyring.to_bytes()?;
            progress(store::Progress::WritingBackup);
            store::backup::write(dest, &keyring, &tmp, Some(&head))
        })();
        let _ = fs::remove_file(&tmp);
        progress(match result {
            Ok(()) => store::Progress::Done,
            Err(_) => store::Progress::Failed,
        });
        result
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Best effort: a failure leaves the previous anchor, which verify still checks.
        let _ = self.seal_anchor();
    }
}

/// Restores a backup file into `dir`, which must not hold a store. The backup is unpacked beside
/// it, verified read-only (its chain must hold the head in the backup's header), and only then
/// moved into place. Nothing is written into the restored store.
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
    let parent = crate::files::folder_of(dir);
    fs::create_dir_all(parent)?;
    let staging = parent.join(format!(".sgd-restore-{}", Uuid::now_v7()));
    crate::files::create_private_dir(&staging)?;
    let progress = opts.progress.clone();
    let result = (|| {
        progress(store::Progress::Unpacking);
        let head = store::backup::unpack(backup, &staging, KEYRING_FILE, store::DB_FILE)?;
        let expect: Vec<(i64, String)> = head.map(|h| (h.seq, h.hash)).into_iter().collect();
        progress(store::Progress::VerifyingRestore);
        let report = super::verify::verify_store(&staging, user, passphrase, &opts, &expect)?;
        if !report.all_ok() {
            return Err(Error::damaged("the backup does not verify"));
        }
        progress(store::Progress::PlacingRestore);
        if dir.exists() {
            fs::remove_dir(dir)?; // empty, checked above
        }
        fs::rename(&staging, dir)?;
        crate::files::sync_dir(parent)?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    progress(match result {
        Ok(_) => store::Progress::Done,
        Err(_) => store::Progress::Failed,
    });
    result
}
