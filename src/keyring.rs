//! The keyring: one key slot per user plus one recovery slot, in a small JSON file beside the
//! database.
//!
//! A slot is an X25519 key pair. Its secret half is wrapped with XChaCha20-Poly1305 under a key
//! derived by Argon2id from the user's passphrase (or the recovery key); the database's data key
//! is sealed to its public half (ephemeral X25519 + HKDF-SHA256 + XChaCha20-Poly1305). Sealing to
//! public keys is what lets a DSL remove a user and rekey the database without knowing the other
//! users' passphrases. Associated data binds every ciphertext to the format version, the slot id
//! and the user id, so slots cannot be swapped between users.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{DataKey, Passphrase, RecoveryKey, random_fill};

pub const KEYRING_FILE: &str = "keyring.json";
const FORMAT: u32 = 1;
const MAX_KEYRING_BYTES: u64 = 1 << 20;

/// Argon2id cost parameters. Slots below [`KdfParams::MINIMUM`] are refused at unlock.
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
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    fn is_at_least_minimum(&self) -> bool {
        self.m_kib >= Self::MINIMUM.m_kib
            && self.t >= Self::MINIMUM.t
            && self.p >= 1
            && self.p <= 16
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    User,
    Recovery,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KdfRecord {
    algorithm: String,
    version: u32,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    /// Ephemeral X25519 public key (hex).
    ephemeral: String,
    nonce: String,
    ciphertext: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    id: Uuid,
    kind: SlotKind,
    /// The user this slot belongs to (none for the recovery slot).
    user_id: Option<Uuid>,
    /// Shown on the unlock screen so a person can pick themselves; a staff name, not record content.
    user_name: Option<String>,
    kdf: KdfRecord,
    public_key: String,
    secret_nonce: String,
    secret_ciphertext: String,
    data_key: Sealed,
    /// Present only while a rekey is in flight: the key the database had before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_data_key: Option<Sealed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyringFile {
    format: u32,
    store_id: Uuid,
    slots: Vec<Slot>,
}

/// The keyring of one store, as loaded from disk.
#[derive(Debug, Clone)]
pub struct Keyring {
    file: KeyringFile,
}

/// What opening a slot yields.
pub struct Unlocked {
    pub slot_id: Uuid,
    pub user_id: Option<Uuid>,
    pub data_key: DataKey,
    /// Set while a rekey was interrupted: the database may still be under this key.
    pub previous_data_key: Option<DataKey>,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("slot_id", &self.slot_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Keyring {
    pub fn new(store_id: Uuid) -> Self {
        Keyring {
            file: KeyringFile {
                format: FORMAT,
                store_id,
                slots: Vec::new(),
            },
        }
    }

    pub fn store_id(&self) -> Uuid {
        self.file.store_id
    }

    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(KEYRING_FILE);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoStore),
            Err(e) => return Err(e.into()),
        };
        if meta.len() > MAX_KEYRING_BYTES {
            return Err(Error::damaged("the keyring file is far too large"));
        }
        let bytes = fs::read(&path)?;
        let file: KeyringFile = serde_json::from_slice(&bytes)
            .map_err(|_| Error::damaged("the keyring file cannot be parsed"))?;
        if file.format > FORMAT {
            return Err(Error::NewerStore {
                found: file.format as i64,
                known: FORMAT as i64,
            });
        }
        if file.format != FORMAT {
            return Err(Error::damaged("the keyring file has an unknown format"));
        }
        if !file.slots.iter().any(|s| s.kind == SlotKind::Recovery) {
            return Err(Error::damaged("the keyring has no recovery slot"));
        }
        Ok(Keyring { file })
    }

    /// Writes the keyring atomically: temp file, fsync, rename over the old one, fsync the folder.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.file).map_err(|_| Error::Internal {
            detail: "keyring encoding".into(),
        })?;
        let tmp = dir.join(format!("{KEYRING_FILE}.tmp"));
        let _ = fs::remove_file(&tmp); // a leftover from an interrupted write is ours to replace
        {
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(KEYRING_FILE))?;
        File::open(dir)?.sync_all()?;
        Ok(())
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

    /// Adds (or replaces) the slot of a user, sealing the current data key to it.
    pub fn set_user_slot(
        &mut self,
        user_id: Uuid,
        user_name: &str,
        passphrase: &Passphrase,
        data_key: &DataKey,
        params: KdfParams,
    ) -> Result<()> {
        self.remove_user_slot(user_id);
        let slot = new_slot(
            SlotKind::User,
            Some(user_id),
            Some(user_name.to_owned()),
            passphrase.expose_secret().as_bytes(),
            data_key,
            params,
        )?;
        self.file.slots.push(slot);
        Ok(())
    }

    /// Adds the recovery slot (replacing any existing one).
    pub fn set_recovery_slot(
        &mut self,
        key: &RecoveryKey,
        data_key: &DataKey,
        params: KdfParams,
    ) -> Result<()> {
        self.file.slots.retain(|s| s.kind != SlotKind::Recovery);
        let slot = new_slot(
            SlotKind::Recovery,
            None,
            None,
            key.expose_normalised().as_bytes(),
            data_key,
            params,
        )?;
        self.file.slots.push(slot);
        Ok(())
    }

    pub fn remove_user_slot(&mut self, user_id: Uuid) -> bool {
        let before = self.file.slots.len();
        self.file.slots.retain(|s| s.user_id != Some(user_id));
        before != self.file.slots.len()
    }

    /// Opens a user's slot. With no name, tries every user slot (the CLI acts as whoever the
    /// passphrase opens).
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
        for slot in candidates {
            match open_slot(slot, passphrase.expose_secret().as_bytes()) {
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
            .ok_or(Error::damaged("the keyring has no recovery slot"))?;
        open_slot(slot, key.expose_normalised().as_bytes())
    }

    /// Seals `new_key` to every slot; with `previous`, also keeps the old key sealed beside it
    /// until the database rekey has committed.
    pub fn reseal_all(&mut self, new_key: &DataKey, previous: Option<&DataKey>) -> Result<()> {
        for slot in &mut self.file.slots {
            let public = parse_public(&slot.public_key)?;
            slot.data_key = seal(&public, new_key.expose_secret(), slot.id, slot.user_id)?;
            slot.previous_data_key = match previous {
                Some(p) => Some(seal(&public, p.expose_secret(), slot.id, slot.user_id)?),
                None => None,
            };
        }
        Ok(())
    }

    pub fn rekey_in_flight(&self) -> bool {
        self.file
            .slots
            .iter()
            .any(|s| s.previous_data_key.is_some())
    }

    /// The slot ids, for tests that tamper with the file.
    pub fn slot_count(&self) -> usize {
        self.file.slots.len()
    }
}

fn ad(label: &str, slot_id: Uuid, user_id: Option<Uuid>) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(b"safeguard-desk/keyring/");
    v.extend_from_slice(label.as_bytes());
    v.extend_from_slice(&FORMAT.to_be_bytes());
    v.extend_from_slice(slot_id.as_bytes());
    v.extend_from_slice(user_id.unwrap_or(Uuid::nil()).as_bytes());
    v
}

fn derive_kek(secret: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
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

fn new_slot(
    kind: SlotKind,
    user_id: Option<Uuid>,
    user_name: Option<String>,
    secret: &[u8],
    data_key: &DataKey,
    params: KdfParams,
) -> Result<Slot> {
    if !params.is_at_least_minimum() {
        return Err(Error::WeakKdfParameters);
    }
    let id = Uuid::now_v7();
    let salt: [u8; 16] = random_array()?;
    let kek = derive_kek(secret, &salt, params)?;
    let slot_secret = StaticSecret::from(random_array::<32>()?);
    let public = PublicKey::from(&slot_secret);
    let nonce: [u8; 24] = random_array()?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(kek.as_ref()).map_err(|_| internal("cipher key"))?;
    let secret_ct = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: slot_secret.as_bytes(),
                aad: &ad("secret", id, user_id),
            },
        )
        .map_err(|_| internal("wrap"))?;
    let data_key = seal(&public, data_key.expose_secret(), id, user_id)?;
    Ok(Slot {
        id,
        kind,
        user_id,
        user_name,
        kdf: KdfRecord {
            algorithm: "argon2id".into(),
            version: 0x13,
            params,
            salt: hex::encode(salt),
        },
        public_key: hex::encode(public.as_bytes()),
        secret_nonce: hex::encode(nonce),
        secret_ciphertext: hex::encode(secret_ct),
        data_key,
        previous_data_key: None,
    })
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
                aad: &ad("data-key", slot_id, user_id),
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
    slot_id: Uuid,
    user_id: Option<Uuid>,
) -> Result<DataKey> {
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
                    aad: &ad("data-key", slot_id, user_id),
                },
            )
            // The slot's own secret opened, so a failure here is damage, not a wrong passphrase.
            .map_err(|_| Error::damaged("a key slot's sealed data key fails authentication"))?,
    );
    DataKey::from_bytes(&pt)
}

fn open_slot(slot: &Slot, secret: &[u8]) -> Result<Unlocked> {
    if slot.kdf.algorithm != "argon2id" || slot.kdf.version != 0x13 {
        return Err(Error::damaged(
            "a key slot uses an unknown key-derivation algorithm",
        ));
    }
    if !slot.kdf.params.is_at_least_minimum() {
        return Err(Error::WeakKdfParameters);
    }
    let salt = hex::decode(&slot.kdf.salt)
        .map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    if salt.len() < 16 {
        return Err(Error::damaged("a key slot's salt is too short"));
    }
    let kek = derive_kek(secret, &salt, slot.kdf.params)?;
    let cipher =
        XChaCha20Poly1305::new_from_slice(kek.as_ref()).map_err(|_| internal("cipher key"))?;
    let ct = hex::decode(&slot.secret_ciphertext)
        .map_err(|_| Error::damaged("a key slot field is not valid hex"))?;
    let pt = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(unhex::<24>(&slot.secret_nonce)?),
                Payload {
                    msg: &ct,
                    aad: &ad("secret", slot.id, slot.user_id),
                },
            )
            .map_err(|_| Error::WrongPassphrase)?,
    );
    let arr: [u8; 32] = pt
        .as_slice()
        .try_into()
        .map_err(|_| Error::damaged("a key slot secret has the wrong length"))?;
    let slot_secret = StaticSecret::from(arr);
    if PublicKey::from(&slot_secret).as_bytes() != &unhex::<32>(&slot.public_key)? {
        return Err(Error::damaged(
            "a key slot's public key does not match its secret",
        ));
    }
    let data_key = unseal(&slot.data_key, &slot_secret, slot.id, slot.user_id)?;
    let previous_data_key = match &slot.previous_data_key {
        Some(p) => Some(unseal(p, &slot_secret, slot.id, slot.user_id)?),
        None => None,
    };
    Ok(Unlocked {
        slot_id: slot.id,
        user_id: slot.user_id,
        data_key,
        previous_data_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    #[test]
    fn a_slot_opens_with_its_passphrase_and_no_other() {
        let dk = DataKey::generate().unwrap();
        let mut kr = Keyring::new(Uuid::now_v7());
        let uid = Uuid::now_v7();
        kr.set_user_slot(
            uid,
            "Ada",
            &pass("first passphrase"),
            &dk,
            KdfParams::DEFAULT,
        )
        .unwrap();
        let u = kr
            .unlock_user(Some("ada"), &pass("first passphrase"))
            .unwrap();
        assert_eq!(u.user_id, Some(uid));
        assert_eq!(u.data_key.expose_secret(), dk.expose_secret());
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
    fn slots_below_the_minimum_are_refused() {
        let dk = DataKey::generate().unwrap();
        let mut kr = Keyring::new(Uuid::now_v7());
        let weak = KdfParams {
            m_kib: 1024,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            kr.set_user_slot(Uuid::now_v7(), "A", &pass("passphrase1"), &dk, weak),
            Err(Error::WeakKdfParameters)
        ));
        // A slot whose stored parameters were lowered on disk is refused, not tried.
        kr.set_user_slot(
            Uuid::now_v7(),
            "A",
            &pass("passphrase1"),
            &dk,
            KdfParams::DEFAULT,
        )
        .unwrap();
        kr.file.slots[0].kdf.params.t = 1;
        assert!(matches!(
            kr.unlock_user(None, &pass("passphrase1")),
            Err(Error::WeakKdfParameters)
        ));
    }

    #[test]
    fn a_slot_moved_to_another_user_does_not_open() {
        let dk = DataKey::generate().unwrap();
        let mut kr = Keyring::new(Uuid::now_v7());
        kr.set_user_slot(
            Uuid::now_v7(),
            "A",
            &pass("passphrase1"),
            &dk,
            KdfParams::DEFAULT,
        )
        .unwrap();
        kr.file.slots[0].user_id = Some(Uuid::now_v7());
        assert!(kr.unlock_user(None, &pass("passphrase1")).is_err());
    }

    #[test]
    fn resealing_replaces_the_key_for_every_slot_without_passphrases() {
        let old = DataKey::generate().unwrap();
        let new = DataKey::generate().unwrap();
        let mut kr = Keyring::new(Uuid::now_v7());
        kr.set_user_slot(
            Uuid::now_v7(),
            "A",
            &pass("passphrase A"),
            &old,
            KdfParams::DEFAULT,
        )
        .unwrap();
        kr.set_user_slot(
            Uuid::now_v7(),
            "B",
            &pass("passphrase B"),
            &old,
            KdfParams::DEFAULT,
        )
        .unwrap();
        kr.reseal_all(&new, Some(&old)).unwrap();
        let b = kr.unlock_user(Some("B"), &pass("passphrase B")).unwrap();
        assert_eq!(b.data_key.expose_secret(), new.expose_secret());
        assert_eq!(
            b.previous_data_key.unwrap().expose_secret(),
            old.expose_secret()
        );
        kr.reseal_all(&new, None).unwrap();
        assert!(!kr.rekey_in_flight());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn sealing_round_trips_any_key(key in proptest::array::uniform32(any::<u8>())) {
            let secret = StaticSecret::from(random_array::<32>().unwrap());
            let public = PublicKey::from(&secret);
            let slot = Uuid::now_v7();
            let sealed = seal(&public, &key, slot, None).unwrap();
            let opened = unseal(&sealed, &secret, slot, None).unwrap();
            prop_assert_eq!(opened.expose_secret(), &key);
            // Bound to the slot id: another slot's AD fails.
            prop_assert!(unseal(&sealed, &secret, Uuid::now_v7(), None).is_err());
        }
    }
}
