//! The staff inbox: what a member of staff records, sealed so that only the safeguarding team
//! and the author can read it, in files beside the database. Staff hold no database key; a DSL
//! or deputy session files inbox items as records ([`crate::session`]) and leaves the author a
//! receipt.
//!
//! An item is self-contained and never changes once written, named by its UUID v7: a later team
//! sync can carry items as opaque files. Its layout:
//!
//! ```text
//! "SGDINBX1" | u32 header length | header (JSON) | ephemeral X25519 public (32)
//!            | team wrap: nonce (24) + sealed content key (48)
//!            | author wrap: nonce (24) + sealed content key (48)
//!            | key commitment (32) | body nonce (24) | body ciphertext (JSON, XChaCha20-Poly1305)
//! ```
//!
//! The commitment (HKDF of the content key) makes both readers open the same key, so an author
//! cannot show the team one body and themselves another (XChaCha20-Poly1305 alone does not
//! commit to its key).
//!
//! The content key is wrapped twice, in the way HPKE's authenticated mode derives its key: for
//! the team under HKDF(DH(ephemeral, team) ‖ DH(author, team)), for the author under
//! HKDF(DH(ephemeral, author) ‖ DH(author, team)). The static-static term means only the author
//! (or the team) can make an item the team opens as the author's. The header (who, when, which
//! keys) is the associated data of every ciphertext, so it cannot be changed either.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
pub use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::files;
use crate::records::{Id, MAX_ATTACHMENT_BYTES, NewConcern};
use crate::secret::{SymmetricKey, random_fill};
use crate::session::PupilSummary;
use crate::time::{fmt_utc, parse_utc};

pub const INBOX_DIR: &str = "inbox";
pub const ROSTER_FILE: &str = "roster.sealed";
const FILED_DIR: &str = "filed";
const REJECTED_DIR: &str = "rejected";
const DRAFTS_DIR: &str = "drafts";
const ITEM_EXT: &str = "item";
const RECEIPT_EXT: &str = "receipt";

const ITEM_MAGIC: &[u8; 8] = b"SGDINBX1";
const ROSTER_MAGIC: &[u8; 8] = b"SGDROST1";
const PRIVATE_MAGIC: &[u8; 8] = b"SGDPRIV1";
const ITEM_FORMAT: u32 = 1;
const MAX_HEADER: usize = 4096;
/// An attachment at its limit, base64 in JSON, with room for the header.
pub const MAX_ITEM_BYTES: usize = MAX_ATTACHMENT_BYTES / 3 * 4 + 64 * 1024;
pub const MAX_ROSTER_BYTES: usize = 64 * 1024 * 1024;
const WRAP_LEN: usize = 24 + 32 + 16;

/// What an item holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Concern,
    Attachment,
}

/// Who wrote an item, when, and to which keys it is sealed. Readable without a key (the team
/// needs it to choose the key), authenticated by every ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemHeader {
    pub format: u32,
    pub item_id: Uuid,
    pub store_id: Uuid,
    pub author_id: Uuid,
    pub author_public: String,
    pub team_public: String,
    pub created_at: String,
    pub kind: ItemKind,
}

impl ItemHeader {
    pub fn created(&self) -> Result<DateTime<Utc>> {
        parse_utc(&self.created_at)
    }
}

/// What an item says: a concern (its id becomes the record's) or a file attached to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ItemBody {
    Concern {
        concern: NewConcern,
    },
    Attachment {
        concern_id: Id,
        file_name: String,
        media_type: String,
        /// The file, base64.
        bytes: String,
    },
}

impl ItemBody {
    pub fn kind(&self) -> ItemKind {
        match self {
            ItemBody::Concern { .. } => ItemKind::Concern,
            ItemBody::Attachment { .. } => ItemKind::Attachment,
        }
    }
}

/// An item's parts, parsed but not opened.
#[derive(Debug, Clone)]
pub struct SealedItem {
    pub header: ItemHeader,
    /// SHA-256 of the item's bytes: the same id must always mean the same item.
    pub digest: String,
    header_bytes: Vec<u8>,
    ephemeral: [u8; 32],
    team_wrap: [u8; WRAP_LEN],
    author_wrap: [u8; WRAP_LEN],
    commitment: [u8; 32],
    body_nonce: [u8; 24],
    body: Vec<u8>,
}

/// The team's answer to an item, for its author: it was filed as this record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub item_id: Uuid,
    pub record_id: Uuid,
    pub filed_at: String,
    pub filed_by: String,
}

/// What staff may see of the school: its name, their idle lock, and the pupils (names and
/// years only) to pick the child a concern is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    pub store_id: Uuid,
    pub written_at: String,
    pub school_name: String,
    pub idle_lock_minutes: u32,
    pub pupils: Vec<PupilSummary>,
}

fn damaged(detail: &'static str) -> Error {
    Error::damaged(detail)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut a = [0u8; N];
    random_fill(&mut a)?;
    Ok(a)
}

fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut okm = Zeroizing::new([0u8; 32]);
    hk.expand(info, okm.as_mut()).map_err(|_| Error::Internal {
        detail: "inbox hkdf".into(),
    })?;
    Ok(okm)
}

fn aead_seal(key: &[u8; 32], nonce: &[u8; 24], msg: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    XChaCha20Poly1305::new_from_slice(key)
        .map(|c| c.encrypt(&XNonce::from(*nonce), Payload { msg, aad }))
        .map_err(|_| Error::Internal {
            detail: "inbox cipher".into(),
        })?
        .map_err(|_| Error::Internal {
            detail: "inbox seal".into(),
        })
}

fn aead_open(key: &[u8; 32], nonce: &[u8; 24], msg: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
    cipher
        .decrypt(&XNonce::from(*nonce), Payload { msg, aad })
        .ok()
}

/// Binds an item to its content key: both readers check it before opening the body.
fn commit_to(content_key: &[u8; 32], header_bytes: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    hkdf(
        content_key,
        &Sha256::digest(header_bytes),
        b"safeguard-desk/inbox/v1/commitment",
    )
}

fn parse_public(hex_key: &str) -> Result<PublicKey> {
    let bytes: [u8; 32] = hex::decode(hex_key)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(damaged("an inbox item names a malformed key"))?;
    Ok(PublicKey::from(bytes))
}

/// The key wrapping the content key for one reader.
fn wrap_key(
    ephemeral_term: &[u8; 32],
    static_term: &[u8; 32],
    header_bytes: &[u8],
    reader: &'static [u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let mut ikm = Zeroizing::new([0u8; 64]);
    ikm[..32].copy_from_slice(ephemeral_term);
    ikm[32..].copy_from_slice(static_term);
    let salt = Sha256::digest(header_bytes);
    let mut info = b"safeguard-desk/inbox/v1/".to_vec();
    info.extend_from_slice(reader);
    hkdf(ikm.as_ref(), &salt, &info)
}

/// Seals an item written by `author` (their slot secret) to the team's key and to themselves.
pub fn seal_item(
    store_id: Uuid,
    author_id: Uuid,
    author: &StaticSecret,
    team_public: &PublicKey,
    created_at: DateTime<Utc>,
    body: &ItemBody,
) -> Result<(ItemHeader, Vec<u8>)> {
    let author_public = PublicKey::from(author);
    let header = ItemHeader {
        format: ITEM_FORMAT,
        item_id: Uuid::now_v7(),
        store_id,
        author_id,
        author_public: hex::encode(author_public.as_bytes()),
        team_public: hex::encode(team_public.as_bytes()),
        created_at: fmt_utc(created_at),
        kind: body.kind(),
    };
    let header_bytes = serde_json::to_vec(&header)?;
    let body_bytes = Zeroizing::new(serde_json::to_vec(body)?);
    if body_bytes.len() > MAX_ITEM_BYTES - 1024 - header_bytes.len() {
        return Err(Error::TooLarge {
            field: "inbox item",
            limit: MAX_ITEM_BYTES,
        });
    }
    let ephemeral = StaticSecret::from(random::<32>()?);
    let ephemeral_public = PublicKey::from(&ephemeral);
    let static_term = author.diffie_hellman(team_public);
    let content_key = Zeroizing::new(random::<32>()?);
    let mut out = Vec::with_capacity(body_bytes.len() + header_bytes.len() + 256);
    out.extend_from_slice(ITEM_MAGIC);
    out.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(ephemeral_public.as_bytes());
    let readers: [(&'static [u8], &PublicKey); 2] =
        [(b"team", team_public), (b"author", &author_public)];
    for (reader, recipient) in readers {
        let k = wrap_key(
            ephemeral.diffie_hellman(recipient).as_bytes(),
            static_term.as_bytes(),
            &header_bytes,
            reader,
        )?;
        let nonce = random::<24>()?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&aead_seal(&k, &nonce, content_key.as_ref(), &header_bytes)?);
    }
    out.extend_from_slice(commit_to(&content_key, &header_bytes)?.as_ref());
    let nonce = random::<24>()?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&aead_seal(
        &content_key,
        &nonce,
        &body_bytes,
        &header_bytes,
    )?);
    Ok((header, out))
}

/// Parses an item's layout and header; opens nothing. Any malformed file is a clear error.
pub fn parse_item(bytes: &[u8]) -> Result<SealedItem> {
    if bytes.len() > MAX_ITEM_BYTES {
        return Err(Error::TooLarge {
            field: "inbox item",
            limit: MAX_ITEM_BYTES,
        });
    }
    let rest = bytes
        .strip_prefix(ITEM_MAGIC)
        .ok_or(damaged("a file in the inbox is not an inbox item"))?;
    let cut = || damaged("an inbox item is cut short");
    let (len, rest) = rest.split_at_checked(4).ok_or_else(cut)?;
    let len = u32::from_be_bytes(len.try_into().map_err(|_| cut())?) as usize;
    if len > MAX_HEADER {
        return Err(damaged("an inbox item's header is far too long"));
    }
    let (header_bytes, rest) = rest.split_at_checked(len).ok_or_else(cut)?;
    let header: ItemHeader = serde_json::from_slice(header_bytes)
        .map_err(|_| damaged("an inbox item's header cannot be read"))?;
    if header.format != ITEM_FORMAT {
        return Err(damaged("an inbox item has an unknown format"));
    }
    header.created()?;
    parse_public(&header.author_public)?;
    parse_public(&header.team_public)?;
    let (ephemeral, rest) = rest.split_at_checked(32).ok_or_else(cut)?;
    let (team_wrap, rest) = rest.split_at_checked(WRAP_LEN).ok_or_else(cut)?;
    let (author_wrap, rest) = rest.split_at_checked(WRAP_LEN).ok_or_else(cut)?;
    let (commitment, rest) = rest.split_at_checked(32).ok_or_else(cut)?;
    let (body_nonce, body) = rest.split_at_checked(24).ok_or_else(cut)?;
    if body.len() < 16 {
        return Err(cut());
    }
    Ok(SealedItem {
        header,
        digest: hex::encode(Sha256::digest(bytes)),
        header_bytes: header_bytes.to_vec(),
        ephemeral: fixed(ephemeral)?,
        team_wrap: fixed(team_wrap)?,
        author_wrap: fixed(author_wrap)?,
        commitment: fixed(commitment)?,
        body_nonce: fixed(body_nonce)?,
        body: body.to_vec(),
    })
}

fn fixed<const N: usize>(b: &[u8]) -> Result<[u8; N]> {
    b.try_into()
        .map_err(|_| damaged("an inbox item is cut short"))
}

impl SealedItem {
    fn open_with(&self, wrap: &[u8; WRAP_LEN], k: &[u8; 32]) -> Option<ItemBody> {
        let (nonce, sealed) = wrap.split_at(24);
        let content_key: [u8; 32] =
            aead_open(k, nonce.try_into().ok()?, sealed, &self.header_bytes)?
                .try_into()
                .ok()?;
        let content_key = Zeroizing::new(content_key);
        if commit_to(&content_key, &self.header_bytes).ok()?.as_ref() != self.commitment {
            return None;
        }
        let body = Zeroizing::new(aead_open(
            &content_key,
            &self.body_nonce,
            &self.body,
            &self.header_bytes,
        )?);
        let parsed: ItemBody = serde_json::from_slice(&body).ok()?;
        (parsed.kind() == self.header.kind).then_some(parsed)
    }

    /// Opens the item with the team's inbox secret. Success also proves the named author's key
    /// made it (or the team's own).
    pub fn open_as_team(&self, team: &StaticSecret) -> Option<ItemBody> {
        let author = parse_public(&self.header.author_public).ok()?;
        let eph = PublicKey::from(self.ephemeral);
        let k = wrap_key(
            team.diffie_hellman(&eph).as_bytes(),
            team.diffie_hellman(&author).as_bytes(),
            &self.header_bytes,
            b"team",
        )
        .ok()?;
        self.open_with(&self.team_wrap, &k)
    }

    /// Opens the item with its author's slot secret.
    pub fn open_as_author(&self, author: &StaticSecret) -> Option<ItemBody> {
        let team = parse_public(&self.header.team_public).ok()?;
        if hex::encode(PublicKey::from(author).as_bytes()) != self.header.author_public {
            return None;
        }
        let eph = PublicKey::from(self.ephemeral);
        let k = wrap_key(
            author.diffie_hellman(&eph).as_bytes(),
            author.diffie_hellman(&team).as_bytes(),
            &self.header_bytes,
            b"author",
        )
        .ok()?;
        self.open_with(&self.author_wrap, &k)
    }

    /// The key a receipt for this item is sealed under: known to the team and the author only.
    fn receipt_key(&self, static_term: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>> {
        hkdf(
            static_term,
            self.header.item_id.as_bytes(),
            b"safeguard-desk/inbox/v1/receipt",
        )
    }

    /// A receipt the author can open, sealed by the team.
    pub fn seal_receipt(&self, team: &StaticSecret, receipt: &Receipt) -> Result<Vec<u8>> {
        let author = parse_public(&self.header.author_public)?;
        let k = self.receipt_key(team.diffie_hellman(&author).as_bytes())?;
        let nonce = random::<24>()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&aead_seal(
            &k,
            &nonce,
            &serde_json::to_vec(receipt)?,
            &self.header_bytes,
        )?);
        Ok(out)
    }

    /// Opens this item's receipt as its author.
    pub fn open_receipt(&self, author: &StaticSecret, bytes: &[u8]) -> Option<Receipt> {
        let team = parse_public(&self.header.team_public).ok()?;
        let k = self
            .receipt_key(author.diffie_hellman(&team).as_bytes())
            .ok()?;
        let (nonce, sealed) = bytes.split_at_checked(24)?;
        let pt = aead_open(&k, nonce.try_into().ok()?, sealed, &self.header_bytes)?;
        let receipt: Receipt = serde_json::from_slice(&pt).ok()?;
        (receipt.item_id == self.header.item_id).then_some(receipt)
    }
}

/// Seals the roster under the roster key.
pub fn seal_roster(key: &SymmetricKey, roster: &Roster) -> Result<Vec<u8>> {
    let body = Zeroizing::new(serde_json::to_vec(roster)?);
    let nonce = random::<24>()?;
    let mut out = ROSTER_MAGIC.to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&aead_seal(
        key.expose_secret(),
        &nonce,
        &body,
        roster.store_id.as_bytes(),
    )?);
    Ok(out)
}

/// Opens the roster of `store_id`.
pub fn open_roster(key: &SymmetricKey, store_id: Uuid, bytes: &[u8]) -> Result<Roster> {
    let rest = bytes
        .strip_prefix(ROSTER_MAGIC)
        .ok_or(damaged("the pupil roster is not a roster file"))?;
    let (nonce, sealed) = rest
        .split_at_checked(24)
        .ok_or(damaged("the pupil roster is cut short"))?;
    let nonce: [u8; 24] = nonce
        .try_into()
        .map_err(|_| damaged("the pupil roster is cut short"))?;
    let body = Zeroizing::new(
        aead_open(key.expose_secret(), &nonce, sealed, store_id.as_bytes()).ok_or(damaged(
            "the pupil roster does not open with this store's roster key",
        ))?,
    );
    let roster: Roster =
        serde_json::from_slice(&body).map_err(|_| damaged("the pupil roster cannot be read"))?;
    if roster.store_id != store_id {
        return Err(damaged("the pupil roster belongs to another store"));
    }
    Ok(roster)
}

/// The key a user's own private files (their drafts) are sealed under, from their slot secret.
pub fn private_key(slot_secret: &[u8; 32]) -> Result<SymmetricKey> {
    let k = hkdf(slot_secret, b"", b"safeguard-desk/inbox/v1/private")?;
    Ok(SymmetricKey::from_bytes(&k))
}

/// Seals bytes only their owner can open (bound to `label`, e.g. the draft's form).
pub fn seal_private(key: &SymmetricKey, label: &[u8], msg: &[u8]) -> Result<Vec<u8>> {
    let nonce = random::<24>()?;
    let mut out = PRIVATE_MAGIC.to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&aead_seal(key.expose_secret(), &nonce, msg, label)?);
    Ok(out)
}

pub fn open_private(key: &SymmetricKey, label: &[u8], bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let rest = bytes.strip_prefix(PRIVATE_MAGIC)?;
    let (nonce, sealed) = rest.split_at_checked(24)?;
    aead_open(key.expose_secret(), nonce.try_into().ok()?, sealed, label).map(Zeroizing::new)
}

// ---- the inbox folder ----

/// The folders of a store's inbox.
pub struct InboxDir {
    root: PathBuf,
}

impl InboxDir {
    pub fn of(store: &Path) -> Self {
        InboxDir {
            root: store.join(INBOX_DIR),
        }
    }

    fn ensure(&self, sub: Option<&str>) -> Result<PathBuf> {
        files::create_private_dir(&self.root)?;
        let dir = match sub {
            Some(s) => {
                let d = self.root.join(s);
                files::create_private_dir(&d)?;
                d
            }
            None => self.root.clone(),
        };
        Ok(dir)
    }

    /// Writes a new item (0600, atomic).
    pub fn put(&self, header: &ItemHeader, bytes: &[u8]) -> Result<()> {
        let dir = self.ensure(None)?;
        files::write_atomic(&dir.join(item_name(header.item_id)), bytes)
    }

    fn list_in(&self, dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_file() && path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
        // UUID v7 names sort by time: items are filed in the order they were written.
        out.sort();
        Ok(out)
    }

    /// Items waiting to be filed, oldest first.
    pub fn pending(&self) -> Result<Vec<PathBuf>> {
        self.list_in(&self.root, ITEM_EXT)
    }

    /// Items already filed (kept for their authors to read), oldest first.
    pub fn filed(&self) -> Result<Vec<PathBuf>> {
        self.list_in(&self.root.join(FILED_DIR), ITEM_EXT)
    }

    /// Items the team could not file, set aside untouched.
    pub fn rejected(&self) -> Result<Vec<PathBuf>> {
        self.list_in(&self.root.join(REJECTED_DIR), ITEM_EXT)
    }

    /// Reads an item: a regular file only (no link followed, no FIFO to hang on), named by the
    /// id its header holds, so one item cannot stand in for another.
    pub fn read(path: &Path) -> Result<SealedItem> {
        let bytes = files::read_chosen_file(path, MAX_ITEM_BYTES, "inbox item")?;
        let item = parse_item(&bytes)?;
        let named = path.file_name().and_then(|n| n.to_str());
        if named != Some(item_name(item.header.item_id).as_str()) {
            return Err(damaged("an inbox item's name is not its id"));
        }
        Ok(item)
    }

    /// The receipt beside a filed item, if there is one.
    pub fn receipt_of(item: &Path) -> Option<Vec<u8>> {
        files::read_chosen_file(&item.with_extension(RECEIPT_EXT), 4096, "receipt").ok()
    }

    /// Whether an item of this name has been filed (moved out of the waiting folder) already.
    pub fn is_filed(&self, item: &Path) -> bool {
        item.file_name()
            .is_some_and(|n| self.root.join(FILED_DIR).join(n).symlink_metadata().is_ok())
    }

    /// Moves a filed item out of the waiting folder, its receipt written first beside it.
    pub fn mark_filed(&self, item: &Path, receipt: &[u8]) -> Result<()> {
        let dir = self.ensure(Some(FILED_DIR))?;
        let name = item
            .file_name()
            .ok_or(damaged("an inbox item has no name"))?;
        let target = dir.join(name);
        if target.symlink_metadata().is_ok() {
            return Err(Error::AlreadyExists {
                what: "a filed inbox item of that name",
            });
        }
        files::write_atomic(&target.with_extension(RECEIPT_EXT), receipt)?;
        std::fs::rename(item, &target)?;
        files::sync_dir(&self.root)?;
        files::sync_dir(&dir)
    }

    /// Sets an item the team cannot file aside, unchanged, so it is neither lost nor retried
    /// (never over one set aside before under the same name).
    pub fn mark_rejected(&self, item: &Path) -> Result<()> {
        let dir = self.ensure(Some(REJECTED_DIR))?;
        let name = item
            .file_name()
            .ok_or(damaged("an inbox item has no name"))?
            .to_string_lossy()
            .into_owned();
        let mut target = dir.join(&name);
        let mut n = 1;
        while target.symlink_metadata().is_ok() {
            target = dir.join(format!("{name}.{n}"));
            n += 1;
        }
        std::fs::rename(item, &target)?;
        // Whoever put it there may have left it readable to others: it is the store's now.
        let _ = files::restrict_file(&target);
        files::sync_dir(&self.root)?;
        files::sync_dir(&dir)
    }

    /// Where a user's sealed draft of `form` lives.
    pub fn draft_path(&self, user: Uuid, form: &str) -> Result<PathBuf> {
        let dir = self.ensure(Some(DRAFTS_DIR))?.join(user.to_string());
        files::create_private_dir(&dir)?;
        let name = hex::encode(Sha256::digest(form.as_bytes()));
        Ok(dir.join(format!("{name}.draft")))
    }
}

fn item_name(id: Uuid) -> String {
    format!("{id}.{ITEM_EXT}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys() -> (StaticSecret, StaticSecret) {
        (
            StaticSecret::from(random::<32>().unwrap()),
            StaticSecret::from(random::<32>().unwrap()),
        )
    }

    fn attachment(text: &str) -> ItemBody {
        ItemBody::Attachment {
            concern_id: Uuid::now_v7(),
            file_name: "form.png".into(),
            media_type: "image/png".into(),
            bytes: text.into(),
        }
    }

    fn sealed(author: &StaticSecret, team: &StaticSecret, body: &ItemBody) -> Vec<u8> {
        seal_item(
            Uuid::nil(),
            Uuid::now_v7(),
            author,
            &PublicKey::from(team),
            Utc::now(),
            body,
        )
        .unwrap()
        .1
    }

    #[test]
    fn the_team_and_the_author_open_an_item_and_no_one_else() {
        let (author, team) = keys();
        let (other, _) = keys();
        let body = attachment("aGVsbG8=");
        let item = parse_item(&sealed(&author, &team, &body)).unwrap();
        assert_eq!(item.open_as_team(&team), Some(body.clone()));
        assert_eq!(item.open_as_author(&author), Some(body));
        assert_eq!(item.open_as_author(&other), None, "another member of staff");
        assert_eq!(item.open_as_team(&other), None, "another team key");
        assert_eq!(item.open_as_author(&team), None);
    }

    #[test]
    fn an_item_claiming_another_author_does_not_open_for_the_team() {
        // Mallory seals an item and names Alice as its author: the static term is Mallory's, so
        // the team's wrap does not open under Alice's public key.
        let (alice, team) = keys();
        let (mallory, _) = keys();
        let bytes = sealed(&mallory, &team, &attachment("eA=="));
        let mut item = parse_item(&bytes).unwrap();
        item.header.author_public = hex::encode(PublicKey::from(&alice).as_bytes());
        item.header_bytes = serde_json::to_vec(&item.header).unwrap();
        assert_eq!(item.open_as_team(&team), None);
    }

    #[test]
    fn any_changed_byte_is_refused() {
        // A changed byte of the header, the ephemeral key, the body or its nonce stops both
        // readers; one of a wrap stops that reader. Nobody ever reads a changed body.
        let (author, team) = keys();
        let body = attachment("aGVsbG8=");
        let bytes = sealed(&author, &team, &body);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            if let Ok(item) = parse_item(&b) {
                let t = item.open_as_team(&team);
                let a = item.open_as_author(&author);
                assert!(
                    t.is_none() || a.is_none(),
                    "byte {i} changed and both still open"
                );
                assert!(
                    t.is_none_or(|x| x == body) && a.is_none_or(|x| x == body),
                    "byte {i}"
                );
            }
        }
    }

    #[test]
    fn receipts_open_for_the_author_only() {
        let (author, team) = keys();
        let (other, _) = keys();
        let item = parse_item(&sealed(&author, &team, &attachment("eA=="))).unwrap();
        let receipt = Receipt {
            item_id: item.header.item_id,
            record_id: item.header.item_id,
            filed_at: "2026-12-01T10:00:00Z".into(),
            filed_by: "Ann DSL".into(),
        };
        let bytes = item.seal_receipt(&team, &receipt).unwrap();
        assert_eq!(item.open_receipt(&author, &bytes), Some(receipt));
        assert_eq!(item.open_receipt(&other, &bytes), None);
    }

    #[test]
    fn the_roster_opens_only_with_its_key_and_store() {
        let key = SymmetricKey::generate().unwrap();
        let roster = Roster {
            store_id: Uuid::now_v7(),
            written_at: "2026-12-01T10:00:00Z".into(),
            school_name: "Test".into(),
            idle_lock_minutes: 5,
            pupils: vec![],
        };
        let bytes = seal_roster(&key, &roster).unwrap();
        assert_eq!(open_roster(&key, roster.store_id, &bytes).unwrap(), roster);
        assert!(open_roster(&key, Uuid::now_v7(), &bytes).is_err());
        assert!(open_roster(&SymmetricKey::generate().unwrap(), roster.store_id, &bytes).is_err());
    }

    /// Writes real items as fuzz seeds: `SGD_FUZZ_SEEDS=fuzz/corpus/inbox_item cargo test
    /// write_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore]
    fn write_fuzz_seeds() {
        let dir = std::path::PathBuf::from(std::env::var_os("SGD_FUZZ_SEEDS").unwrap());
        let (author, team) = keys();
        for (i, body) in [attachment("aGVsbG8="), attachment("")].iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), sealed(&author, &team, body)).unwrap();
        }
    }

    proptest! {
        #[test]
        fn the_parser_refuses_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = parse_item(&bytes);
            let mut framed = ITEM_MAGIC.to_vec();
            framed.extend_from_slice(&bytes);
            let _ = parse_item(&framed);
        }
    }
}
