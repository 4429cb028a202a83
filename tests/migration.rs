//! A store written by Safeguard Desk 0.1 (committed in tests/fixtures/store-v0.1: unsigned
//! keyring, audit events of ids only, schema 4) opens with this version: `verify` reads it as it
//! is without changing it, the first unlock signs the keyring and accounts for every old row in
//! a baseline event, and everyone, the recovery key included, still gets in.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{V01_PASS, V01_RECOVERY, copy_v01_fixture, slot_user_id};
use safeguard_core::clock::SystemClock;
use safeguard_core::keyring::{KEYRING_FILE, Keyring};
use safeguard_core::secret::{Passphrase, RecoveryKey};
use safeguard_core::{Error, StoreOptions};

const PASS: &str = V01_PASS;
const RECOVERY: &str = V01_RECOVERY;

fn opts() -> StoreOptions {
    StoreOptions::new(Arc::new(SystemClock))
}

fn pass() -> Passphrase {
    Passphrase::new(PASS.into())
}

#[test]
fn a_store_from_version_0_1_is_verified_as_it_is_then_migrated_at_the_first_unlock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    let kr = Keyring::load(&dir).unwrap();
    assert!(kr.is_legacy(), "the fixture is the old, unsigned format");

    // Read-only verify of the old store: it passes and changes nothing.
    let before = std::fs::read(dir.join("records.db")).unwrap();
    let r =
        safeguard_core::verify_store(&dir, Some("Rachel Adeyemi"), &pass(), &opts(), &[]).unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
    assert!(
        !r.chain.content_checked,
        "no content events before migration"
    );
    assert_eq!(std::fs::read(dir.join("records.db")).unwrap(), before);

    // In 0.1 every slot, staff included, held the database key. Until a DSL (or the recovery
    // key) has moved the store on, staff are told to wait rather than given the database.
    let staff_copy_of_the_old_key =
        safeguard_core::testing::data_key(&dir, "Daniel Okoro", &pass()).unwrap();
    assert!(matches!(
        safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass(), opts()),
        Err(Error::NotReady)
    ));
    assert!(Keyring::load(&dir).unwrap().is_legacy());
    drop(safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap());
    let kr = Keyring::load(&dir).unwrap();
    assert!(!kr.is_legacy(), "the keyring is signed now");
    assert!(
        kr.has_team_keys(),
        "and in format 3: staff slots hold no database key"
    );
    let staff_slot = kr.unlock_user(Some("Daniel Okoro"), &pass()).unwrap();
    assert!(staff_slot.data_key.is_none() && staff_slot.roster_key.is_some());
    assert!(
        safeguard_core::testing::open_with_key(&dir, &staff_copy_of_the_old_key).is_err(),
        "the database moved to a key staff never held"
    );
    // Daniel's passphrase wrapping predates the binding to the store and was never checked
    // against the database under it: it could be an old slot in a forged keyring, so it is
    // not trusted. The DSL sees who needs a new passphrase and sets one.
    assert!(matches!(
        safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass(), opts()),
        Err(Error::PassphraseResetNeeded)
    ));
    let mut dsl = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap();
    let flagged: Vec<String> = dsl
        .users()
        .unwrap()
        .into_iter()
        .filter(|u| u.needs_new_passphrase)
        .map(|u| u.name)
        .collect();
    assert_eq!(flagged, vec!["Daniel Okoro".to_string()]);
    let daniel = Passphrase::new("daniel's new passphrase".into());
    dsl.change_passphrase("Daniel Okoro", &daniel).unwrap();
    assert!(dsl.users().unwrap().iter().all(|u| !u.needs_new_passphrase));
    drop(dsl);
    // Staff now get their own session: the roster, and the inbox for what they record.
    let mut staff =
        safeguard_core::unlock_staff(&dir, Some("Daniel Okoro"), &daniel, opts()).unwrap();
    assert_eq!(staff.list_pupils(&Default::default()).unwrap().total, 13);
    let pupil = staff.list_pupils(&Default::default()).unwrap().items[0].id;
    let concern = safeguard_core::records::NewConcern {
        pupil_id: pupil,
        details: serde_json::from_value(serde_json::json!({
            "observed_at": "2026-11-30T10:00:00Z", "location": "Hall", "categories": ["neglect"],
            "account": "Came in without a coat again.", "reporter_name": "Daniel Okoro",
            "reporter_role": "Teacher", "child_words": null, "immediate_action": "Lent a coat.",
            "body_marks": []
        }))
        .unwrap(),
        other_children: vec![],
    };
    let id = staff.record_concern(&concern).unwrap();
    drop(staff);
    #[cfg(unix)]
    {
        // Version 0.1 left records.db 0644: unlocking makes the store private.
        use std::os::unix::fs::PermissionsExt;
        for f in ["records.db", KEYRING_FILE] {
            let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    let mut dsl = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap();
    let r = dsl.verify().unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
    assert!(r.chain.content_checked);
    let stats = dsl.stats().unwrap();
    let count = |label: &str| stats.counts.iter().find(|c| c.0 == label).unwrap().1;
    assert_eq!(
        count("concerns"),
        14,
        "13 from 0.1 and the one filed from the inbox"
    );
    assert!(
        dsl.pupil_chronology(pupil, &Default::default())
            .unwrap()
            .iter()
            .any(|e| e.record_id == id && e.author == "Daniel Okoro")
    );
    assert_eq!(count("pupils"), 13);
    drop(dsl);

    // Every user and the recovery key still open it; the removed user does not.
    for user in ["Tom Whitfield", "Priya Shah"] {
        safeguard_core::open_store(&dir, Some(user), &pass(), opts()).unwrap();
    }
    safeguard_core::unlock_staff(&dir, Some("Daniel Okoro"), &daniel, opts()).unwrap();
    assert!(matches!(
        safeguard_core::unlock(&dir, Some("Leaving Teacher"), &pass(), opts()),
        Err(Error::WrongPassphrase)
    ));
    let key = RecoveryKey::parse(RECOVERY).unwrap();
    safeguard_core::recover(
        &dir,
        "Priya Shah",
        &key,
        &Passphrase::new("a new head passphrase".into()),
        opts(),
    )
    .unwrap();
    safeguard_core::unlock(
        &dir,
        Some("Priya Shah"),
        &Passphrase::new("a new head passphrase".into()),
        opts(),
    )
    .unwrap();

    // Putting the old unsigned keyring back after migration is refused: its keys no longer
    // open the database (it moved to a new key when staff lost theirs), and were they to, the
    // unsigned keyring would be refused against the authority the database records.
    copy_v01_fixture_keyring(&dir);
    for user in ["Tom Whitfield", "Rachel Adeyemi"] {
        let got = safeguard_core::open_store(&dir, Some(user), &pass(), opts());
        assert!(
            matches!(
                got,
                Err(Error::KeyringTampered { .. } | Error::StoreDamaged { .. })
            ),
            "{user}: {got:?}"
        );
    }
}

#[test]
fn the_recovery_key_migrates_an_old_store_and_resets_a_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    let key = RecoveryKey::parse(RECOVERY).unwrap();
    safeguard_core::recover(
        &dir,
        "Daniel Okoro",
        &key,
        &Passphrase::new("new staff passphrase".into()),
        opts(),
    )
    .unwrap();
    let kr = Keyring::load(&dir).unwrap();
    assert!(!kr.is_legacy() && kr.has_team_keys());
    safeguard_core::unlock_staff(
        &dir,
        Some("Daniel Okoro"),
        &Passphrase::new("new staff passphrase".into()),
        opts(),
    )
    .unwrap();
}

#[test]
fn the_rows_of_an_old_store_are_held_to_their_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    drop(safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap());
    // An old concern rewritten behind a dropped trigger, after the migration.
    let conn = safeguard_core::testing::raw_connection(&dir, "Rachel Adeyemi", &pass()).unwrap();
    let t: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'concerns_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER concerns_no_update; UPDATE concerns SET body = replace(body, 'a', 'o') WHERE seq = 2; {t};"
    ))
    .unwrap();
    drop(conn);
    let r =
        safeguard_core::verify_store(&dir, Some("Rachel Adeyemi"), &pass(), &opts(), &[]).unwrap();
    assert!(
        r.problems().iter().any(|p| p
            .contains("concerns rows written before content auditing differ from the baseline")),
        "{:?}",
        r.problems()
    );
}

fn copy_v01_fixture_keyring(dir: &Path) {
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/store-v0.1")
            .join(KEYRING_FILE),
        dir.join(KEYRING_FILE),
    )
    .unwrap();
}

fn sgd(dir: &Path, args: &[&str], user: &str, fault: Option<&str>) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sgd"));
    c.args(args)
        .arg(dir)
        .env("SGD_PASSPHRASE", PASS)
        .env("SGD_USER", user)
        .stdin(std::process::Stdio::null());
    if let Some(f) = fault {
        c.env("SGD_FAULT", f);
    }
    c.output().unwrap()
}

#[test]
fn a_migration_cut_short_after_the_signed_keyring_is_written_is_adopted_by_the_dsl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    let out = sgd(
        &dir,
        &["stats"],
        "Rachel Adeyemi",
        Some("keyring.migrated:abort"),
    );
    assert!(!out.status.success());
    let kr = Keyring::load(&dir).unwrap();
    assert!(!kr.is_legacy(), "the signed keyring reached the disk");
    // The deputy (who may not sign) gets in and changes nothing of the keyring's standing;
    // the DSL's unlock then records the authority, and everyone gets in.
    safeguard_core::open_store(&dir, Some("Tom Whitfield"), &pass(), opts()).unwrap();
    let dsl = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap();
    let r = dsl.verify().unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
    drop(dsl);
    safeguard_core::open_store(&dir, Some("Tom Whitfield"), &pass(), opts()).unwrap();
    assert!(Keyring::load(&dir).unwrap().has_team_keys());
}

#[test]
fn a_staff_removal_cut_short_before_the_move_to_format_3_is_finished_first() {
    // The first unlock signs the keyring (format 2, staff still holding the database key) but
    // finds no room for the rekey that moves it to format 3; the DSL then removes a member of
    // staff, and that rekey finds no room either. The removal is recorded; the slot is there.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    let out = sgd(
        &dir,
        &["user", "remove", "--name", "Daniel Okoro"],
        "Rachel Adeyemi",
        Some("rekey.space:diskfull"),
    );
    assert!(!out.status.success(), "the removal's rekey found no room");
    let kr = Keyring::load(&dir).unwrap();
    assert!(
        !kr.is_legacy() && !kr.has_team_keys(),
        "format 2, as the test needs"
    );
    let daniel = slot_user_id(&kr, "Daniel Okoro");
    assert!(kr.has_user(daniel), "the removal was cut short");
    // A deputy (who cannot sign) gets in meanwhile: the removal waits for a DSL.
    safeguard_core::open_store(&dir, Some("Tom Whitfield"), &pass(), opts()).unwrap();
    assert!(Keyring::load(&dir).unwrap().has_user(daniel));
    // With room again, the DSL's unlock finishes the removal before moving to format 3: the
    // keyring that results loads, and the removed slot is gone.
    let out = sgd(&dir, &["stats"], "Rachel Adeyemi", None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kr = Keyring::load(&dir).unwrap();
    assert!(kr.has_team_keys());
    assert!(!kr.has_user(daniel));
    let dsl = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap();
    let r = dsl.verify().unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
    drop(dsl);
    let removed = safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass(), opts());
    assert!(
        matches!(
            removed,
            Err(Error::WrongPassphrase | Error::NotFound { .. })
        ),
        "{removed:?}"
    );
}

#[test]
fn a_signed_keyring_planted_before_the_migration_is_refused() {
    // Someone with write access to a 0.1 store's folder (and no key) signs its keyring with
    // an authority of their own, sealing that authority to the DSL's and the recovery slot's
    // public keys. The database recorded no such keyring as intended: it is refused, and the
    // store is left as it was.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_v01_fixture(tmp.path());
    let mut planted = Keyring::load(&dir).unwrap();
    let forger = safeguard_core::secret::AuthorityKey::generate().unwrap();
    // Stands for the sealed data keys copied over unchanged (the planter never learns it).
    let data_key = safeguard_core::testing::data_key(&dir, "Rachel Adeyemi", &pass()).unwrap();
    let users: Vec<_> = planted
        .users()
        .into_iter()
        .map(|(id, name)| {
            let role = match name.as_str() {
                "Rachel Adeyemi" => safeguard_core::records::Role::Dsl,
                "Daniel Okoro" => safeguard_core::records::Role::Staff,
                "Priya Shah" => safeguard_core::records::Role::Head,
                _ => safeguard_core::records::Role::Deputy,
            };
            (id, name, role, false)
        })
        .collect();
    planted.migrate(&users, &data_key, None, &forger).unwrap();
    planted.sign(&forger);
    planted.save_signed(&dir).unwrap();
    let before = std::fs::read(dir.join(KEYRING_FILE)).unwrap();
    let got = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts());
    assert!(matches!(got, Err(Error::KeyringTampered { .. })), "{got:?}");
    assert_eq!(std::fs::read(dir.join(KEYRING_FILE)).unwrap(), before);
    // The real keyring put back, the store migrates as usual.
    copy_v01_fixture_keyring(&dir);
    drop(safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass(), opts()).unwrap());
}
