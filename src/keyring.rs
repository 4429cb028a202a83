//! The keyring: one key slot per user plus one recovery slot, in a small JSON file beside the
//! database, **signed** by the store's keyring authority.
//!
//! A slot is an X25519 key pair. Its secret half is wrapped with XChaCha20-Poly1305 under a key
//! derived by Argon2id from the user's passphrase (or the recovery key); the database's data key
//! is sealed to its public half (ephemeral X25519 + HKDF-SHA256 + XChaCha20-Poly1305). Sealing to
//! public keys is what lets a DSL remove a user and rekey the database without knowing the other
//! users' passphrases. Associated data binds every ciphertext to the format, the slot id and the
//! user id, so slots cannot be swapped between users.
//!
//! The authority is an Ed25519 key pair made with the store. Its public half is in the keyring
//! and, authoritatively, inside the encrypted database; its secret is sealed only to DSL slots and
//! the recovery slot. It signs everything in the keyring except each slot's passphrase wrapping
//! (so anyone can change their own passphrase without it): who the slots belong to, their
//! roles, their public keys, the sealed keys, the generation and the audit anchor. A slot planted,
//! swapped, duplicated or edited without the authority fails the signature; a whole keyring
//! re-signed by another authority fails the comparison with the database
//! ([`Keyring::check_against`]), and one older than the database fails the generation check.
//!
//! **Roles in the cryptography (format 3).** Only the safeguarding team's slots (DSL, deputy,
//! head) and the recovery slot have the data key sealed to them. A member of staff's slot has
//! only the roster key (to pick the child a concern is about); what staff record goes into the
//! inbox sealed to the team's inbox key, whose public half is signed here ([`crate::inbox`]).
//! Each passphrase wrapping is bound (associated data) to the store and its authority, so a
//! keyring forged whole under another authority does not open with anyone's passphrase; a
//! wrapping made before that binding opens once and is rewrapped with it at that unlock.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::files;
use crate::records::Role;
use crate::secret::{AuthorityKey, DataKey, Passphrase, RecoveryKey, SymmetricKey, random_fill};

pub const KEYRING_FILE: &str = "keyring.json";
/// Format 1 (unsigned, no roles) is read only to be migrated at the next unlock.
/// Signed, every slot holding the data key.
const FORMAT_SIGNED: u32 = 2;
/// Signed, the data key only on the team's slots; staff slots hold the roster key.
const FORMAT_TEAM: u32 = 3;
const NEWEST_FORMAT: u32 = FORMAT_TEAM;
const MAX_KEYRING_BYTES: u64 = 1 << 20;
const MAX_SLOTS: usize = 500;

/// Argon2id cost parameters, bounded below (guessing must cost memory and time) and above (a
/// keyring edited to t = 4e9 must not hang the unlock screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes: the floor the project set for a laptop holding CP files.
    pub const MINIMUM: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// 2 GiB, 16 passes, 16 lanes: far beyond anything this app writes; above it a slot is refused.
    pub const MAXIMUM: KdfParams = KdfParams {
        m_kib: 2 * 1024 * 1024,
        t: 16,
        p: 16,
    };
    /// RFC 9106's second recommended setting: 64 MiB, 3 passes, 4 lanes. The lanes are worked
    /// in parallel (on two cores an unlock takes about 85 ms instead of 130); a guess costs an
    /// attacker the same memory and work as with one lane.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// Whether a wrapping made with `self` should be made again with `to`: `to` differs and
    /// asks for at least as much of everything (memory, passes, lanes), so a rewrap never
    /// lowers what a guess costs.
    pub(crate) fn rewrap_to(self, to: KdfParams) -> bool {
        self != to && to.m_kib >= self.m_kib && to.t >= self.t && to.p >= self.p
    }

    fn check(&self) -> Result<()> {
        let low = self.m_kib < Self::MINIMUM.m_kib || self.t < Self::MINIMUM.t || self.p < 1;
        if low {
            return Err(Error::WeakKdfParameters);
        }
        if self.m_kib > Self::MAXIMUM.m_kib || self.t > Self::MAXIMUM.t || self.p > Self::MAXIMUM.p
        {
            return Err(Error::damaged(
                "a key slot asks for key-derivation work beyond the maximum",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    User,
    Recovery,
}

impl SlotKind {
    fn as_str(self) -> &'static str {
        match self {
            SlotKind::User => "user",
            SlotKind::Recovery => "recovery",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfRecord {
    algorithm: String,
    version: u32,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    /// Ephemeral X25519 public key (hex).
    ephemeral: String,
    nonce: String,
    ciphertext: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Slot {
    id: Uuid,
    kind: SlotKind,
    /// The user this slot belongs to (none for the recovery slot).
    user_id: Option<Uuid>,
    /// Shown on the unlock screen so a person can pick themselves; a staff name, not record content.
    user_name: Option<String>,
    /// The user's role, signed: only DSL slots are given the authority key.
    #[serde(default)]
    role: Option<Role>,
    // The passphrase wrapping: not signed (a user changes it alone). A wrap that does not open
    // to the signed public key is refused.
    kdf: KdfRecord,
    secret_nonce: String,
    secret_ciphertext: String,
    /// The wrapping is bound to the store and its authority. Unsigned, a hint only (for the DSL
    /// to see who needs a new passphrase): what is enforced is the associated data.
    #[serde(default)]
    bound: bool,
    // Signed from here on.
    public_key: String,
    /// The database key: on the team's slots and the recovery slot (every slot before format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_key: Option<Sealed>,
    /// The roster key: on staff slots only (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roster_key: Option<Sealed>,
    /// Present only while a rekey is in flight: the key the database had before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_data_key: Option<Sealed>,
    /// The authority's secret, on DSL and recovery slots only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority_key: Option<Sealed>,
}

/// The newest audit event a DSL session saw when it closed: a copy of the chain head outside
/// the database, so cutting the tail of the audit trail is noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub device_id: String,
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    format: u32,
    store_id: Uuid,
    #[serde(default)]
    generation: u64,
    #[serde(default)]
    authority_public: String,
    /// The team's inbox public key (X25519, hex), which staff seal what they record to (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team_public: Option<String>,
    slots: Vec<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    anchor: Option<Anchor>,
    #[serde(default)]
    signature: String,
}

/// The keyring of one store, as loaded from disk.
#[derive(Debug, Clone)]
pub struct Keyring {
    file: KeyringFile,
    /// Read from a format-1 file: unsigned, no roles. Migrated at the next unlock.
    legacy: bool,
}

/// What opening a slot yields.
pub struct Unlocked {
    pub slot_id: Uuid,
    pub user_id: Option<Uuid>,
    pub role: Option<Role>,
    /// The database key: none for a member of staff (format 3).
    pub data_key: Option<DataKey>,
    /// Staff slots only: the key the pupil roster is encrypted under.
    pub roster_key: Option<SymmetricKey>,
    /// The passphrase wrapping predates the binding to the store and authority: rewrap it.
    pub needs_rewrap: bool,
    /// Set while a rekey was interrupted: the database may still be under this key.
    pub previous_data_key: Option<DataKey>,
    /// DSL and recovery slots only.
    pub authority: Option<AuthorityKey>,
    /// The slot's own secret, kept so its owner can re-wrap it under a new passphrase.
    pub(crate) slot_secret: Zeroizing<[u8; 32]>,
    /// The key-derivation parameters the slot's passphrase wrapping was made with.
    pub(crate) kdf: KdfParams,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("slot_id", &self.slot_id)
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .finish()
    }
}

/// What the encrypted database says the keyring must agree with.
pub struct TrustedFacts<'a> {
    pub store_id: Uuid,
    /// The authority public key recorded in the database (none before migration).
    pub authority_public: Option<&'a str>,
    /// The newest keyring generation the database has recorded.
    pub generation: u64,
    /// The two newest keyring contents recorded (none before they were recorded).
    pub recorded: Option<RecordedContents>,
    /// Every user in the database: (id, name, role, removed).
    pub users: &'a [(Uuid, String, Role, bool)],
}

/// The keyring contents the database recorded (content digests).
pub struct RecordedContents {
    /// The newest keyring generation with contents recorded.
    pub newest_generation: u64,
    /// The newest keyring written to disk: (its generation then, its contents).
    pub written: Option<(u64, String)>,
    /// The contents of a newer keyring intended and not yet known to be written.
    pub intended: Option<String>,
}

/// The keys sealed to slots: each slot gets those its role may hold.
pub struct SlotKeys<'a> {
    pub data_key: &'a DataKey,
    /// Kept beside the data key while the database moves to it.
    pub previous: Option<&'a DataKey>,
    pub authority: &'a AuthorityKey,
    /// Format 3: sealed to staff slots instead of the data key.
    pub roster_key: Option<&'a SymmetricKey>,
    /// Users removed from the store: a slot of theirs still in the keyring (a removal cut short)
    /// is sealed nothing new; it goes with the rekey that finishes the removal.
    pub removed_users: &'a [Uuid],
}

fn tampered(detail: &'static str) -> Error {
    Error::KeyringTampered { detail }
}

impl Keyring {
    /// An empty keyring for a new store, under `authority`, with the team's inbox key.
    pub fn new(store_id: Uuid, authority: &AuthorityKey, team_public: &PublicKey) -> Self {
        Keyring {
            file: KeyringFile {
                format: FORMAT_TEAM,
                store_id,
                generation: 0,
                authority_public: hex::encode(authority.verifying_key().as_bytes()),
                team_public: Some(hex::encode(team_public.as_bytes())),
                slots: Vec::new(),
                anchor: None,
                signature: String::new(),
            },
            legacy: false,
        }
    }

    pub fn store_id(&self) -> Uuid {
        self.file.store_id
    }

    pub fn generation(&self) -> u64 {
        self.file.generation
    }

    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// Format 3: staff slots hold no data key and the team's inbox key is signed here.
    pub fn has_team_keys(&self) -> bool {
        self.file.format >= FORMAT_TEAM && self.file.team_public.is_some()
    }

    /// The team's inbox public key, signed (format 3).
    pub fn team_public(&self) -> Option<PublicKey> {
        let hex = self.file.team_public.as_deref()?;
        parse_public(hex).ok()
    }

    /// A user's slot public key (staff seal their own copy of an inbox item to it).
    pub fn user_public(&self, user_id: Uuid) -> Option<PublicKey> {
        let slot = self
            .file
            .slots
            .iter()
            .find(|s| s.user_id == Some(user_id))?;
        parse_public(&slot.public_key).ok()
    }

    /// Members of staff whose slot was wrapped before the binding: their passphrase opens
    /// nothing until the DSL sets them a new one.
    pub fn staff_needing_new_passphrase(&self) -> Vec<Uuid> {
        self.file
            .slots
            .iter()
            .filter(|s| s.role == Some(Role::Staff) && !s.bound)
            .filter_map(|s| s.user_id)
            .collect()
    }

    /// Every staff slot: (user id, public key), for the database's record of authors' keys.
    pub fn staff_publics(&self) -> Vec<(Uuid, String)> {
        self.file
            .slots
            .iter()
            .filter(|s| s.role == Some(Role::Staff))
            .filter_map(|s| Some((s.user_id?, s.public_key.clone())))
            .collect()
    }

    pub fn authority_public(&self) -> &str {
        &self.file.authority_public
    }

    pub fn anchor(&self) -> Option<&Anchor> {
        self.file.anchor.as_ref()
    }

    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(KEYRING_FILE);
        let bytes = match files::read_bounded(&path, MAX_KEYRING_BYTES) {
            Ok(b) => b,
            Err(Error::NotFound { .. }) => return Err(Error::NoStore),
            Err(Error::TooLarge { .. }) => {
                return Err(Error::damaged("the keyring file is far too large"));
            }
            Err(e) => return Err(e),
        };
        Self::parse(&bytes)
    }

    /// Parses and checks a keyring file's bytes: its shape, bounds and (format 2) signature.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let file: KeyringFile = serde_json::from_slice(bytes)
            .map_err(|_| Error::damaged("the keyring file cannot be parsed"))?;
        if file.format > NEWEST_FORMAT {
            return Err(Error::NewerStore {
                found: file.format as i64,
                known: NEWEST_FORMAT as i64,
            });
        }
        let legacy = match file.format {
            1 => true,
            FORMAT_SIGNED | FORMAT_TEAM => false,
            _ => return Err(Error::damaged("the keyring file has an unknown format")),
        };
        let kr = Keyring { file, legacy };
        kr.check_shape()?;
        if !legacy {
            kr.check_signature()?;
        }
        Ok(kr)
    }

    /// Structure every keyring must have, signed or not: exactly one recovery slot, each user
    /// slot named and bound to a user, no slot id or user twice, roles on format 2.
    fn check_shape(&self) -> Result<()> {
        let slots = &self.file.slots;
        if slots.len() > MAX_SLOTS {
            return Err(Error::damaged("the keyring holds far too many slots"));
        }
        if slots
            .iter()
            .filter(|s| s.kind == SlotKind::Recovery)
            .count()
            != 1
        {
            return Err(tampered("the keyring must hold exactly one recovery slot"));
        }
        let mut ids = std::collections::HashSet::new();
        let mut users = std::collections::HashSet::new();
        for s in slots {
            if !ids.insert(s.id) {
                return Err(tampered("two key slots share an id"));
            }
            match s.kind {
                SlotKind::User => {
                    let (Some(uid), Some(_name)) = (s.user_id, s.user_name.as_ref()) else {
                        return Err(tampered("a user key slot names no user"));
                    };
                    if !users.insert(uid) {
                        return Err(tampered("two key slots belong to the same user"));
                    }
                    if !self.legacy && s.role.is_none() {
                        return Err(tampered("a user key slot has no role"));
                    }
                }
                SlotKind::Recovery => {
                    if s.user_id.is_some() || s.user_name.is_some() || s.role.is_some() {
                        return Err(tampered("the recovery slot is bound to a user"));
                    }
                }
            }
            let holds_authority = s.authority_key.is_some();
            let may_hold = s.kind == SlotKind::Recovery || s.role == Some(Role::Dsl);
            if holds_authority && !may_hold {
                return Err(tampered(
                    "a slot that is not a DSL's holds the authority key",
                ));
            }
            let staff = s.role == Some(Role::Staff);
            let team_format = self.file.format >= FORMAT_TEAM;
            // Format 3 before its team keys exist (the database has just moved to a key staff
            // never held): staff slots hold nothing yet, and staff are told to wait.
            let roster_expected = team_format && self.file.team_public.is_some();
            if team_format && staff && s.data_key.is_some() {
                return Err(tampered("a member of staff's slot holds the database key"));
            }
            if staff && roster_expected && s.roster_key.is_none() {
                return Err(tampered("a member of staff's slot has no roster key"));
            }
            if staff && !roster_expected && s.roster_key.is_some() {
                return Err(tampered(
                    "a member of staff's slot holds a roster key too early",
                ));
            }
            if (!team_format || !staff) && s.data_key.is_none() {
                return Err(tampered("a key slot holds no database key"));
            }
            if (!team_format || !staff) && s.roster_key.is_some() {
                return Err(tampered("a slot that is not staff's holds the roster key"));
            }
        }
        match (&self.file.team_public, self.file.format >= FORMAT_TEAM) {
            (Some(team), true) => {
                parse_public(team)?;
            }
            (Some(_), false) => return Err(tampered("an older keyring names a team inbox key")),
            (None, _) => {}
        }
        Ok(())
    }

    fn verifying_key(&self) -> Result<VerifyingKey> {
        let bytes = unhex::<32>(&self.file.authority_public)
            .map_err(|_| tampered("the keyring's authority key is malformed"))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| tampered("the keyring's authority key is malformed"))
    }

    fn check_signature(&self) -> Result<()> {
        let key = self.verifying_key()?;
        let sig = unhex::<64>(&self.file.signature)
            .map_err(|_| tampered("the keyring's signature is missing or malformed"))?;
        key.verify_strict(&signed_bytes(&self.file), &Signature::from_bytes(&sig))
            .map_err(|_| tampered("the keyring's signature does not match its contents"))
    }

    /// Checks the keyring against what the encrypted database records: the same store, the same
    /// authority, a generation no older than the database's, and a slot only for a user who
    /// exists with that name and role. Called at every unlock, before anything is resealed.
    pub fn check_against(&self, facts: &TrustedFacts<'_>) -> Result<()> {
        if self.file.store_id != facts.store_id {
            return Err(tampered("the keyring belongs to another store"));
        }
        match (facts.authority_public, self.legacy) {
            (Some(db), false) if db != self.file.authority_public => {
                return Err(tampered(
                    "the keyring is signed by an authority this store does not know",
                ));
            }
            (Some(_), true) => {
                return Err(tampered("an unsigned keyring replaced a signed one"));
            }
            // A migration from the unsigned format records the signed keyring as intended,
            // writes it, then records its authority: cut short after the file, that one keyring
            // (and no other) is let through, for the DSL's or the recovery key's next unlock to
            // adopt.
            (None, false) => {
                let intended = facts.recorded.as_ref().and_then(|r| r.intended.as_deref());
                if intended != Some(self.content_digest().as_str()) {
                    return Err(tampered(
                        "the database records no authority for a signed keyring",
                    ));
                }
            }
            _ => {}
        }
        self.check_recorded(facts)?;
        for s in self.file.slots.iter().filter(|s| s.kind == SlotKind::User) {
            let user = facts
                .users
                .iter()
                .find(|u| Some(u.0) == s.user_id)
                .ok_or(tampered("a key slot belongs to no user of this store"))?;
            if s.user_name.as_deref() != Some(user.1.as_str()) {
                return Err(tampered("a key slot's name differs from its user's"));
            }
            if !self.legacy && s.role != Some(user.2) {
                return Err(tampered("a key slot's role differs from its user's"));
            }
        }
        Ok(())
    }

    /// The keyring must hold what the database last recorded as written, or what it recorded
    /// as intended after that (a crash between recording a change and writing its file). Only
    /// contents are compared: closing a session re-signs the keyring with a newer anchor and
    /// generation, its contents unchanged. Before contents were recorded: no older than the
    /// newest generation.
    fn check_recorded(&self, facts: &TrustedFacts<'_>) -> Result<()> {
        let generation = self.file.generation;
        if self.legacy && facts.authority_public.is_none() {
            // Unsigned, before any migration finished (one cut short may have recorded its
            // intent): there is nothing it could have been recorded as.
            return Ok(());
        }
        let Some(recorded) = &facts.recorded else {
            return match generation < facts.generation {
                true => Err(tampered("the keyring is older than the database")),
                false => Ok(()),
            };
        };
        let digest = self.content_digest();
        let is_written = recorded
            .written
            .as_ref()
            .is_some_and(|(g, d)| *d == digest && generation >= *g);
        if is_written || recorded.intended.as_deref() == Some(digest.as_str()) {
            return Ok(());
        }
        Err(match generation < recorded.newest_generation {
            true => tampered("the keyring is older than the database"),
            false => tampered("the keyring holds slots this store never recorded"),
        })
    }

    /// Signs the keyring under `authority` as a new generation (in memory).
    pub fn sign(&mut self, authority: &AuthorityKey) {
        self.file.authority_public = hex::encode(authority.verifying_key().as_bytes());
        // A format-1 keyring becomes signed; format 3 is reached only by `use_team_keys`.
        self.file.format = self.file.format.max(FORMAT_SIGNED);
        self.legacy = false;
        // Saturating: a generation at the limit (only a signer can write one) stays there.
        self.file.generation = self.file.generation.saturating_add(1);
        let sig = authority.sign(&signed_bytes(&self.file));
        self.file.signature = hex::encode(sig);
    }

    /// Writes a signed keyring atomically (its signature is checked first).
    pub fn save_signed(&self, dir: &Path) -> Result<()> {
        self.check_signature()?;
        self.write(dir)
    }

    /// Signs as a new generation and writes atomically.
    pub fn sign_and_save(&mut self, dir: &Path, authority: &AuthorityKey) -> Result<()> {
        self.sign(authority);
        self.save_signed(dir)
    }

    /// Writes the keyring when only a passphrase wrapping changed (the signature still holds).
    pub fn save_rewrapped(&self, dir: &Path) -> Result<()> {
        if self.legacy {
            return Err(Error::Internal {
                detail: "an unsigned keyring is migrated, not rewritten".into(),
            });
        }
        self.check_signature()?;
        self.write(dir)
    }

    /// Never writes a keyring that would not load again: its shape is checked as `parse` does.
    fn write(&self, dir: &Path) -> Result<()> {
        self.check_shape()?;
        files::write_atomic(&dir.join(KEYRING_FILE), &self.to_bytes()?)
    }

    /// The raw bytes as they would be written (backups carry them).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(&self.file).map_err(|_| Error::Internal {
            detail: "keyring encoding".into(),
        })
    }

    /// The users who have a slot, for an unlock screen: (user id, name).
    pub fn users(&self) -> Vec<(Uuid, String)> {
        self.file
            .slots
            .iter()
            .filter(|s| s.kind == SlotKind::User)
            .filter_map(|s| Some((s.user_id?, s.user_name.clone()?)))
            .collect()
    }

    pub fn has_user(&self, user_id: Uuid) -> bool {
        self.file.slots.iter().any(|s| s.user_id == Some(user_id))
    }

    /// Adds (or replaces) the slot of a user: the data key sealed to a team member's (and the
    /// authority to a DSL's), the roster key to a member of staff's (format 3).
    pub fn set_user_slot(
        &mut self,
        user_id: Uuid,
        user_name: &str,
        role: Role,
        passphrase: &Passphrase,
        keys: &SlotKeys<'_>,
        params: KdfParams,
    ) -> Result<()> {
        self.remove_user_slot(user_id);
        let mut slot = new_slot(
            SlotKind::User,
            Some(user_id),
            Some(user_name.to_owned()),
            Some(role),
            passphrase.expose_secret().as_bytes(),
            &self.binding(),
            params,
        )?;
        self.seal_to(&mut slot, keys)?;
        self.file.slots.push(slot);
        Ok(())
    }

    /// Re-wraps a slot's own secret (found by its public key) under a passphrase: a new one, or
    /// the same one to bind an older wrapping to the store. Nothing signed changes.
    pub fn rewrap_slot(
        &mut self,
        slot_secret: &[u8; 32],
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<()> {
        let binding = self.binding();
        let public = hex::encode(PublicKey::from(&StaticSecret::from(*slot_secret)).as_bytes());
        let slot = self
            .file
            .slots
            .iter_mut()
            .find(|s| s.public_key == public)
            .ok_or(Error::NotFound { what: "key slot" })?;
        let (kdf, nonce, ct) = wrap(
            passphrase,
            slot_secret,
            slot.id,
            slot.user_id,
            &binding,
            params,
        )?;
        slot.kdf = kdf;
        slot.secret_nonce = nonce;
        slot.secret_ciphertext = ct;
        slot.bound = true;
        Ok(())
    }

    /// Adds the recovery slot (replacing any existing one).
    pub fn set_recovery_slot(
        &mut self,
        key: &RecoveryKey,
        keys: &SlotKeys<'_>,
        params: KdfParams,
    ) -> Result<()> {
        self.file.slots.retain(|s| s.kind != SlotKind::Recovery);
        let mut slot = new_slot(
            SlotKind::Recovery,
            None,
            None,
            None,
            key.expose_normalised().as_bytes(),
            &self.binding(),
            params,
        )?;
        self.seal_to(&mut slot, keys)?;
        self.file.slots.push(slot);
        Ok(())
    }

    pub fn remove_user_slot(&mut self, user_id: Uuid) -> bool {
        let before = self.file.slots.len();
        self.file.slots.retain(|s| s.user_id != Some(user_id));
        before != self.file.slots.len()
    }

    /// Opens a user's slot. With no name, tries every user slot (the CLI acts as whoever the
    /// passphrase opens; every slot tried is signed, so none can be planted).
    pub fn unlock_user(
        &self,
        user_name: Option<&str>,
        passphrase: &Passphrase,
    ) -> Result<Unlocked> {
        let candidates: Vec<&Slot> = self
            .file
            .slots
            .iter()
            .filter(|s| s.kind == SlotKind::User)
            .filter(|s| match user_name {
                Some(n) => s
                    .user_name
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(n.trim())),
                None => true,
            })
            .collect();
        let binding = self.binding();
        for slot in candidates {
            match open_slot(slot, passphrase.expose_secret().as_bytes(), &binding) {
                Ok(u) => return Ok(u),
                Err(Error::WrongPassphrase) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::WrongPassphrase)
    }

    pub fn unlock_recovery(&self, key: &RecoveryKey) -> Result<Unlocked> {
        let slot = self
            .file
            .slots
            .iter()
            .find(|s| s.kind == SlotKind::Recovery)
            .ok_or(tampered("the keyring has no recovery slot"))?;
        open_slot(slot, key.expose_normalised().as_bytes(), &self.binding())
    }

    /// Seals the keys to every slot again: the data key (with `previous` beside it while the
    /// database moves) to the team's and the recovery slot, the authority to the DSL's and the
    /// recovery slot, the roster key to staff's (format 3).
    pub fn reseal_all(&mut self, keys: &SlotKeys<'_>) -> Result<()> {
        let mut slots = std::mem::take(&mut self.file.slots);
        let result = slots
            .iter_mut()
            .filter(|slot| {
                !slot
                    .user_id
                    .is_some_and(|u| keys.removed_users.contains(&u))
            })
            .try_for_each(|slot| self.seal_to(slot, keys));
        self.file.slots = slots;
        result
    }

    /// Seals to one slot what its role may hold, and nothing else.
    fn seal_to(&self, slot: &mut Slot, keys: &SlotKeys<'_>) -> Result<()> {
        let public = parse_public(&slot.public_key)?;
        let seal_key = |key: &[u8; 32], label| seal(&public, key, label, slot.id, slot.user_id);
        let staff_holds_no_data_key =
            self.file.format >= FORMAT_TEAM && slot.role == Some(Role::Staff);
        if staff_holds_no_data_key {
            slot.roster_key = match (&self.file.team_public, keys.roster_key) {
                (None, _) => None,
                (Some(_), Some(roster)) => Some(seal_key(roster.expose_secret(), Label::Roster)?),
                (Some(_), None) => {
                    return Err(Error::Internal {
                        detail: "a staff slot sealed without the roster key".into(),
                    });
                }
            };
            slot.data_key = None;
            slot.previous_data_key = None;
        } else {
            slot.roster_key = None;
            slot.data_key = Some(seal_key(keys.data_key.expose_secret(), Label::DataKey)?);
            slot.previous_data_key = match keys.previous {
                Some(p) => Some(seal_key(p.expose_secret(), Label::DataKey)?),
                None => None,
            };
        }
        let holds = slot.kind == SlotKind::Recovery || slot.role == Some(Role::Dsl);
        slot.authority_key = match holds {
            true => Some(seal_key(&keys.authority.to_bytes(), Label::Authority)?),
            false => None,
        };
        Ok(())
    }

    /// Moves to format 3 with no team keys yet: the caller's next `reseal_all` seals staff
    /// slots nothing, while the database moves to a key they never held.
    pub fn exclude_staff(&mut self) {
        self.file.format = FORMAT_TEAM;
    }

    /// Names the team's (new) inbox key; the next `reseal_all` seals the roster key to staff.
    pub fn use_team_keys(&mut self, team_public: &PublicKey) {
        self.file.format = FORMAT_TEAM;
        self.file.team_public = Some(hex::encode(team_public.as_bytes()));
    }

    /// Whether any member of staff's slot still holds the database key (formats 1 and 2).
    pub fn staff_hold_the_data_key(&self) -> bool {
        self.file
            .slots
            .iter()
            .any(|s| s.role == Some(Role::Staff) && s.data_key.is_some())
    }

    /// What passphrase wrappings are bound to: this store and its authority.
    fn binding(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(96);
        b.extend_from_slice(b"bound-to");
        b.extend_from_slice(self.file.store_id.as_bytes());
        b.extend_from_slice(self.file.authority_public.as_bytes());
        b
    }

    /// Turns a format-1 keyring into a signed one: roles from the database, a new authority
    /// sealed to the DSL and recovery slots. The caller records the authority in the database.
    pub fn migrate(
        &mut self,
        users: &[(Uuid, String, Role, bool)],
        data_key: &DataKey,
        previous: Option<&DataKey>,
        authority: &AuthorityKey,
    ) -> Result<()> {
        if !self.legacy {
            return Err(internal("migration of a signed keyring"));
        }
        self.file.authority_public = hex::encode(authority.verifying_key().as_bytes());
        for slot in &mut self.file.slots {
            if slot.kind == SlotKind::User {
                let user = users
                    .iter()
                    .find(|u| Some(u.0) == slot.user_id)
                    .ok_or(tampered("a key slot belongs to no user of this store"))?;
                slot.role = Some(user.2);
            }
        }
        self.reseal_all(&SlotKeys {
            data_key,
            previous,
            authority,
            roster_key: None,
            removed_users: &[],
        })
    }

    pub fn rekey_in_flight(&self) -> bool {
        self.file
            .slots
            .iter()
            .any(|s| s.previous_data_key.is_some())
    }

    pub fn set_anchor(&mut self, anchor: Anchor) {
        self.file.anchor = Some(anchor);
    }

    /// SHA-256 of what the keyring holds — everything signed except the generation number and
    /// the audit anchor, which change at every session's close: recorded in the database before
    /// each keyring change is written.
    pub fn content_digest(&self) -> String {
        let mut f = self.file.clone();
        f.generation = 0;
        f.anchor = None;
        let mut h = Sha256::new();
        h.update(b"safeguard-desk/keyring-content/v1");
        h.update(signed_bytes(&f));
        hex::encode(h.finalize())
    }

    /// SHA-256 of the signed content: what the database records for each generation.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(signed_bytes(&self.file)))
    }
}

/// The canonical, length-prefixed encoding that is signed. Excludes each slot's passphrase
/// wrapping and the signature itself.
fn signed_bytes(f: &KeyringFile) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(4096));
    let team = f.format >= FORMAT_TEAM;
    e.put(match team {
        true => b"safeguard-desk/keyring/v3",
        false => b"safeguard-desk/keyring/v2",
    });
    e.put(&f.format.to_be_bytes());
    e.put(f.store_id.as_bytes());
    e.put(&f.generation.to_be_bytes());
    e.put(f.authority_public.as_bytes());
    if team {
        e.opt(f.team_public.as_deref().map(str::as_bytes));
    }
    match &f.anchor {
        Some(a) => {
            e.put(b"anchor");
            e.put(a.device_id.as_bytes());
            e.put(&a.seq.to_be_bytes());
            e.put(a.hash.as_bytes());
        }
        None => e.put(b"no-anchor"),
    }
    e.put(&(f.slots.len() as u64).to_be_bytes());
    for s in &f.slots {
        e.put(s.id.as_bytes());
        e.put(s.kind.as_str().as_bytes());
        e.opt(s.user_id.as_ref().map(|u| u.as_bytes().as_slice()));
        e.opt(s.user_name.as_deref().map(str::as_bytes));
        e.opt(s.role.map(|r| r.as_str().as_bytes()));
        e.put(s.public_key.as_bytes());
        // Format 2 always had a data key here, so its signed bytes are unchanged.
        e.sealed(s.data_key.as_ref());
        e.sealed(s.previous_data_key.as_ref());
        e.sealed(s.authority_key.as_ref());
        if team {
            e.sealed(s.roster_key.as_ref());
        }
    }
    e.0
}

struct Enc(Vec<u8>);

impl Enc {
    fn put(&mut self, bytes: &[u8]) {
        self.0
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.0.extend_from_slice(bytes);
    }
    fn opt(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => {
                self.0.push(1);
                self.put(b);
            }
            None => self.0.push(0),
        }
    }
    fn sealed(&mut self, s: Option<&Sealed>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.put(s.ephemeral.as_bytes());
                self.put(s.nonce.as_bytes());
                self.put(s.ciphertext.as_bytes());
            }
            None => self.0.push(0),
        }
    }
}

#[derive(Clone, Copy)]
enum Label {
    Secret,
    DataKey,
    Authority,
    Roster,
}

fn ad(label: Label, slot_id: Uuid, user_id: Option<Uuid>) -> Vec<u8> {
    let label = match label {
        Label::Secret => "secret",
        Label::DataKey => "data-key",
        Label::Authority => "authority-key",
        Label::Roster => "roster-key",
    };
    let mut v = Vec::with_capacity(80);
    v.extend_from_slice(b"safeguard-desk/keyring/");
    v.extend_from_slice(label.as_bytes());
    // Format 1 is kept in the associated data: slots wrapped then still open, and every seal is
    // bound to the slot and its user, which is what matters.
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(slot_id.as_bytes());
    v.extend_from_slice(user_id.unwrap_or(Uuid::nil()).as_bytes());
    v
}

fn derive_kek(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    params.check()?;
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| Error::damaged("a key slot has invalid key-derivation parameters"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(secret, salt, out.as_mut())
        .map_err(|_| Error::Internal {
            detail: "key derivation failed".into(),
        })?;
    Ok(out)
}

fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut a = [0u8; N];
    random_fill(&mut a)?;
    Ok(a)
}

/// Wraps a slot secret under a passphrase: (kdf record, nonce hex, ciphertext hex).
fn wrap(
    passphrase: &[u8],
    slot_secret: &[u8; 32],
    slot_id: Uuid,
    user_id: Option<Uuid>,
    binding: &[u8],
    params: KdfParams,
) -> Result<(KdfRecord, String, String)> {
    let salt: [u8; 16] = random_array()?;
    let kek = derive_kek(passphrase, &salt, params)?;
    let nonce: [u8; 24] = random_array()?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(kek.as_ref()).map_err(|_| internal("cipher key"))?;
    let ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: slot_secret,
                aad: &bound_ad(slot_id, user_id, binding),
            },
        )
        .map_err(|_| internal("wrap"))?;
    Ok((
        KdfRecord {
            algorithm: "argon2id".into(),
            version: 0x13,
            params,
            salt: hex::encode(salt),
        },
        hex::encode(nonce),
        hex::encode(ct),
    ))
}

/// A slot with a fresh key pair wrapped under `secret`; nothing sealed to it yet.
fn new_slot(
    kind: SlotKind,
    user_id: Option<Uuid>,
    user_name: Option<String>,
    role: Option<Role>,
    secret: &[u8],
    binding: &[u8],
    params: KdfParams,
) -> Result<Slot> {
    params.check()?;
    let id = Uuid::now_v7();
    let slot_secret = Zeroizing::new(random_array::<32>()?);
    let public = PublicKey::from(&StaticSecret::from(*slot_secret));
    let (kdf, secret_nonce, secret_ciphertext) =
        wrap(secret, &slot_secret, id, user_id, binding, params)?;
    Ok(Slot {
        id,
        kind,
        user_id,
        user_name,
        role,
        kdf,
        secret_nonce,
        secret_ciphertext,
        bound: true,
        public_key: hex::encode(public.as_bytes()),
        data_key: None,
        roster_key: None,
        previous_data_key: None,
        authority_key: None,
    })
}

/// The associated data of a passphrase wrapping: the slot, its user, and the store and
/// authority it belongs to.
fn bound_ad(slot_id: Uuid, user_id: Option<Uuid>, binding: &[u8]) -> Vec<u8> {
    let mut v = ad(Label::Secret, slot_id, user_id);
    v.extend_from_slice(binding);
    v
}

fn internal(what: &str) -> Error {
    Error::Internal {
        detail: format!("keyring {what}"),
    }
}

fn unhex<const N: usize>(s: &str) -> Result<[u8; N]> {
    let v = hex::decode(s).map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    v.try_into()
        .map_err(|_| Error::damaged("a key slot field has the wrong length"))
}

fn parse_public(s: &str) -> Result<PublicKey> {
    Ok(PublicKey::from(unhex::<32>(s)?))
}

fn hkdf_key(
    shared: &[u8],
    ephemeral: &PublicKey,
    recipient: &PublicKey,
) -> Result<Zeroizing<[u8; 32]>> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral.as_bytes());
    salt[32..].copy_from_slice(recipient.as_bytes());
    let hk = hkdf::Hkdf::<Sha256>::new(Some(&salt), shared);
    let mut okm = Zeroizing::new([0u8; 32]);
    hk.expand(b"safeguard-desk/keyring/seal/v1", okm.as_mut())
        .map_err(|_| internal("hkdf"))?;
    Ok(okm)
}

fn seal(
    recipient: &PublicKey,
    key: &[u8; 32],
    label: Label,
    slot_id: Uuid,
    user_id: Option<Uuid>,
) -> Result<Sealed> {
    let eph = StaticSecret::from(random_array::<32>()?);
    let eph_pub = PublicKey::from(&eph);
    let shared = eph.diffie_hellman(recipient);
    let k = hkdf_key(shared.as_bytes(), &eph_pub, recipient)?;
    let nonce: [u8; 24] = random_array()?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(k.as_ref()).map_err(|_| internal("cipher key"))?;
    let ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: key,
                aad: &ad(label, slot_id, user_id),
            },
        )
        .map_err(|_| internal("seal"))?;
    Ok(Sealed {
        ephemeral: hex::encode(eph_pub.as_bytes()),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
    })
}

fn unseal(
    sealed: &Sealed,
    secret: &StaticSecret,
    label: Label,
    slot_id: Uuid,
    user_id: Option<Uuid>,
) -> Result<Zeroizing<[u8; 32]>> {
    let eph = parse_public(&sealed.ephemeral)?;
    let recipient = PublicKey::from(secret);
    let shared = secret.diffie_hellman(&eph);
    let k = hkdf_key(shared.as_bytes(), &eph, &recipient)?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(k.as_ref()).map_err(|_| internal("cipher key"))?;
    let ct = hex::decode(&sealed.ciphertext)
        .map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    let pt = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(unhex::<24>(&sealed.nonce)?),
                Payload {
                    msg: &ct,
                    aad: &ad(label, slot_id, user_id),
                },
            )
            // The slot's own secret opened, so a failure here is damage, not a wrong passphrase.
            .map_err(|_| Error::damaged("a key slot's sealed key fails authentication"))?,
    );
    let arr: [u8; 32] = pt
        .as_slice()
        .try_into()
        .map_err(|_| Error::damaged("a key slot holds a key of the wrong length"))?;
    Ok(Zeroizing::new(arr))
}

fn open_slot(slot: &Slot, secret: &[u8], binding: &[u8]) -> Result<Unlocked> {
    if slot.kdf.algorithm != "argon2id" || slot.kdf.version != 0x13 {
        return Err(Error::damaged(
            "a key slot uses an unknown key-derivation algorithm",
        ));
    }
    slot.kdf.params.check()?;
    let salt = hex::decode(&slot.kdf.salt)
        .map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    if salt.len() < 16 || salt.len() > 64 {
        return Err(Error::damaged("a key slot's salt has the wrong length"));
    }
    let kek = derive_kek(secret, &salt, slot.kdf.params)?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(kek.as_ref()).map_err(|_| internal("cipher key"))?;
    let ct = hex::decode(&slot.secret_ciphertext)
        .map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    let nonce = XNonce::from(unhex::<24>(&slot.secret_nonce)?);
    let open_with = |aad: &[u8]| cipher.decrypt(&nonce, Payload { msg: &ct, aad });
    // Bound to this store and authority; or, made before the binding, bound to the slot only
    // (trusted on this first use and rewrapped with the binding by the caller).
    let (pt, needs_rewrap) = match open_with(&bound_ad(slot.id, slot.user_id, binding)) {
        Ok(pt) => (pt, false),
        Err(_) => (
            open_with(&ad(Label::Secret, slot.id, slot.user_id))
                .map_err(|_| Error::WrongPassphrase)?,
            true,
        ),
    };
    let pt = Zeroizing::new(pt);
    let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
        pt.as_slice()
            .try_into()
            .map_err(|_| Error::damaged("a key slot secret has the wrong length"))?,
    );
    let slot_secret = StaticSecret::from(*arr);
    if PublicKey::from(&slot_secret).as_bytes() != &unhex::<32>(&slot.public_key)? {
        return Err(Error::damaged(
            "a key slot's public key does not match its secret",
        ));
    }
    let open = |s: &Sealed, label| unseal(s, &slot_secret, label, slot.id, slot.user_id);
    let data_key = match &slot.data_key {
        Some(d) => Some(DataKey::from_bytes(open(d, Label::DataKey)?.as_ref())?),
        None => None,
    };
    let roster_key = match &slot.roster_key {
        Some(r) => Some(SymmetricKey::from_bytes(&*open(r, Label::Roster)?)),
        None => None,
    };
    let previous_data_key = match &slot.previous_data_key {
        Some(p) => Some(DataKey::from_bytes(open(p, Label::DataKey)?.as_ref())?),
        None => None,
    };
    let authority = match &slot.authority_key {
        Some(a) => Some(AuthorityKey::from_bytes(&*open(a, Label::Authority)?)),
        None => None,
    };
    Ok(Unlocked {
        slot_id: slot.id,
        user_id: slot.user_id,
        role: slot.role,
        data_key,
        roster_key,
        needs_rewrap,
        previous_data_key,
        authority,
        slot_secret: arr,
        kdf: slot.kdf.params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rewrap at unlock only ever raises what a guess costs: never fewer lanes, passes or
    /// memory than the slot had, and never to the same parameters.
    #[test]
    fn a_wrapping_is_made_again_only_with_at_least_its_own_work() {
        let one_lane = KdfParams::MINIMUM;
        assert!(one_lane.rewrap_to(KdfParams::DEFAULT));
        assert!(!KdfParams::DEFAULT.rewrap_to(one_lane));
        assert!(!KdfParams::DEFAULT.rewrap_to(KdfParams::DEFAULT));
        let more_memory_fewer_lanes = KdfParams {
            m_kib: 128 * 1024,
            ..one_lane
        };
        assert!(!more_memory_fewer_lanes.rewrap_to(KdfParams::DEFAULT));
        for m in [64 * 1024, 128 * 1024] {
            for t in [3, 4] {
                for p in [1, 4, 8] {
                    let from = KdfParams { m_kib: m, t, p };
                    for to in [KdfParams::MINIMUM, KdfParams::DEFAULT] {
                        if from.rewrap_to(to) {
                            assert!(to.m_kib >= m && to.t >= t && to.p >= p && to != from);
                        }
                    }
                }
            }
        }
    }
    use proptest::prelude::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    fn team_public() -> PublicKey {
        PublicKey::from(&StaticSecret::from(random_array::<32>().unwrap()))
    }

    fn roster() -> &'static SymmetricKey {
        static KEY: std::sync::OnceLock<SymmetricKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| SymmetricKey::generate().unwrap())
    }

    fn keys<'a>(dk: &'a DataKey, authority: &'a AuthorityKey) -> SlotKeys<'a> {
        SlotKeys {
            data_key: dk,
            previous: None,
            authority,
            roster_key: Some(roster()),
            removed_users: &[],
        }
    }

    fn signed_keyring(
        dk: &DataKey,
        authority: &AuthorityKey,
        users: &[(&str, Role, &str)],
    ) -> (Keyring, Vec<Uuid>) {
        let mut kr = Keyring::new(Uuid::now_v7(), authority, &team_public());
        let mut ids = vec![];
        let k = keys(dk, authority);
        for (name, role, p) in users {
            let id = Uuid::now_v7();
            kr.set_user_slot(id, name, *role, &pass(p), &k, KdfParams::DEFAULT)
                .unwrap();
            ids.push(id);
        }
        kr.set_recovery_slot(&RecoveryKey::generate().unwrap(), &k, KdfParams::DEFAULT)
            .unwrap();
        (kr, ids)
    }

    #[test]
    fn a_removed_users_slot_is_sealed_nothing_new_and_the_content_digest_ignores_the_anchor() {
        let old = DataKey::generate().unwrap();
        let new = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (mut kr, ids) = signed_keyring(
            &old,
            &auth,
            &[
                ("A", Role::Dsl, "passphrase A"),
                ("B", Role::Deputy, "passphrase B"),
            ],
        );
        let slot_of_b = |kr: &Keyring| {
            let f = kr
                .file
                .slots
                .iter()
                .find(|s| s.user_id == Some(ids[1]))
                .unwrap();
            serde_json::to_string(f).unwrap()
        };
        let before = slot_of_b(&kr);
        let digest = kr.content_digest();
        kr.reseal_all(&SlotKeys {
            removed_users: &[ids[1]],
            ..keys(&new, &auth)
        })
        .unwrap();
        assert_eq!(
            slot_of_b(&kr),
            before,
            "the removed user's slot is left as it was"
        );
        let b = kr.unlock_user(Some("B"), &pass("passphrase B")).unwrap();
        assert_eq!(b.data_key.unwrap().expose_secret(), old.expose_secret());
        let a = kr.unlock_user(Some("A"), &pass("passphrase A")).unwrap();
        assert_eq!(a.data_key.unwrap().expose_secret(), new.expose_secret());
        assert_ne!(kr.content_digest(), digest, "a reseal changes the contents");
        // Closing a session re-signs with a new anchor and generation: the contents are the same.
        let digest = kr.content_digest();
        kr.set_anchor(Anchor {
            device_id: "d".into(),
            seq: 7,
            hash: "h".into(),
        });
        kr.sign(&auth);
        assert_eq!(kr.content_digest(), digest);
    }

    fn resigned(kr: &mut Keyring, authority: &AuthorityKey) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        kr.sign_and_save(dir.path(), authority).unwrap();
        std::fs::read(dir.path().join(KEYRING_FILE)).unwrap()
    }

    #[test]
    fn a_slot_opens_with_its_passphrase_and_no_other() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (kr, ids) = signed_keyring(&dk, &auth, &[("Ada", Role::Dsl, "first passphrase")]);
        let u = kr
            .unlock_user(Some("ada"), &pass("first passphrase"))
            .unwrap();
        assert_eq!(u.user_id, Some(ids[0]));
        assert_eq!(u.data_key.unwrap().expose_secret(), dk.expose_secret());
        assert!(u.authority.is_some(), "a DSL slot opens the authority");
        assert!(!u.needs_rewrap, "a new slot is bound to its store");
        assert!(matches!(
            kr.unlock_user(Some("Ada"), &pass("wrong passphrase")),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(
            kr.unlock_user(Some("Bob"), &pass("first passphrase")),
            Err(Error::WrongPassphrase)
        ));
    }

    #[test]
    fn only_dsl_and_recovery_slots_hold_the_authority() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (kr, _) = signed_keyring(
            &dk,
            &auth,
            &[
                ("D", Role::Dsl, "passphrase D"),
                ("H", Role::Head, "passphrase H"),
            ],
        );
        assert!(
            kr.unlock_user(Some("H"), &pass("passphrase H"))
                .unwrap()
                .authority
                .is_none()
        );
        assert!(
            kr.unlock_user(Some("D"), &pass("passphrase D"))
                .unwrap()
                .authority
                .is_some()
        );
    }

    #[test]
    fn kdf_parameters_are_bounded_both_ways() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let mut kr = Keyring::new(Uuid::now_v7(), &auth, &team_public());
        let weak = KdfParams {
            m_kib: 1024,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            kr.set_user_slot(
                Uuid::now_v7(),
                "A",
                Role::Dsl,
                &pass("passphrase1"),
                &keys(&dk, &auth),
                weak
            ),
            Err(Error::WeakKdfParameters)
        ));
        let (mut kr, _) = signed_keyring(&dk, &auth, &[("A", Role::Dsl, "passphrase1")]);
        kr.file.slots[0].kdf.params.t = 1;
        assert!(matches!(
            kr.unlock_user(None, &pass("passphrase1")),
            Err(Error::WeakKdfParameters)
        ));
        // Four billion passes would hang the unlock screen: refused before any work is done.
        kr.file.slots[0].kdf.params.t = 4_000_000_000;
        let started = std::time::Instant::now();
        assert!(matches!(
            kr.unlock_user(None, &pass("passphrase1")),
            Err(Error::StoreDamaged { .. })
        ));
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn any_edit_of_the_signed_part_is_found() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (mut kr, _) = signed_keyring(
            &dk,
            &auth,
            &[
                ("A", Role::Dsl, "passphrase A"),
                ("S", Role::Staff, "passphrase S"),
            ],
        );
        let good = resigned(&mut kr, &auth);
        Keyring::parse(&good).unwrap();
        let text = String::from_utf8(good).unwrap();
        // A staff slot promoted to DSL, a name changed, the recovery public key swapped.
        let recovery_pub = kr
            .file
            .slots
            .iter()
            .find(|s| s.kind == SlotKind::Recovery)
            .unwrap()
            .public_key
            .clone();
        let other = hex::encode(PublicKey::from(&StaticSecret::from([7u8; 32])).as_bytes());
        for edited in [
            text.replacen("\"staff\"", "\"dsl\"", 1),
            text.replacen("\"S\"", "\"T\"", 1),
            text.replacen(&recovery_pub, &other, 1),
            text.replacen("\"generation\": 1", "\"generation\": 9", 1),
        ] {
            assert_ne!(edited, text);
            assert!(
                matches!(
                    Keyring::parse(edited.as_bytes()),
                    Err(Error::KeyringTampered { .. })
                ),
                "an edit went unnoticed"
            );
        }
    }

    #[test]
    fn a_keyring_signed_by_another_authority_is_refused_against_the_database() {
        let dk = DataKey::generate().unwrap();
        let real = AuthorityKey::generate().unwrap();
        let forger = AuthorityKey::generate().unwrap();
        let (kr, ids) = signed_keyring(&dk, &forger, &[("A", Role::Dsl, "passphrase A")]);
        let users = vec![(ids[0], "A".to_string(), Role::Dsl, false)];
        let real_pub = hex::encode(real.verifying_key().as_bytes());
        let facts = TrustedFacts {
            store_id: kr.store_id(),
            authority_public: Some(&real_pub),
            generation: 0,
            users: &users,
            recorded: None,
        };
        assert!(matches!(
            kr.check_against(&facts),
            Err(Error::KeyringTampered { .. })
        ));
    }

    #[test]
    fn resealing_replaces_the_key_for_every_slot_without_passphrases() {
        let old = DataKey::generate().unwrap();
        let new = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (mut kr, _) = signed_keyring(
            &old,
            &auth,
            &[
                ("A", Role::Dsl, "passphrase A"),
                ("B", Role::Deputy, "passphrase B"),
            ],
        );
        kr.reseal_all(&SlotKeys {
            previous: Some(&old),
            ..keys(&new, &auth)
        })
        .unwrap();
        let b = kr.unlock_user(Some("B"), &pass("passphrase B")).unwrap();
        assert_eq!(b.data_key.unwrap().expose_secret(), new.expose_secret());
        assert_eq!(
            b.previous_data_key.unwrap().expose_secret(),
            old.expose_secret()
        );
        kr.reseal_all(&keys(&new, &auth)).unwrap();
        assert!(!kr.rekey_in_flight());
    }

    #[test]
    fn rewrapping_keeps_the_signature() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (mut kr, ids) = signed_keyring(&dk, &auth, &[("B", Role::Deputy, "passphrase B")]);
        let dir = tempfile::tempdir().unwrap();
        kr.sign_and_save(dir.path(), &auth).unwrap();
        let u = kr.unlock_user(Some("B"), &pass("passphrase B")).unwrap();
        assert_eq!(u.user_id, Some(ids[0]));
        kr.rewrap_slot(&u.slot_secret, b"new passphrase B", KdfParams::DEFAULT)
            .unwrap();
        kr.save_rewrapped(dir.path()).unwrap();
        let again = Keyring::load(dir.path()).unwrap();
        assert!(again.unlock_user(Some("B"), &pass("passphrase B")).is_err());
        again
            .unlock_user(Some("B"), &pass("new passphrase B"))
            .unwrap();
    }

    #[test]
    fn a_staff_slot_opens_the_roster_key_and_never_the_database_key() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (mut kr, _) = signed_keyring(
            &dk,
            &auth,
            &[
                ("A", Role::Dsl, "passphrase A"),
                ("S", Role::Staff, "passphrase S"),
            ],
        );
        let bytes = resigned(&mut kr, &auth);
        let kr = Keyring::parse(&bytes).unwrap();
        let s = kr.unlock_user(Some("S"), &pass("passphrase S")).unwrap();
        assert!(s.data_key.is_none() && s.previous_data_key.is_none() && s.authority.is_none());
        assert_eq!(
            s.roster_key.unwrap().expose_secret(),
            roster().expose_secret()
        );
        let a = kr.unlock_user(Some("A"), &pass("passphrase A")).unwrap();
        assert!(
            a.roster_key.is_none(),
            "the team reads the roster from the database"
        );
        // Sealing the data key to the staff slot, even re-signed, is refused as tampering.
        let mut planted = kr.clone();
        let slot = planted
            .file
            .slots
            .iter_mut()
            .find(|s| s.role == Some(Role::Staff))
            .unwrap();
        let public = parse_public(&slot.public_key).unwrap();
        slot.data_key = Some(
            seal(
                &public,
                dk.expose_secret(),
                Label::DataKey,
                slot.id,
                slot.user_id,
            )
            .unwrap(),
        );
        planted.sign(&auth);
        assert!(matches!(
            Keyring::parse(&planted.to_bytes().unwrap()),
            Err(Error::KeyringTampered { .. })
        ));
    }

    #[test]
    fn a_wrapping_opens_only_under_the_store_and_authority_it_was_made_for() {
        let dk = DataKey::generate().unwrap();
        let auth = AuthorityKey::generate().unwrap();
        let (kr, _) = signed_keyring(&dk, &auth, &[("S", Role::Staff, "passphrase S")]);
        // The same slot, wrapping and all, in a keyring claiming another authority.
        let mut forged = kr.clone();
        forged.file.authority_public =
            hex::encode(AuthorityKey::generate().unwrap().verifying_key().as_bytes());
        assert!(matches!(
            forged.unlock_user(Some("S"), &pass("passphrase S")),
            Err(Error::WrongPassphrase)
        ));
        // A wrapping from before the binding opens once, and says it must be rewrapped.
        let mut old = kr.clone();
        let slot = &mut old.file.slots[0];
        let secret = kr
            .unlock_user(Some("S"), &pass("passphrase S"))
            .unwrap()
            .slot_secret;
        let (kdf, nonce, ct) = wrap(
            b"passphrase S",
            &secret,
            slot.id,
            slot.user_id,
            b"",
            KdfParams::DEFAULT,
        )
        .unwrap();
        // `wrap` with an empty binding is `bound_ad` with nothing appended: the old associated data.
        (slot.kdf, slot.secret_nonce, slot.secret_ciphertext) = (kdf, nonce, ct);
        assert!(
            old.unlock_user(Some("S"), &pass("passphrase S"))
                .unwrap()
                .needs_rewrap
        );
        old.rewrap_slot(&secret, b"passphrase S", KdfParams::DEFAULT)
            .unwrap();
        assert!(
            !old.unlock_user(Some("S"), &pass("passphrase S"))
                .unwrap()
                .needs_rewrap
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn sealing_round_trips_any_key(key in proptest::array::uniform32(any::<u8>())) {
            let secret = StaticSecret::from(random_array::<32>().unwrap());
            let public = PublicKey::from(&secret);
            let slot = Uuid::now_v7();
            let sealed = seal(&public, &key, Label::DataKey, slot, None).unwrap();
            let opened = unseal(&sealed, &secret, Label::DataKey, slot, None).unwrap();
            prop_assert_eq!(opened.as_ref(), &key);
            // Bound to the slot id and to what the key is for.
            prop_assert!(unseal(&sealed, &secret, Label::DataKey, Uuid::now_v7(), None).is_err());
            prop_assert!(unseal(&sealed, &secret, Label::Authority, slot, None).is_err());
        }

        /// The parser never panics and never accepts noise.
        #[test]
        fn the_parser_refuses_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            prop_assert!(Keyring::parse(&bytes).is_err());
        }
    }
}
