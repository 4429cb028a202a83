//! The store's security promises: no plaintext on disk, keys and slots, append-only triggers,
//! tamper evidence, damage handling, backups.

mod common;

use common::*;
use safeguard_core::keyring::KEYRING_FILE;
use safeguard_core::records::*;
use safeguard_core::secret::RecoveryKey;
use safeguard_core::{Error, testing};

#[test]
fn no_plaintext_of_a_record_reaches_the_disk() {
    let (fx, mut s) = new_store();
    let marker = "ZEBRACRANBERRY-4417";
    let p = s
        .add_pupil(&pupil_details(
            "Marker",
            "ZEBRACRANBERRY-PUPIL",
            "M000000000001",
        ))
        .unwrap();
    for i in 0..50 {
        s.record_concern(&concern_for(
            p,
            monday(),
            &format!("{marker} account {i}"),
            Some(&format!("{marker} words")),
        ))
        .unwrap();
    }
    s.record_voice(&NewVoice {
        pupil_id: p,
        details: VoiceDetails {
            spoken_at: monday(),
            words: format!("{marker} voice"),
            wishes: None,
            feelings: None,
            non_verbal: None,
            who_was_present: "DSL".into(),
            context: None,
        },
    })
    .unwrap();
    let hits = s.search("ZEBRACRANBERRY", 10).unwrap();
    assert!(
        !hits.is_empty(),
        "the marker is searchable inside the store"
    );
    // While the store is open: the WAL and SHM exist too.
    let scan = |when: &str| {
        let files = all_files(fx.dir.parent().unwrap());
        assert!(files.iter().any(|f| f.ends_with("records.db")));
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !contains(&bytes, b"ZEBRACRANBERRY"),
                "{when}: plaintext marker found in {}",
                f.display()
            );
            assert!(
                !contains(&bytes, b"SQLite format 3"),
                "{when}: unencrypted SQLite header in {}",
                f.display()
            );
        }
    };
    scan("open");
    assert!(
        all_files(&fx.dir)
            .iter()
            .any(|f| f.to_string_lossy().ends_with("-wal")),
        "WAL present while open"
    );
    drop(s);
    scan("closed");
    // Temporary tables and sort spills stay in memory, never in a plaintext temp file.
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    let temp_store: i64 = conn
        .query_row("PRAGMA temp_store", [], |r| r.get(0))
        .unwrap();
    assert_eq!(temp_store, 2, "temp_store must be MEMORY");
}

#[test]
fn wrong_passphrase_unknown_user_and_right_passphrase() {
    let (fx, s) = new_store();
    drop(s);
    assert!(matches!(
        fx.unlock(DSL, "not the passphrase"),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(
        fx.unlock("Nobody", DSL_PASS),
        Err(Error::WrongPassphrase)
    ));
    let s = fx.dsl();
    assert_eq!(s.user().name, DSL);
    // One program holds a store at a time, and is named to the next.
    match safeguard_core::unlock(&fx.dir, None, &pass(DSL_PASS), fx.opts()) {
        Err(Error::StoreInUse { holder }) => assert!(holder.contains("(process "), "{holder}"),
        other => panic!("expected StoreInUse, got {other:?}"),
    }
    drop(s);
    // With no user named, the passphrase chooses the slot.
    let s2 = safeguard_core::unlock(&fx.dir, None, &pass(DSL_PASS), fx.opts()).unwrap();
    assert_eq!(s2.user().name, DSL);
}

#[test]
fn recovery_key_resets_a_passphrase_and_a_wrong_one_does_not() {
    let (mut fx, s) = new_store();
    drop(s);
    let key = fx.recovery.take().unwrap();
    let wrong = RecoveryKey::generate().unwrap();
    assert!(matches!(
        safeguard_core::recover(
            &fx.dir,
            DSL,
            &wrong,
            &pass("brand new passphrase"),
            fx.opts()
        ),
        Err(Error::WrongPassphrase)
    ));
    let typed = key.expose_grouped().to_lowercase();
    let key = RecoveryKey::parse(&typed).unwrap();
    safeguard_core::recover(&fx.dir, DSL, &key, &pass("brand new passphrase"), fx.opts()).unwrap();
    assert!(matches!(
        fx.unlock(DSL, DSL_PASS),
        Err(Error::WrongPassphrase)
    ));
    fx.unlock(DSL, "brand new passphrase").unwrap();
}

#[test]
fn a_removed_user_cannot_unlock_and_the_old_key_no_longer_opens_the_store() {
    let (fx, mut s) = new_store();
    s.add_user("Tom Deputy", Role::Deputy, &pass("deputy passphrase"))
        .unwrap();
    let p = add_pupil(&mut s, "Kept", 1);
    s.record_concern(&concern_for(
        p,
        monday(),
        "Recorded before the removal",
        None,
    ))
    .unwrap();
    drop(s);
    // The departing deputy has (say) kept a copy of the data key.
    let old_key = testing::data_key(&fx.dir, "Tom Deputy", &pass("deputy passphrase")).unwrap();
    testing::open_with_key(&fx.dir, &old_key).unwrap();

    let mut s = fx.dsl();
    s.remove_user("Tom Deputy").unwrap();
    drop(s);
    assert!(matches!(
        fx.unlock("Tom Deputy", "deputy passphrase"),
        Err(Error::WrongPassphrase)
    ));
    assert!(
        testing::open_with_key(&fx.dir, &old_key).is_err(),
        "the old data key must not open the rekeyed store"
    );
    // Everyone else still gets in and nothing was lost.
    let mut s = fx.dsl();
    let chron = s.pupil_chronology(p, &Default::default()).unwrap();
    assert_eq!(chron.len(), 1);
    assert!(s.verify().unwrap().all_ok());
    assert!(
        s.users()
            .unwrap()
            .iter()
            .any(|u| u.name == "Tom Deputy" && !u.active)
    );
}

#[test]
fn changing_a_passphrase_retires_the_old_one() {
    let (fx, mut s) = new_store();
    s.change_passphrase(DSL, &pass("second passphrase"))
        .unwrap();
    drop(s);
    assert!(fx.unlock(DSL, DSL_PASS).is_err());
    fx.unlock(DSL, "second passphrase").unwrap();
}

#[test]
fn raw_update_and_delete_of_records_are_aborted_by_triggers() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Trigger", 2);
    let c = s
        .record_concern(&concern_for(p, monday(), "Original account", None))
        .unwrap();
    s.amend(
        RecordKind::Concern,
        c,
        "location",
        serde_json::json!("Hall"),
        "Location was wrong",
    )
    .unwrap();
    drop(s);
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    for sql in [
        "UPDATE concerns SET body = '{}'",
        "DELETE FROM concerns",
        "UPDATE pupils SET upn = NULL",
        "DELETE FROM pupils",
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "DELETE FROM amendments",
        "UPDATE search_text SET body = ''",
        "DELETE FROM users",
        "UPDATE settings SET value = '{}'",
    ] {
        let table = sql
            .split_whitespace()
            .find(|w| !["UPDATE", "DELETE", "FROM"].contains(w))
            .unwrap();
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert!(
            rows > 0,
            "{table} must hold rows for the trigger to be tested"
        );
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn an_amendment_keeps_the_version_it_was_made_at_and_a_changed_version_is_found_by_verify() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Version", 2);
    let c = s
        .record_concern(&concern_for(p, monday(), "Original account", None))
        .unwrap();
    s.amend(
        RecordKind::Concern,
        c,
        "location",
        serde_json::json!("Hall"),
        "Location was wrong",
    )
    .unwrap();
    assert!(s.verify().unwrap().all_ok());
    drop(s);
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    let version: Option<i64> = conn
        .query_row("SELECT schema_version FROM amendments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, Some(1), "the concern body's version when amended");
    // NULL stands only for an amendment made before versions were kept.
    let err = conn
        .execute(
            "INSERT INTO amendments (id, device_id, at, by_user, record_kind, record_id, field, value, reason)
             SELECT 'x', device_id, at, by_user, record_kind, record_id, field, value, reason FROM amendments",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("schema version"), "{err}");
    // Someone with the key changes which version the correction claims to be of.
    conn.execute_batch(
        "DROP TRIGGER amendments_no_update; UPDATE amendments SET schema_version = NULL;",
    )
    .unwrap();
    drop(conn);
    // The content check names the row (the dropped trigger is a schema problem of its own).
    let content = fx.dsl().verify().unwrap().chain.content_problems;
    assert!(
        content.iter().any(|p| p.contains("amendments")),
        "{content:?}"
    );
}

#[test]
fn a_changed_audit_event_is_found_and_named_by_verify() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Audit", 3);
    for i in 0..5 {
        s.record_concern(&concern_for(p, monday(), &format!("account {i}"), None))
            .unwrap();
    }
    assert!(s.verify().unwrap().all_ok());
    drop(s);
    // An attacker with the key and a SQL tool drops the trigger and edits event 4.
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute_batch("DROP TRIGGER audit_events_no_update; UPDATE audit_events SET action = 'session.unlock' WHERE device_seq = 4;").unwrap();
    drop(conn);
    let s = fx.dsl();
    let r = s.verify().unwrap();
    assert!(!r.all_ok());
    assert_eq!(r.chain.first_bad.as_ref().map(|b| b.1), Some(4));
}

#[test]
fn a_deleted_audit_event_breaks_the_chain() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Audit", 4);
    s.record_concern(&concern_for(p, monday(), "x", None))
        .unwrap();
    drop(s);
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE device_seq = 2;",
    )
    .unwrap();
    drop(conn);
    let r = fx.dsl().verify().unwrap();
    assert_eq!(r.chain.first_bad.as_ref().map(|b| b.1), Some(3));
}

#[test]
fn a_flipped_byte_in_the_database_is_detected() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Flip", 5);
    for i in 0..200 {
        s.record_concern(&concern_for(
            p,
            monday(),
            &format!("account {i} {}", "words ".repeat(50)),
            None,
        ))
        .unwrap();
    }
    drop(s);
    let db = fx.dir.join("records.db");
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 40_000);
    let at = bytes.len() / 2 + 100;
    bytes[at] ^= 0x5a;
    std::fs::write(&db, &bytes).unwrap();
    match fx.unlock(DSL, DSL_PASS) {
        Ok(s) => assert!(
            !s.verify().map(|r| r.all_ok()).unwrap_or(false),
            "verify must fail"
        ),
        Err(e) => assert!(matches!(e, Error::StoreDamaged { .. }), "{e:?}"),
    }
}

#[test]
fn a_damaged_keyring_is_a_clear_error_and_is_not_overwritten() {
    let (fx, s) = new_store();
    drop(s);
    let path = fx.dir.join(KEYRING_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&path, &bytes).unwrap();
    let e = fx.unlock(DSL, DSL_PASS).unwrap_err();
    assert!(matches!(e, Error::StoreDamaged { .. }), "{e:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the damaged keyring is left as it was"
    );
    // Creating a store over it is refused too.
    let again = safeguard_core::create_store(&fx.dir, &school(), DSL, &pass(DSL_PASS), fx.opts());
    assert!(matches!(again, Err(Error::AlreadyExists { .. })));
}

#[test]
fn a_store_from_a_newer_version_is_refused() {
    let (fx, s) = new_store();
    drop(s);
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(conn);
    match fx.unlock(DSL, DSL_PASS) {
        Err(Error::NewerStore { found: 99, .. }) => {}
        other => panic!("expected NewerStore, got {other:?}"),
    }
}

#[test]
fn backup_restores_to_a_new_folder_only_and_verifies() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Backup", 6);
    s.record_concern(&concern_for(
        p,
        monday(),
        "Backed-up account",
        Some("backed-up words"),
    ))
    .unwrap();
    let file = fx.dir.parent().unwrap().join("school.sgdbackup");
    s.backup(&file).unwrap();
    assert!(matches!(s.backup(&file), Err(Error::AlreadyExists { .. })));
    let bytes = std::fs::read(&file).unwrap();
    assert!(!contains(&bytes, b"Backed-up account"));
    // Never over an existing store.
    let e =
        safeguard_core::restore(&file, &fx.dir, Some(DSL), &pass(DSL_PASS), fx.opts()).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }));
    let target = fx.dir.parent().unwrap().join("restored");
    assert!(
        safeguard_core::restore(
            &file,
            &target,
            Some(DSL),
            &pass("wrong passphrase"),
            fx.opts()
        )
        .is_err()
    );
    assert!(!target.exists(), "a failed restore leaves nothing behind");
    let report =
        safeguard_core::restore(&file, &target, Some(DSL), &pass(DSL_PASS), fx.opts()).unwrap();
    assert!(report.all_ok());
    let mut r = safeguard_core::unlock(&target, Some(DSL), &pass(DSL_PASS), fx.opts()).unwrap();
    let chron = r.pupil_chronology(p, &Default::default()).unwrap();
    assert_eq!(chron[0].child_words.as_deref(), Some("backed-up words"));
    // A truncated backup is refused with a clear error.
    let cut = fx.dir.parent().unwrap().join("cut.sgdbackup");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let e = safeguard_core::restore(
        &cut,
        &fx.dir.parent().unwrap().join("r2"),
        Some(DSL),
        &pass(DSL_PASS),
        fx.opts(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::StoreDamaged { .. }), "{e:?}");
}

#[test]
fn weak_kdf_parameters_are_refused_at_creation() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = safeguard_core::StoreOptions::new(std::sync::Arc::new(
        safeguard_core::clock::ManualClock::new(monday()),
    ));
    opts.kdf = safeguard_core::keyring::KdfParams {
        m_kib: 8 * 1024,
        t: 1,
        p: 1,
    };
    let r =
        safeguard_core::create_store(&tmp.path().join("s"), &school(), DSL, &pass(DSL_PASS), opts);
    assert!(matches!(r, Err(Error::WeakKdfParameters)));
    assert!(!tmp.path().join("s").join(KEYRING_FILE).exists());
}

#[test]
fn error_messages_never_carry_record_content() {
    let (_fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Err", 7);
    let secret = "SECRET-CONTENT-991";
    let mut c = concern_for(p, monday(), secret, Some(secret));
    c.details.account = format!("{secret}{}", "x".repeat(200_000));
    let e = s.record_concern(&c).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }));
    assert!(!e.to_string().contains(secret));
    let dup = s
        .add_pupil(&pupil_details(secret, secret, "T000000000007"))
        .unwrap_err();
    assert!(!dup.to_string().contains(secret), "{dup}");
}
