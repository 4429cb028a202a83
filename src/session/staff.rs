//! A member of staff's session. Staff hold no database key: their slot opens their own key pair
//! and the roster key, nothing else. What they record goes into the inbox sealed to the team
//! and to themselves; what they read back is only what they wrote (still waiting, or filed
//! with the team's receipt).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::attachments::check_attachment;
use super::concerns::check_concern;
use super::{
    AttachmentView, ChronologyEntry, Draft, MAX_DRAFT_BYTES, PupilPage, PupilQuery, PupilSummary,
    SearchHit, StoreOptions, User,
};
use crate::error::{Error, Result};
use crate::files;
use crate::inbox::{self, InboxDir, ItemBody, ItemHeader, Roster};
use crate::keyring::{Keyring, Unlocked};
use crate::records::{Id, MAX_ATTACHMENT_BYTES, NewConcern, RecordKind, Role};
use crate::secret::{Passphrase, SymmetricKey};
use crate::store::lock::StoreLock;
use crate::time::{fmt_utc, parse_utc};

/// A concern a member of staff recorded, as they read it back: filed by the team or waiting.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OwnConcern {
    pub entry: ChronologyEntry,
    pub filed_at: Option<DateTime<Utc>>,
    pub filed_by: Option<String>,
}

/// One thing this member of staff recorded, as they can read it back.
struct OwnItem {
    header: ItemHeader,
    body: ItemBody,
    /// Filed by the team: when and by whom.
    filed: Option<(DateTime<Utc>, String)>,
}

pub struct StaffSession {
    dir: PathBuf,
    keyring: Keyring,
    user: User,
    secret: StaticSecret,
    private: SymmetricKey,
    team_public: PublicKey,
    roster: Roster,
    opts: StoreOptions,
    _lock: StoreLock,
}

impl std::fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSession")
            .field("user", &self.user.name)
            .finish_non_exhaustive()
    }
}

impl StaffSession {
    /// A staff session over a signed format-3 keyring: the signature was checked at load, the
    /// passphrase wrapping binds the slot to this store's authority, the roster opens with the
    /// slot's roster key.
    pub(super) fn opened(
        dir: &Path,
        lock: StoreLock,
        keyring: Keyring,
        unlocked: Unlocked,
        opts: StoreOptions,
    ) -> Result<StaffSession> {
        let user_id = unlocked
            .user_id
            .ok_or(Error::damaged("a user slot has no user"))?;
        if unlocked.role != Some(Role::Staff) {
            return Err(Error::KeyringTampered {
                detail: "a slot without the database key is not a member of staff's",
            });
        }
        // Format 3 before the team keys exist: the DSL's next unlock makes them.
        let team_public = keyring.team_public().ok_or(Error::NotReady)?;
        if unlocked.needs_rewrap {
            // A wrapping from before the binding, met first in a keyring nobody has checked
            // against the database: it could be an old slot copied into a forged keyring.
            return Err(Error::PassphraseResetNeeded);
        }
        let roster_key = unlocked
            .roster_key
            .ok_or(Error::damaged("a member of staff's slot has no roster key"))?;
        let roster_bytes = files::read_bounded(
            &dir.join(inbox::ROSTER_FILE),
            inbox::MAX_ROSTER_BYTES as u64,
        )
        .map_err(|e| match e {
            Error::NotFound { .. } => Error::damaged("the pupil roster is missing"),
            e => e,
        })?;
        let roster = inbox::open_roster(&roster_key, keyring.store_id(), &roster_bytes)?;
        let name = keyring
            .users()
            .into_iter()
            .find(|(id, _)| *id == user_id)
            .map(|(_, n)| n)
            .ok_or(Error::damaged("a user slot has no name"))?;
        Ok(StaffSession {
            dir: dir.to_owned(),
            keyring,
            user: User {
                id: user_id,
                name,
                role: Role::Staff,
            },
            secret: StaticSecret::from(*unlocked.slot_secret),
            private: inbox::private_key(&unlocked.slot_secret)?,
            team_public,
            roster,
            opts,
            _lock: lock,
        })
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn school_name(&self) -> &str {
        &self.roster.school_name
    }

    pub fn idle_lock_minutes(&self) -> u32 {
        self.roster.idle_lock_minutes.clamp(1, 60)
    }

    fn now(&self) -> DateTime<Utc> {
        self.opts.clock.now()
    }

    // ---- the roster ----

    /// Pupils by name, UPN or year, names and years only (no status flags for staff).
    pub fn list_pupils(&self, q: &PupilQuery) -> Result<PupilPage> {
        if q.flag.is_some() {
            return Err(Error::Forbidden);
        }
        Ok(super::pupils::page_of_pupils(self.roster.pupils.clone(), q))
    }

    pub fn pupil_summary(&self, pupil: Id) -> Result<PupilSummary> {
        self.roster
            .pupils
            .iter()
            .find(|p| p.id == pupil)
            .cloned()
            .ok_or(Error::NotFound { what: "pupil" })
    }

    // ---- recording ----

    fn put(&self, body: &ItemBody) -> Result<Id> {
        let (header, bytes) = inbox::seal_item(
            self.keyring.store_id(),
            self.user.id,
            &self.secret,
            &self.team_public,
            self.now(),
            body,
        )?;
        InboxDir::of(&self.dir).put(&header, &bytes)?;
        Ok(header.item_id)
    }

    /// Records a concern into the inbox; the team files it as a record with this id.
    pub fn record_concern(&mut self, n: &NewConcern) -> Result<Id> {
        check_concern(n, self.now())?;
        self.pupil_summary(n.pupil_id)?;
        for o in &n.other_children {
            if let Some(p) = o.pupil_id {
                self.pupil_summary(p)?;
            }
        }
        self.put(&ItemBody::Concern { concern: n.clone() })
    }

    /// Attaches a file to one of this member of staff's own concerns (through the inbox).
    pub fn attach_file(
        &mut self,
        concern_id: Id,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Id> {
        check_attachment(file_name, media_type, bytes)?;
        let own = self.own_items()?;
        if !own
            .iter()
            .any(|i| i.header.item_id == concern_id && matches!(i.body, ItemBody::Concern { .. }))
        {
            return Err(Error::NotFound { what: "concern" });
        }
        self.put(&ItemBody::Attachment {
            concern_id,
            file_name: file_name.to_owned(),
            media_type: media_type.to_owned(),
            bytes: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    pub fn attach_path(&mut self, concern_id: Id, path: &Path) -> Result<Id> {
        let media = super::attachments::media_type(path)?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or(Error::invalid("attachment", "has no readable file name"))?
            .to_owned();
        let bytes = files::read_chosen_file(path, MAX_ATTACHMENT_BYTES, "attachment")?;
        self.attach_file(concern_id, &name, media, &bytes)
    }

    // ---- reading back what they wrote ----

    /// Every item this member of staff wrote that their key still opens, waiting or filed.
    fn own_items(&self) -> Result<Vec<OwnItem>> {
        let inbox = InboxDir::of(&self.dir);
        let me = hex::encode(PublicKey::from(&self.secret).as_bytes());
        let mut out = Vec::new();
        for (path, filed) in inbox
            .pending()?
            .into_iter()
            .map(|p| (p, false))
            .chain(inbox.filed()?.into_iter().map(|p| (p, true)))
        {
            let Ok(item) = InboxDir::read(&path) else {
                continue;
            };
            if item.header.author_public != me || item.header.author_id != self.user.id {
                continue;
            }
            let Some(body) = item.open_as_author(&self.secret) else {
                continue;
            };
            let filed = match filed {
                true => InboxDir::receipt_of(&path)
                    .and_then(|b| item.open_receipt(&self.secret, &b))
                    .and_then(|r| Some((parse_utc(&r.filed_at).ok()?, r.filed_by))),
                false => None,
            };
            out.push(OwnItem {
                header: item.header,
                body,
                filed,
            });
        }
        Ok(out)
    }

    /// This member of staff's own concerns about `pupil`, newest first, as a chronology.
    pub fn chronology(&self, pupil: Id) -> Result<Vec<ChronologyEntry>> {
        Ok(self
            .own_concerns(Some(pupil))?
            .into_iter()
            .map(|c| c.entry)
            .collect())
    }

    /// Every concern this member of staff recorded that their key still opens, newest first.
    pub fn my_concerns(&self) -> Result<Vec<OwnConcern>> {
        self.own_concerns(None)
    }

    fn own_concerns(&self, pupil: Option<Id>) -> Result<Vec<OwnConcern>> {
        let items = self.own_items()?;
        let mut attachments: HashMap<Id, Vec<AttachmentView>> = HashMap::new();
        for i in &items {
            if let ItemBody::Attachment {
                concern_id,
                file_name,
                media_type,
                bytes,
            } = &i.body
            {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(bytes.as_bytes())
                    .unwrap_or_default();
                attachments
                    .entry(*concern_id)
                    .or_default()
                    .push(AttachmentView {
                        id: i.header.item_id,
                        file_name: file_name.clone(),
                        media_type: media_type.clone(),
                        size: raw.len() as u64,
                        sha256: hex::encode(Sha256::digest(&raw)),
                        added_at: i.header.created()?,
                        added_by: self.user.name.clone(),
                    });
            }
        }
        let mut entries = Vec::new();
        for i in &items {
            let ItemBody::Concern { concern } = &i.body else {
                continue;
            };
            if pupil.is_some_and(|p| p != concern.pupil_id) {
                continue;
            }
            let pupil_name = self
                .pupil_summary(concern.pupil_id)
                .map(|p| p.name)
                .unwrap_or_default();
            let d = &concern.details;
            let (title, mut text) = d.title_and_text();
            text.push_str(&match &i.filed {
                Some((at, by)) => format!(
                    "\n\nFiled by the safeguarding team ({by}) on {}.",
                    crate::time::london_date(*at).format("%d/%m/%Y")
                ),
                None => "\n\nWaiting for the safeguarding team to open it.".to_owned(),
            });
            let entry = ChronologyEntry {
                at: d.observed_at,
                kind: RecordKind::Concern,
                record_id: i.header.item_id,
                pupil_id: concern.pupil_id,
                pupil_name,
                title,
                text,
                child_words: d.child_words.clone(),
                categories: d.categories.clone(),
                fields: crate::kinds::shown_fields(d)?,
                status: None,
                author: self.user.name.clone(),
                recorded_at: i.header.created()?,
                amendments: Vec::new(),
                attachments: attachments.remove(&i.header.item_id).unwrap_or_default(),
                // A member of staff adds files to their own concern; a correction is the team's.
                may_amend: false,
                may_attach: true,
            };
            entries.push(OwnConcern {
                entry,
                filed_at: i.filed.as_ref().map(|f| f.0),
                filed_by: i.filed.as_ref().map(|f| f.1.clone()),
            });
        }
        entries.sort_by_key(|c| std::cmp::Reverse(c.entry.at));
        Ok(entries)
    }

    /// Finds words in this member of staff's own concerns.
    pub fn search(&self, typed: &str, limit: u32) -> Result<Vec<SearchHit>> {
        crate::records::limit("search", typed, 1000)?;
        let words: Vec<String> = typed.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        for i in self.own_items()? {
            let ItemBody::Concern { concern } = &i.body else {
                continue;
            };
            let d = &concern.details;
            let text = [
                d.account.as_str(),
                d.child_words.as_deref().unwrap_or(""),
                d.immediate_action.as_str(),
                d.location.as_str(),
            ]
            .join(" ");
            let lower = text.to_lowercase();
            if words.iter().all(|w| lower.contains(w)) {
                hits.push(SearchHit {
                    kind: RecordKind::Concern,
                    record_id: i.header.item_id,
                    pupil_id: Some(concern.pupil_id),
                    pupil_name: self.pupil_summary(concern.pupil_id).ok().map(|p| p.name),
                    at: i.header.created()?,
                    snippet: text.chars().take(160).collect(),
                });
            }
        }
        hits.sort_by_key(|h| std::cmp::Reverse(h.at));
        hits.truncate(limit.clamp(1, 200) as usize);
        Ok(hits)
    }

    // ---- drafts, sealed to this member of staff alone ----

    pub fn save_draft(&mut self, form: &str, body: &str) -> Result<()> {
        super::drafts::check_draft(form, body)?;
        let sealed = Zeroizing::new(serde_json::to_vec(&(fmt_utc(self.now()), body))?);
        let bytes = inbox::seal_private(&self.private, form.as_bytes(), &sealed)?;
        files::write_atomic(
            &InboxDir::of(&self.dir).draft_path(self.user.id, form)?,
            &bytes,
        )
    }

    pub fn draft(&self, form: &str) -> Result<Option<Draft>> {
        super::drafts::check_form_name(form)?;
        let path = InboxDir::of(&self.dir).draft_path(self.user.id, form)?;
        let bytes = match files::read_bounded(&path, (MAX_DRAFT_BYTES * 2) as u64) {
            Ok(b) => b,
            Err(Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(plain): Option<Zeroizing<Vec<u8>>> =
            inbox::open_private(&self.private, form.as_bytes(), &bytes)
        else {
            return Ok(None);
        };
        let (at, body): (String, String) = serde_json::from_slice(&plain)?;
        Ok(Some(Draft {
            form: form.to_owned(),
            saved_at: parse_utc(&at)?,
            body,
        }))
    }

    pub fn discard_draft(&mut self, form: &str) -> Result<()> {
        super::drafts::check_form_name(form)?;
        match std::fs::remove_file(InboxDir::of(&self.dir).draft_path(self.user.id, form)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Changes this member of staff's own passphrase (the slot re-wrapped, nothing signed
    /// changes, the key pair and so their own items stay theirs).
    pub fn change_passphrase(&mut self, new_passphrase: &Passphrase) -> Result<()> {
        new_passphrase.check_new()?;
        let mut next = self.keyring.clone();
        next.rewrap_slot(
            &self.secret.to_bytes(),
            new_passphrase.expose_secret().as_bytes(),
            self.opts.kdf,
        )?;
        next.save_rewrapped(&self.dir)?;
        self.keyring = next;
        Ok(())
    }
}
