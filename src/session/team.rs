//! The safeguarding team's side of roles in the cryptography: the team's inbox and roster keys
//! (kept inside the database), the keys each slot is sealed, the roster staff pick children
//! from, the move of an older store to format 3, and filing staff's inbox items as records.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;
use x25519_dalek::{PublicKey, StaticSecret};

use super::attachments::{check_attachment, insert_attachment};
use super::concerns::{check_concern, insert_concern};
use super::{Ctx, Session, parse_id};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::inbox::{self, InboxDir, ItemBody, Receipt, Roster, SealedItem};

use crate::keyring::SlotKeys;
use crate::records::{Id, Role};
use crate::secret::SymmetricKey;
use crate::time::fmt_utc;

/// One inbox item the team could not file, set aside in `inbox/rejected` and named here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SetAside {
    pub file: String,
    pub reason: String,
}

/// What filing the inbox did at this unlock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct InboxReport {
    /// Concerns (and attachments) recorded by staff that are now records.
    pub filed: u32,
    pub set_aside: Vec<SetAside>,
    /// Items set aside at any time, still in `inbox/rejected` for the DSL to look at.
    pub set_aside_total: u32,
    /// Filing stopped: the store or the inbox folder failed (the items stay waiting).
    pub problem: Option<String>,
}

fn hex32(s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(Error::damaged("a team key is malformed"))
}

/// The newest removal of a user of these roles: a team key made before it is owed a rotation.
fn newest_removal(c: &Connection, staff: bool) -> Result<i64> {
    Ok(c.query_row(
        "SELECT coalesce(max(e.seq), 0) FROM user_events e JOIN users u ON u.id = e.user_id
         WHERE e.event = 'removed' AND (u.role = 'staff') = ?1",
        [staff],
        |r| r.get(0),
    )?)
}

/// Writes a new team key of `kind` inside the caller's audited write.
fn insert_team_key(
    c: &Connection,
    ctx: &Ctx,
    kind: &str,
    public: &str,
    secret: &[u8; 32],
) -> Result<()> {
    let covers = newest_removal(c, false)?.max(newest_removal(c, true)?);
    c.execute(
        "INSERT INTO team_keys (id, created_at, kind, public, secret, covers_removals) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ctx.new_id().to_string(), ctx.now_text(), kind, public, hex::encode(secret), covers],
    )?;
    Ok(())
}

/// Records the team's inbox key pair inside the caller's audited write.
pub(crate) fn insert_inbox_key(c: &Connection, ctx: &Ctx, secret: &StaticSecret) -> Result<()> {
    let public = hex::encode(PublicKey::from(secret).as_bytes());
    insert_team_key(c, ctx, "inbox", &public, &secret.to_bytes())
}

/// New team keys inside the caller's audited write: a roster key, and an inbox key pair too
/// when `inbox_too` (a new store's is made by its creator, to name it in the first keyring).
pub(crate) fn new_team_keys(c: &Connection, ctx: &Ctx, inbox_too: bool) -> Result<()> {
    if inbox_too {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        crate::secret::random_fill(bytes.as_mut())?;
        insert_inbox_key(c, ctx, &StaticSecret::from(*bytes))?;
    }
    let roster = SymmetricKey::generate()?;
    insert_team_key(
        c,
        ctx,
        "roster",
        &ctx.new_id().to_string(),
        roster.expose_secret(),
    )
}

fn newest_secret(c: &Connection, kind: &str) -> Result<Option<[u8; 32]>> {
    let secret: Option<String> = c
        .query_row(
            "SELECT secret FROM team_keys WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
            [kind],
            |r| r.get(0),
        )
        .optional()?;
    secret.map(|s| hex32(&s)).transpose()
}

/// The current inbox key pair, if the store has one yet.
pub(crate) fn current_inbox_key(c: &Connection) -> Result<Option<(StaticSecret, PublicKey)>> {
    Ok(newest_secret(c, "inbox")?.map(|s| {
        let secret = StaticSecret::from(s);
        let public = PublicKey::from(&secret);
        (secret, public)
    }))
}

pub(crate) fn current_roster_key(c: &Connection) -> Result<Option<SymmetricKey>> {
    Ok(newest_secret(c, "roster")?.map(|s| SymmetricKey::from_bytes(&s)))
}

/// Which rotations removals since the newest keys call for: (inbox, roster).
fn rotation_owed(c: &Connection) -> Result<(bool, bool)> {
    let covered = |kind: &str| -> Result<i64> {
        Ok(c.query_row(
            "SELECT coalesce(max(covers_removals), 0) FROM team_keys WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )?)
    };
    let team_removed = newest_removal(c, false)?;
    let staff_removed = newest_removal(c, true)?;
    let inbox = team_removed > covered("inbox")?;
    let roster = inbox || staff_removed.max(team_removed) > covered("roster")?;
    Ok((inbox, roster))
}

/// Records a staff slot's public key (the authors an inbox item may name).
pub(crate) fn record_staff_key(c: &Connection, ctx: &Ctx, user: Uuid, public: &str) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO staff_keys (user_id, public, at) VALUES (?1, ?2, ?3)",
        params![user.to_string(), public, ctx.now_text()],
    )?;
    Ok(())
}

/// Why an item's author may not have written it now, if so: removed, or the key is not their
/// current one (reset since), or the item is dated before the key existed.
fn author_problem(
    c: &Connection,
    user: Uuid,
    public: &str,
    written: chrono::DateTime<chrono::Utc>,
) -> Result<Option<&'static str>> {
    let removed: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM user_events WHERE user_id = ?1 AND event = 'removed')",
        [user.to_string()],
        |r| r.get(0),
    )?;
    if removed {
        return Ok(Some("its author has been removed from the store"));
    }
    let current: Option<(String, String)> = c
        .query_row(
            "SELECT public, at FROM staff_keys WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1",
            [user.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match current {
        None => Some("the author it names is not a member of staff of this store"),
        Some((p, _)) if p != public => {
            Some("it is sealed with a key its author no longer has (their passphrase was reset)")
        }
        Some((_, at)) if super::parse_time(&at)? > written => {
            Some("it is dated before its author's key existed")
        }
        Some(_) => None,
    })
}

impl Session {
    /// The keys every slot is sealed: the data key (and, while it moves, `previous`), the
    /// authority and, on format 3, the roster key.
    pub(super) fn with_slot_keys<T>(
        &self,
        data_key: &crate::secret::DataKey,
        previous: Option<&crate::secret::DataKey>,
        f: impl FnOnce(&SlotKeys<'_>) -> Result<T>,
    ) -> Result<T> {
        let roster = current_roster_key(&self.conn)?;
        let removed: Vec<Uuid> = super::trust::all_users(&self.conn)?
            .into_iter()
            .filter(|u| u.3)
            .map(|u| u.0)
            .collect();
        f(&SlotKeys {
            data_key,
            previous,
            authority: self.authority.as_ref().ok_or(Error::Forbidden)?,
            roster_key: roster.as_ref(),
            removed_users: &removed,
        })
    }

    /// Moves a signed keyring to format 3 (DSL or recovery sessions). Staff held the database
    /// key, so first the database moves to a new key with staff slots sealed nothing; only once
    /// it is under that key are the team keys made (inside it) and named in the keyring. Each
    /// step is safe to stop after: the next unlock goes on from where it is.
    pub(super) fn move_to_team_keys(&mut self) -> Result<()> {
        if self.keyring.has_team_keys()
            || self.keyring.is_legacy()
            || self.authority.is_none()
            || self.removals_pending()?
        {
            return Ok(());
        }
        let staff = self.keyring.staff_publics();
        if self.pending_key.is_some() {
            self.complete_rekey()?; // an earlier move was cut short: finish it first
        }
        if self.keyring.staff_hold_the_data_key() {
            self.start_rekey(|next| {
                next.exclude_staff();
                Ok(())
            })?;
        }
        if self.pending_key.is_some() {
            return Ok(()); // the move waits; no team key is written under a key staff hold
        }
        self.write(Action::KeyringTeamKeysMade, |c, ctx| {
            if current_inbox_key(c)?.is_none() {
                new_team_keys(c, ctx, true)?;
            }
            for (user, public) in &staff {
                record_staff_key(c, ctx, *user, public)?;
            }
            Ok(((), vec![]))
        })?;
        self.name_current_team_keys()
    }

    /// Seals the current roster key to staff and names the current inbox key in the keyring.
    pub(super) fn name_current_team_keys(&mut self) -> Result<()> {
        let (_, team_public) = current_inbox_key(&self.conn)?
            .ok_or(Error::damaged("the team's inbox key is missing"))?;
        let mut next = self.keyring.clone();
        next.use_team_keys(&team_public);
        self.with_slot_keys(&self.data_key, None, |k| next.reseal_all(k))?;
        self.save_keyring(next, Action::KeyringTeamKeys)?;
        self.publish_roster()
    }

    /// Rotates the team's keys a removal calls for, once the database is under a key the
    /// removed person never held: the roster key when anyone goes (staff held it), the inbox
    /// key too when a member of the team goes (they could read it in the database). Also names
    /// the current inbox key if the keyring still names an older one (a rotation cut short).
    pub(super) fn rotate_team_keys_if_owed(&mut self) -> Result<()> {
        if !self.keyring.has_team_keys() || self.authority.is_none() || self.pending_key.is_some() {
            return Ok(());
        }
        let (inbox, roster) = rotation_owed(&self.conn)?;
        if inbox || roster {
            self.write(Action::KeyringTeamKeysRotated, |c, ctx| {
                new_team_keys(c, ctx, inbox)?;
                Ok(((), vec![]))
            })?;
        }
        let named = self.keyring.team_public().map(|p| *p.as_bytes());
        let current = current_inbox_key(&self.conn)?.map(|(_, p)| *p.as_bytes());
        if inbox || roster || named != current {
            self.name_current_team_keys()?;
        }
        Ok(())
    }

    /// Writes the pupil roster (names and years only) under the roster key, for staff sessions.
    pub(crate) fn publish_roster(&mut self) -> Result<()> {
        self.roster_dirty = false;
        let Some(key) = current_roster_key(&self.conn)? else {
            return Ok(());
        };
        let mut pupils: Vec<_> = self
            .pupil_details_map(None)?
            .iter()
            .map(|(id, d)| super::pupils::pupil_summary(*id, d, false))
            .collect();
        pupils.sort_by_key(|p| p.name.to_lowercase());
        let roster = Roster {
            store_id: self.keyring.store_id(),
            written_at: fmt_utc(self.now()),
            school_name: self.school()?.name,
            idle_lock_minutes: self.idle_lock_minutes()?,
            pupils,
        };
        let path = self.dir.join(inbox::ROSTER_FILE);
        // Unchanged since it was written (every unlock asks): the write and its fsyncs are
        // spared. A roster missing, damaged, under an older roster key, too large, or not a
        // regular file (a link, or a FIFO that would block the unlock) is written again: the
        // atomic write replaces whatever is at the path.
        let published = crate::files::read_chosen_file(&path, inbox::MAX_ROSTER_BYTES, "roster")
            .ok()
            .and_then(|bytes| inbox::open_roster(&key, roster.store_id, &bytes).ok());
        if published.is_some_and(|old| {
            Roster {
                written_at: roster.written_at.clone(),
                ..old
            } == roster
        }) {
            return Ok(());
        }
        let bytes = inbox::seal_roster(&key, &roster)?;
        crate::files::write_atomic(&path, &bytes)
    }

    /// Files every waiting inbox item as a record (DSL and deputies, at unlock). An item that
    /// cannot be filed is set aside, unchanged, with the reason in the report. A failure of the
    /// store or the inbox folder stops filing and is reported, never keeping the team out.
    pub(super) fn file_inbox(&mut self) {
        let mut report = InboxReport::default();
        if self.user.role.is_safeguarding_lead() && self.keyring.has_team_keys() {
            let inbox = InboxDir::of(&self.dir);
            if let Err(e) = self.file_each(&inbox, &mut report) {
                report.problem = Some(e.to_string());
            }
            report.set_aside_total = inbox.rejected().map(|r| r.len() as u32).unwrap_or(0);
        }
        self.inbox_report = report;
    }

    fn file_each(&mut self, inbox: &InboxDir, report: &mut InboxReport) -> Result<()> {
        for path in inbox.pending()? {
            match self.file_item(inbox, &path)? {
                Ok(()) => report.filed += 1,
                Err(reason) => {
                    inbox.mark_rejected(&path)?;
                    report.set_aside.push(SetAside {
                        file: path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// This unlock's filing of the inbox.
    pub fn inbox_report(&self) -> Result<InboxReport> {
        self.require(Role::is_safeguarding_lead)?;
        Ok(self.inbox_report.clone())
    }

    /// Files one item. `Ok(Err(reason))`: the item itself is at fault and is set aside.
    fn file_item(
        &mut self,
        inbox: &InboxDir,
        path: &Path,
    ) -> Result<std::result::Result<(), String>> {
        let item = match InboxDir::read(path) {
            Ok(item) => item,
            Err(
                e @ (Error::StoreDamaged { .. }
                | Error::TooLarge { .. }
                | Error::InvalidInput { .. }),
            ) => return Ok(Err(e.to_string())),
            Err(e) => return Err(e),
        };
        let digest = item.digest.clone();
        let h = item.header.clone();
        if h.store_id != self.keyring.store_id() {
            return Ok(Err("it belongs to another store".into()));
        }
        let current = current_inbox_key(&self.conn)?;
        let Some((team, _)) = current.filter(|(_, p)| hex::encode(p.as_bytes()) == h.team_public)
        else {
            // Items waiting when a key was retired were filed before the rotation: this one was
            // written afterwards with an old keyring (put back, or forged by a former holder).
            return Ok(Err(
                "it is sealed to a retired team key: it was written with an old keyring; check with its author"
                    .into(),
            ));
        };
        let Some(body) = item.open_as_team(&team) else {
            return Ok(Err(
                "it does not open with the team's key, or was not made by the author it names"
                    .into(),
            ));
        };
        let written = h.created()?;
        if let Some(why) = author_problem(&self.conn, h.author_id, &h.author_public, written)? {
            return Ok(Err(why.into()));
        }
        let already: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT record_id, digest, author_id FROM inbox_filed WHERE item_id = ?1",
                [h.item_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let record_id = match already {
            Some(_) if inbox.is_filed(path) => {
                return Ok(Err("it is a copy of an item filed already".into()));
            }
            // Filed before a crash stopped the move: only the receipt and the move remain.
            Some((r, d, a)) if d == digest && a == h.author_id.to_string() => parse_id(&r)?,
            Some(_) => {
                return Ok(Err("another item with the same id was filed already".into()));
            }
            None => match self.file_body(&item, &digest, body) {
                Ok(id) => id,
                Err(
                    e @ (Error::InvalidInput { .. }
                    | Error::TooLarge { .. }
                    | Error::NotFound { .. }
                    | Error::Conflict { .. }),
                ) => return Ok(Err(e.to_string())),
                // A write the database refused for a reason the checks did not foresee: set this
                // item aside (unchanged, to be looked at) rather than stop every later one.
                Err(Error::Internal { .. }) => {
                    return Ok(Err("the store refused it (reported as a bug)".into()));
                }
                Err(e) => return Err(e),
            },
        };
        let receipt = Receipt {
            item_id: h.item_id,
            record_id,
            filed_at: fmt_utc(self.now()),
            filed_by: self.user.name.clone(),
        };
        let sealed = item.seal_receipt(&team, &receipt)?;
        inbox.mark_filed(path, &sealed)?;
        Ok(Ok(()))
    }

    /// Writes an opened item as a record: the author and time are the item's, the audit event
    /// is this session's user filing it.
    fn file_body(&mut self, item: &SealedItem, digest: &str, body: ItemBody) -> Result<Id> {
        let h = &item.header;
        let written = h.created()?;
        if written > self.now() + chrono::Duration::minutes(10) {
            return Err(Error::invalid("inbox item", "is dated in the future"));
        }
        let as_author = Ctx {
            user: h.author_id,
            device: self.device_id.clone(),
            now: written,
        };
        let item_id = h.item_id;
        let author = h.author_id;
        if record_id_taken(&self.conn, item_id)? {
            return Err(Error::Conflict {
                what: "the item's id is already a record's",
            });
        }
        let filed = |c: &Connection, ctx: &Ctx, kind: &str| {
            c.execute(
                "INSERT INTO inbox_filed (item_id, digest, filed_at, filed_by, author_id, kind, record_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![item_id.to_string(), digest, ctx.now_text(), ctx.user.to_string(), author.to_string(), kind, item_id.to_string()],
            )
        };
        match body {
            ItemBody::Concern { concern } => {
                check_concern(&concern, written)?;
                self.write(Action::InboxFileConcern, |c, ctx| {
                    let targets = insert_concern(c, &as_author, item_id, &concern)?;
                    filed(c, ctx, "concern")?;
                    Ok((item_id, [targets, vec![author]].concat()))
                })
            }
            ItemBody::Attachment {
                concern_id,
                file_name,
                media_type,
                bytes,
            } => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(bytes.as_bytes())
                    .map_err(|_| Error::invalid("inbox attachment", "is not base64"))?;
                check_attachment(&file_name, &media_type, &bytes)?;
                // Only to a concern (never another kind of record) its author wrote.
                let concern: Option<(String, String)> = self
                    .conn
                    .query_row(
                        "SELECT recorded_by, pupil_id FROM concerns WHERE id = ?1",
                        [concern_id.to_string()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let pupil = match concern {
                    // A damaged child id on that concern sets this one item aside (with its
                    // reason in the report) instead of stopping every later item's filing.
                    Some((by, pupil)) if by == author.to_string() => super::parse_id(&pupil)
                        .map_err(|_| {
                            Error::invalid(
                                "inbox attachment",
                                "is for a concern whose child's id is damaged: run verify",
                            )
                        })?,
                    _ => {
                        return Err(Error::invalid(
                            "inbox attachment",
                            "is for a concern its author did not write",
                        ));
                    }
                };
                self.write(Action::InboxFileAttachment, |c, ctx| {
                    insert_attachment(
                        c,
                        &as_author,
                        item_id,
                        concern_id,
                        &file_name,
                        &media_type,
                        &bytes,
                    )?;
                    filed(c, ctx, "attachment")?;
                    // The child it is about among the targets, as for any attachment: the audit
                    // names them, and Today reworks only their family's prompts.
                    Ok((item_id, vec![item_id, concern_id, author, pupil]))
                })
            }
        }
    }
}

/// Whether any record (of any kind) already has this id.
/// Whether any record already has this id: a staff item keeps its own id as its record's, and
/// amendments and attachments find their record by id alone, so the id must be new in every
/// record table (each kind's, the attachments and the users).
fn record_id_taken(c: &Connection, id: Uuid) -> Result<bool> {
    let tables = crate::records::RecordKind::ALL
        .iter()
        .map(|k| k.table_name())
        .chain(["attachments", "users"]);
    for t in tables {
        let taken: bool = c
            .prepare_cached(&format!("SELECT EXISTS (SELECT 1 FROM {t} WHERE id = ?1)"))?
            .query_row([id.to_string()], |r| r.get(0))?;
        if taken {
            return Ok(true);
        }
    }
    Ok(false)
}
