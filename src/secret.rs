//! Secret values: no Clone, no Serialize, a redacted Debug, zeroized on drop. The value is only
//! reachable through `expose_secret`, so every use is easy to find.

use std::fmt;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A user's passphrase, as typed.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub const MIN_CHARS: usize = 10;

    pub fn new(value: String) -> Self {
        Passphrase(Zeroizing::new(value))
    }

    /// Checks the length rule applied when a passphrase is set (not when one is typed to unlock).
    pub fn check_new(&self) -> Result<()> {
        if self.0.chars().count() < Self::MIN_CHARS {
            return Err(Error::invalid(
                "passphrase",
                "must be at least 10 characters",
            ));
        }
        if self.0.len() > 1024 {
            return Err(Error::TooLarge {
                field: "passphrase",
                limit: 1024,
            });
        }
        Ok(())
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(*******)")
    }
}

/// A 256-bit symmetric key (the roster key; keys derived for a user's own inbox drafts).
pub struct SymmetricKey(Zeroizing<[u8; 32]>);

impl SymmetricKey {
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        random_fill(k.as_mut())?;
        Ok(SymmetricKey(k))
    }

    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        SymmetricKey(Zeroizing::new(*bytes))
    }

    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey(*******)")
    }
}

/// The 256-bit key SQLCipher encrypts the database with.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        random_fill(k.as_mut())?;
        Ok(DataKey(k))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::damaged("a key slot holds a key of the wrong length"))?;
        Ok(DataKey(Zeroizing::new(arr)))
    }

    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// A second copy, for the few places that hold the key twice (the key the database is under
    /// and the one a slot opened). Not `Clone`, so each copy is deliberate.
    pub(crate) fn duplicate(&self) -> DataKey {
        DataKey(Zeroizing::new(*self.0))
    }

    /// The raw-key literal SQLCipher takes in `ATTACH … KEY ?`.
    pub(crate) fn raw_key_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(*self.0)))
    }

    /// The `PRAGMA key`/`rekey` statement for this key as a raw key (no KDF inside SQLCipher).
    pub(crate) fn pragma(&self, pragma: &str) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "PRAGMA {pragma} = \"x'{}'\";",
            hex::encode(*self.0)
        ))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(*******)")
    }
}

/// The keyring authority's Ed25519 signing key: opened only from DSL slots and the recovery slot.
pub struct AuthorityKey(ed25519_dalek::SigningKey);

impl AuthorityKey {
    pub fn generate() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random_fill(seed.as_mut())?;
        Ok(Self::from_bytes(&seed))
    }

    pub(crate) fn from_bytes(seed: &[u8; 32]) -> Self {
        AuthorityKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.0.verifying_key()
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for AuthorityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorityKey(*******)")
    }
}

/// The high-entropy recovery key, shown once at creation as 8 groups of 4 characters
/// (Crockford base32: 160 bits).
pub struct RecoveryKey(Zeroizing<String>);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl RecoveryKey {
    pub const GROUPS: usize = 8;
    const CHARS: usize = 32;

    pub fn generate() -> Result<Self> {
        let mut raw = Zeroizing::new([0u8; Self::CHARS]);
        random_fill(raw.as_mut())?;
        let mut s = Zeroizing::new(String::with_capacity(Self::CHARS));
        for b in raw.iter() {
            s.push(CROCKFORD[(b & 31) as usize] as char);
        }
        Ok(RecoveryKey(s))
    }

    /// Parses what a person typed: case, spaces and hyphens do not matter; I/L read as 1, O as 0.
    pub fn parse(typed: &str) -> Result<Self> {
        let mut s = Zeroizing::new(String::with_capacity(Self::CHARS));
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' | '\t' | '\n' | '\r' => continue,
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !CROCKFORD.contains(&(c as u8)) || !c.is_ascii() {
                return Err(Error::invalid(
                    "recovery key",
                    "contains a character that is not in a recovery key",
                ));
            }
            s.push(c);
        }
        if s.len() != Self::CHARS {
            return Err(Error::invalid(
                "recovery key",
                "must be 32 characters (8 groups of 4)",
            ));
        }
        Ok(RecoveryKey(s))
    }

    /// Grouped for reading aloud and writing down: `ABCD-EFGH-…`.
    pub fn expose_grouped(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(Self::CHARS + Self::GROUPS));
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    pub(crate) fn expose_normalised(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(*******)")
    }
}

/// 128 random bits as hex: an unguessable handle (e.g. for a file picked in a dialog).
pub fn random_token() -> Result<String> {
    let mut b = [0u8; 16];
    random_fill(&mut b)?;
    Ok(hex::encode(b))
}

pub(crate) fn random_fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Internal {
        detail: "the system random source failed".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Passphrase::new("correct horse battery".into());
        assert!(!format!("{p:?}").contains("horse"));
        let k = DataKey::generate().unwrap();
        assert!(!format!("{k:?}").contains(&hex::encode(k.expose_secret())[..8]));
        let r = RecoveryKey::generate().unwrap();
        assert!(!format!("{r:?}").contains(&r.expose_normalised()[..8]));
    }

    #[test]
    fn recovery_key_round_trips_through_what_a_person_types() {
        let r = RecoveryKey::generate().unwrap();
        let grouped = r.expose_grouped();
        assert_eq!(grouped.len(), 39);
        assert_eq!(grouped.matches('-').count(), 7);
        let typed = grouped.to_lowercase().replace('-', " ");
        let parsed = RecoveryKey::parse(&typed).unwrap();
        assert_eq!(parsed.expose_normalised(), r.expose_normalised());
    }

    #[test]
    fn recovery_key_rejects_wrong_length_and_characters() {
        assert!(RecoveryKey::parse("ABCD").is_err());
        assert!(RecoveryKey::parse(&"U".repeat(32)).is_err());
    }

    #[test]
    fn new_passphrases_have_a_minimum_length() {
        assert!(Passphrase::new("short".into()).check_new().is_err());
        assert!(
            Passphrase::new("long enough phrase".into())
                .check_new()
                .is_ok()
        );
    }
}
