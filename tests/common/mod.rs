#![allow(dead_code)]
//! Shared fixtures: a throwaway store with a manual clock and the real KDF parameters.

pub mod pdf;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use safeguard_core::clock::ManualClock;
use safeguard_core::records::*;
use safeguard_core::secret::{Passphrase, RecoveryKey};
use safeguard_core::{Session, StoreOptions};

pub const DSL: &str = "Rachel Adeyemi";
pub const DSL_PASS: &str = "dsl passphrase one";

pub fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned())
}

/// Monday 23 November 2026, 10:00 London (GMT).
pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

pub struct Fixture {
    pub _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub clock: Arc<ManualClock>,
    pub recovery: Option<RecoveryKey>,
}

impl Fixture {
    pub fn opts(&self) -> StoreOptions {
        StoreOptions::new(self.clock.clone())
    }

    pub fn unlock(&self, user: &str, p: &str) -> safeguard_core::Result<Session> {
        safeguard_core::unlock(&self.dir, Some(user), &pass(p), self.opts())
    }

    /// A member of staff's session (over their inbox; staff hold no database key).
    pub fn staff(
        &self,
        user: &str,
        p: &str,
    ) -> safeguard_core::Result<safeguard_core::StaffSession> {
        safeguard_core::unlock_staff(&self.dir, Some(user), &pass(p), self.opts())
    }

    /// Whatever the passphrase opens (to check an error comes before any session).
    pub fn open_any(&self, user: &str, p: &str) -> safeguard_core::Result<safeguard_core::Opened> {
        safeguard_core::open_store(&self.dir, Some(user), &pass(p), self.opts())
    }

    pub fn dsl(&self) -> Session {
        self.unlock(DSL, DSL_PASS).unwrap()
    }
}

pub fn school() -> SchoolDetails {
    SchoolDetails {
        name: "Test Primary".into(),
        local_authority: "Test LA".into(),
        dfe_number: None,
        referral_email: None,
    }
}

pub fn new_store() -> (Fixture, Session) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let clock = Arc::new(ManualClock::new(monday()));
    let (s, key) = safeguard_core::create_store(
        &dir,
        &school(),
        DSL,
        &pass(DSL_PASS),
        StoreOptions::new(clock.clone()),
    )
    .unwrap();
    (
        Fixture {
            _tmp: tmp,
            dir,
            clock,
            recovery: Some(key),
        },
        s,
    )
}

pub fn pupil_details(first: &str, last: &str, upn: &str) -> PupilDetails {
    PupilDetails {
        gender: "Female".into(),
        upn: Some(upn.into()),
        ..PupilDetails::new(
            first,
            last,
            chrono::NaiveDate::from_ymd_opt(2018, 3, 14).unwrap(),
            "Year 3",
        )
    }
}

pub fn add_pupil(s: &mut Session, first: &str, upn_n: u32) -> Id {
    s.add_pupil(&pupil_details(first, "Tester", &format!("T{:012}", upn_n)))
        .unwrap()
}

pub fn concern_for(pupil: Id, at: DateTime<Utc>, account: &str, words: Option<&str>) -> NewConcern {
    NewConcern {
        pupil_id: pupil,
        details: ConcernDetails {
            reporter_name: "Class teacher".into(),
            reporter_role: "Teacher".into(),
            observed_at: at,
            location: "Classroom".into(),
            categories: vec![Category::Neglect],
            account: account.into(),
            child_words: words.map(Into::into),
            immediate_action: "DSL informed".into(),
            body_marks: vec![],
        },
        other_children: vec![],
    }
}

/// Every file in a folder (recursively), for plaintext scans.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p))
        } else {
            out.push(p)
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The store written by Safeguard Desk 0.1 (tests/fixtures/store-v0.1): every user's
/// passphrase, and its recovery key.
pub const V01_PASS: &str = "fixture passphrase v0.1";
pub const V01_RECOVERY: &str = "SYQK-WCSV-G3YM-34DM-HRF1-GNBX-DF90-3PDA";

/// A copy of the 0.1 store in `into/store`, its files 0644 as 0.1 left them.
pub fn copy_v01_fixture(into: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v0.1");
    let dir = into.join("store");
    std::fs::create_dir(&dir).unwrap();
    for f in ["records.db", safeguard_core::keyring::KEYRING_FILE] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    dir
}

/// The id of the user named `name` in a keyring (the test knows they have a slot).
pub fn slot_user_id(keyring: &safeguard_core::keyring::Keyring, name: &str) -> uuid::Uuid {
    keyring
        .users()
        .into_iter()
        .find(|u| u.1 == name)
        .unwrap_or_else(|| panic!("{name} has no slot"))
        .0
}
