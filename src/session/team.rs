//! The safeguarding team's side of roles in the cryptography: the team's inbox and roster keys
//! (kept inside the database), the keys each slot is sealed, the roster staff pick children
//! from, the move of an older store to format 3, and filing staff's inbox items as records.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;
use x25519_dalek::{PublicKey, StaticSecret};

use super::writes::{check_attachment, check_concern, insert_attachment, insert_concern};
use super::{Ctx, Session, parse_id};
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
}

fn hex32(s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(Error::damaged("a team key is malformed"))
}

/// Writes a new team key of `kind` inside the caller's audited write.
fn insert_team_key(
    c: &Connection,
    ctx: &Ctx,
    kind: &str,
    public: &str,
    secret: &[u8; 32],
) -> Result<()> {
    c.execute(
        "INSERT INTO team_keys (id, created_at, kind, public, secret) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            ctx.new_id().to_string(),
            ctx.now_text(),
            kind,
            public,
            hex::encode(secret)
        ],
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

/// The current inbox key pair, if the store has one yet.
pub(crate) fn current_inbox_key(c: &Connection) -> Result<Option<(StaticSecret, PublicKey)>> {
    let secret: Option<String> = c
        .query_row(
            "SELECT secret FROM team_keys WHERE kind = 'inbox' ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    secret
        .map(|s| {
            let secret = StaticSecret::from(hex32(&s)?);
            let public = PublicKey::from(&secret);
            Ok((secret, public))
        })
        .transpose()
}

/// The inbox secret whose public half is `public` (items sealed to an older key still open).
fn inbox_key_for(c: &Connection, public: &str) -> Result<Option<StaticSecret>> {
    let secret: Option<String> = c
        .query_row(
            "SELECT secret FROM team_keys WHERE kind = 'inbox' AND public = ?1",
            [public],
            |r| r.get(0),
        )
        .optional()?;
    secret
        .map(|s| Ok(StaticSecret::from(hex32(&s)?)))
        .transpose()
}

pub(crate) fn current_roster_key(c: &Connection) -> Result<Option<SymmetricKey>> {
    let secret: Option<String> = c
        .query_row(
            "SELECT secret FROM team_keys WHERE kind = 'roster' ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    secret
        .map(|s| Ok(SymmetricKey::from_bytes(&hex32(&s)?)))
        .transpose()
}

/// Records a staff slot's public key (the authors an inbox item may name).
pub(crate) fn record_staff_key(c: &Connection, ctx: &Ctx, user: Uuid, public: &str) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO staff_keys (user_id, public, at) VALUES (?1, ?2, ?3)",
        params![user.to_string(), public, ctx.now_text()],
    )?;
    Ok(())
}

fn staff_key_known(c: &Connection, user: Uuid, public: &str) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM staff_keys WHERE user_id = ?1 AND public = ?2)",
        params![user.to_string(), public],
        |r| r.get(0),
    )?)
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
        f(&SlotKeys {
            data_key,
            previous,
            authority: self.authority.as_ref().ok_or(Error::Forbidden)?,
            roster_key: roster.as_ref(),
        })
    }

    /// Moves a signed keyring to format 3 (DSL or recovery sessions): team keys made inside the
    /// database first (reused if a crash came after), staff slots' public keys recorded, then
    /// staff slots resealed without the data key — and, since staff held the old one, the
    /// database moved to a new key.
    pub(super) fn move_to_team_keys(&mut self) -> Result<()> {
        if self.keyring.has_team_keys() || self.keyring.is_legacy() || self.authority.is_none() {
            return Ok(());
        }
        let staff = self.keyring.staff_publics();
        self.write("keyring.team_keys_made", |c, ctx| {
            if current_inbox_key(c)?.is_none() {
                new_team_keys(c, ctx, true)?;
            }
            for (user, public) in &staff {
                record_staff_key(c, ctx, *user, public)?;
            }
            Ok(((), vec![]))
        })?;
        let (_, team_public) = current_inbox_key(&self.conn)?
            .ok_or(Error::damaged("the team's inbox key is missing"))?;
        if staff.is_empty() {
            let mut next = self.keyring.clone();
            next.use_team_keys(&team_public);
            self.with_slot_keys(&self.data_key, None, |k| next.reseal_all(k))?;
            self.save_keyring(next, "keyring.team_keys")?;
        } else {
            self.start_rekey(|next| {
                next.use_team_keys(&team_public);
                Ok(())
            })?;
        }
        self.publish_roster()
    }

    /// Rotates the team's keys after a removal: the roster key when a member of staff goes (they
    /// held it), the inbox key too when a member of the team goes (they could open the database,
    /// and so the inbox key). Inside the caller's rekey, before the keyring is resealed.
    pub(super) fn rotate_team_keys(&mut self, team_member_removed: bool) -> Result<()> {
        if !self.keyring.has_team_keys() {
            return Ok(());
        }
        self.write("keyring.team_keys_rotated", |c, ctx| {
            new_team_keys(c, ctx, team_member_removed)?;
            Ok(((), vec![]))
        })?;
        Ok(())
    }

    /// The inbox public key the keyring must name (format 3).
    pub(super) fn team_public(&self) -> Result<Option<PublicKey>> {
        Ok(current_inbox_key(&self.conn)?.map(|(_, p)| p))
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
            .map(|(id, d)| super::queries::staff_summary(*id, d))
            .collect();
        pupils.sort_by_key(|p| p.name.to_lowercase());
        let roster = Roster {
            store_id: self.keyring.store_id(),
            written_at: fmt_utc(self.now()),
            school_name: self.school()?.name,
            idle_lock_minutes: self.idle_lock_minutes()?,
            pupils,
        };
        let bytes = inbox::seal_roster(&key, &roster)?;
        crate::files::write_atomic(&self.dir.join(inbox::ROSTER_FILE), &bytes)
    }

    /// Files every waiting inbox item as a record (DSL and deputies, at unlock). An item that
    /// cannot be filed is set aside, unchanged, with the reason in the report; a failure of the
    /// store itself stops filing and leaves the item waiting for the next unlock.
    pub(super) fn file_inbox(&mut self) -> Result<()> {
        let mut report = InboxReport::default();
        if self.user.role.is_safeguarding_lead() && self.keyring.has_team_keys() {
            let inbox = InboxDir::of(&self.dir);
            for path in inbox.pending()? {
                match self.file_item(&inbox, &path) {
                    Ok(Ok(())) => report.filed += 1,
                    Ok(Err(reason)) => {
                        inbox.mark_rejected(&path)?;
                        report.set_aside.push(SetAside {
                            file: path
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                            reason,
                        });
                    }
                    Err(_) => break,
                }
            }
            report.set_aside_total = inbox.rejected()?.len() as u32;
        }
        self.inbox_report = report;
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
        path: &PathBuf,
    ) -> Result<std::result::Result<(), String>> {
        let item = match InboxDir::read(path) {
            Ok(item) => item,
            Err(e @ (Error::StoreDamaged { .. } | Error::TooLarge { .. })) => {
                return Ok(Err(e.to_string()));
            }
            Err(e) => return Err(e),
        };
        let h = item.header.clone();
        if h.store_id != self.keyring.store_id() {
            return Ok(Err("it belongs to another store".into()));
        }
        let already: Option<String> = self
            .conn
            .query_row(
                "SELECT record_id FROM inbox_filed WHERE item_id = ?1",
                [h.item_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(team) = inbox_key_for(&self.conn, &h.team_public)? else {
            return Ok(Err("it is sealed to a key this store has never had".into()));
        };
        let Some(body) = item.open_as_team(&team) else {
            return Ok(Err(
                "it does not open with the team's key, or was not made by the author it names"
                    .into(),
            ));
        };
        if !staff_key_known(&self.conn, h.author_id, &h.author_public)? {
            return Ok(Err("the author it names never had that key".into()));
        }
        let record_id = match already {
            // Filed before a crash stopped the move: only the receipt and the move remain.
            Some(r) => parse_id(&r)?,
            None => match self.file_body(&item, body) {
                Ok(id) => id,
                Err(
                    e @ (Error::InvalidInput { .. }
                    | Error::TooLarge { .. }
                    | Error::NotFound { .. }
                    | Error::Conflict { .. }),
                ) => return Ok(Err(e.to_string())),
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
    fn file_body(&mut self, item: &SealedItem, body: ItemBody) -> Result<Id> {
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
        match body {
            ItemBody::Concern { concern } => {
                check_concern(&concern, written)?;
                self.write("inbox.file_concern", |c, ctx| {
                    let targets = insert_concern(c, &as_author, item_id, &concern)?;
                    mark_filed(c, ctx, item_id, author, "concern", item_id)?;
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
                let (record_author, _) = self.record_author(concern_id)?;
                if record_author != author {
                    return Err(Error::invalid(
                        "inbox attachment",
                        "is for a record its author did not write",
                    ));
                }
                self.write("inbox.file_attachment", |c, ctx| {
                    insert_attachment(
                        c,
                        &as_author,
                        item_id,
                        concern_id,
                        &file_name,
                        &media_type,
                        &bytes,
                    )?;
                    mark_filed(c, ctx, item_id, author, "attachment", item_id)?;
                    Ok((item_id, vec![item_id, concern_id, author]))
                })
            }
        }
    }
}

fn mark_filed(
    c: &Connection,
    ctx: &Ctx,
    item: Uuid,
    author: Uuid,
    kind: &str,
    record: Uuid,
) -> Result<()> {
    c.execute(
        "INSERT INTO inbox_filed (item_id, filed_at, filed_by, author_id, kind, record_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![item.to_string(), ctx.now_text(), ctx.user.to_string(), author.to_string(), kind, record.to_string()],
    )?;
    Ok(())
}
