//! The trust model, played against an attacker with the real key-derivation code and raw
//! SQLCipher (not only through the Session API): the keyring's signature and its check against
//! the database, the rekey that cannot lose the store, tamper evidence over content, recovery
//! key rotation, file modes, damaged files never re-initialised.

mod common;

use std::process::Command;

use common::*;
use safeguard_core::keyring::{KEYRING_FILE, KdfParams, Keyring, SlotKeys};
use safeguard_core::records::*;
use safeguard_core::secret::{AuthorityKey, RecoveryKey};
use safeguard_core::{Error, testing};

fn sgd(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sgd"));
    c.args(args).stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A store with a deputy, a staff member, a pupil and some records; no session open.
fn populated() -> (Fixture, Id, Vec<Id>) {
    let (fx, mut s) = new_store();
    s.add_user("Tom Deputy", Role::Deputy, &pass("deputy passphrase"))
        .unwrap();
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    let p = add_pupil(&mut s, "Kept", 1);
    let ids = (0..20)
        .map(|i| {
            s.record_concern(&concern_for(
                p,
                monday(),
                &format!("account {i}"),
                Some("words"),
            ))
            .unwrap()
        })
        .collect();
    drop(s);
    (fx, p, ids)
}

fn all_present(fx: &Fixture, pupil: Id, ids: &[Id]) {
    let mut s = fx.dsl();
    let present: Vec<Id> = s
        .pupil_chronology(pupil, &Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.record_id)
        .collect();
    for id in ids {
        assert!(present.contains(id), "record {id} lost");
    }
    let r = s.verify().unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
}

// ---- the rekey ----

#[test]
fn a_rekey_while_another_program_holds_a_read_transaction_loses_nothing() {
    let (fx, pupil, ids) = populated();
    let old_key = testing::data_key(&fx.dir, "Tom Deputy", &pass("deputy passphrase")).unwrap();
    // The attack the review reproduced: a second connection keeps the database busy for longer
    // than the busy timeout while the DSL removes a user. PRAGMA rekey said "ok" and lost it.
    let raw = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    raw.execute_batch("BEGIN; SELECT count(*) FROM concerns;")
        .unwrap();
    let mut s = fx.dsl();
    let r = s.remove_user("Tom Deputy");
    assert!(matches!(r, Err(Error::StoreBusy)), "{r:?}");
    // The session goes on working under the old key; nothing is lost.
    s.record_concern(&concern_for(pupil, monday(), "after the busy rekey", None))
        .unwrap();
    drop(s);
    raw.execute_batch("COMMIT").unwrap();
    drop(raw);
    // The next unlock finishes the rekey; the removed user's key no longer opens anything.
    all_present(&fx, pupil, &ids);
    assert!(testing::open_with_key(&fx.dir, &old_key).is_err());
    assert!(matches!(
        fx.unlock("Tom Deputy", "deputy passphrase"),
        Err(Error::WrongPassphrase)
    ));
}

#[test]
fn a_rekey_while_another_program_holds_the_write_lock_changes_nothing() {
    let (fx, pupil, ids) = populated();
    let mut s = fx.dsl();
    let dir = fx.dir.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let raw = testing::raw_connection(&dir, DSL, &pass(DSL_PASS)).unwrap();
        raw.execute_batch("BEGIN IMMEDIATE").unwrap();
        tx.send(()).unwrap();
        // Longer than the busy timeout (5 s).
        std::thread::sleep(std::time::Duration::from_secs(7));
        raw.execute_batch("COMMIT").unwrap();
    });
    rx.recv().unwrap();
    let r = s.remove_user("Tom Deputy");
    assert!(matches!(r, Err(Error::StoreBusy)), "{r:?}");
    drop(s);
    holder.join().unwrap();
    all_present(&fx, pupil, &ids);
    fx.unlock("Tom Deputy", "deputy passphrase").unwrap();
    // Tried again with nothing in the way, it completes.
    let mut s = fx.dsl();
    s.remove_user("Tom Deputy").unwrap();
    drop(s);
    all_present(&fx, pupil, &ids);
    assert!(fx.unlock("Tom Deputy", "deputy passphrase").is_err());
}

#[test]
fn an_injected_fault_at_every_step_of_a_rekey_leaves_a_store_that_opens_with_everything() {
    for point in [
        "rekey.exported",
        "rekey.checked",
        "rekey.before_rename",
        "rekey.renamed",
    ] {
        for mode in ["error", "abort"] {
            let (fx, pupil, ids) = populated();
            let store = fx.dir.to_str().unwrap();
            let fault = format!("{point}:{mode}");
            // A team member's removal rekeys (a member of staff never held the data key).
            let out = sgd(
                &["user", "remove", store, "--name", "Tom Deputy"],
                &[
                    ("SGD_PASSPHRASE", DSL_PASS),
                    ("SGD_USER", DSL),
                    ("SGD_FAULT", &fault),
                ],
            );
            assert!(!out.status.success(), "{fault}: {}", text(&out));
            all_present(&fx, pupil, &ids);
            assert!(
                matches!(
                    fx.unlock("Tom Deputy", "deputy passphrase"),
                    Err(Error::WrongPassphrase)
                ),
                "{fault}: the removed user is out"
            );
            let kr = Keyring::load(&fx.dir).unwrap();
            assert!(
                !kr.rekey_in_flight(),
                "{fault}: the DSL's unlock finished the rekey"
            );
        }
    }
}

#[test]
fn a_rekey_without_room_for_a_copy_is_refused_before_anything_changes() {
    let (fx, pupil, ids) = populated();
    let store = fx.dir.to_str().unwrap();
    // A file-size limit smaller than the database: the copy cannot be written. (RLIMIT_FSIZE
    // delivers SIGXFSZ, which ends the process like a full disk ending a write.)
    let db_len = std::fs::metadata(fx.dir.join("records.db")).unwrap().len();
    let out = Command::new("prlimit")
        .arg(format!("--fsize={}", db_len / 2))
        .arg(env!("CARGO_BIN_EXE_sgd"))
        .args(["user", "remove", store, "--name", "Tom Deputy"])
        .env("SGD_PASSPHRASE", DSL_PASS)
        .env("SGD_USER", DSL)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    all_present(&fx, pupil, &ids);
    assert!(matches!(
        fx.unlock("Tom Deputy", "deputy passphrase"),
        Err(Error::WrongPassphrase)
    ));
}

#[test]
fn a_rekey_on_a_full_disk_is_refused_clearly_and_the_store_opens_with_everything() {
    let (fx, pupil, ids) = populated();
    let store = fx.dir.to_str().unwrap();
    let before = Keyring::load(&fx.dir).unwrap().content_digest();
    let out = sgd(
        &["recovery", "rotate", store],
        &[
            ("SGD_PASSPHRASE", DSL_PASS),
            ("SGD_USER", DSL),
            ("SGD_FAULT", "rekey.space:diskfull"),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("[DiskFull]"), "{}", text(&out));
    assert!(
        Keyring::load(&fx.dir).unwrap().content_digest() == before,
        "refused before any slot or key changed (closing re-signed only the anchor)"
    );
    all_present(&fx, pupil, &ids);
}

#[test]
fn a_backup_that_cannot_be_written_leaves_nothing_under_its_name() {
    let (fx, _, _) = populated();
    let store = fx.dir.to_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let dest = out_dir.path().join("backup.sgdbackup");
    // As a full disk: a file-size limit smaller than the database.
    let db_len = std::fs::metadata(fx.dir.join("records.db")).unwrap().len();
    let out = Command::new("prlimit")
        .arg(format!("--fsize={}", db_len / 2))
        .arg(env!("CARGO_BIN_EXE_sgd"))
        .args(["backup", store, dest.to_str().unwrap()])
        .env("SGD_PASSPHRASE", DSL_PASS)
        .env("SGD_USER", DSL)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!dest.exists(), "no partial backup under the real name");
    // Killed by the limit, the partial file beside it may stay: the next backup into that
    // folder still works, and never under a name that exists.
    let again = sgd(
        &["backup", store, dest.to_str().unwrap()],
        &[("SGD_PASSPHRASE", DSL_PASS), ("SGD_USER", DSL)],
    );
    assert!(again.status.success(), "{}", text(&again));
    let twice = sgd(
        &["backup", store, dest.to_str().unwrap()],
        &[("SGD_PASSPHRASE", DSL_PASS), ("SGD_USER", DSL)],
    );
    assert!(
        !twice.status.success(),
        "a backup is never written over another file"
    );
    let restored = out_dir.path().join("restored");
    safeguard_core::restore(&dest, &restored, Some(DSL), &pass(DSL_PASS), fx.opts()).unwrap();
}

// ---- the keyring ----

fn keyring_json(fx: &Fixture) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap()).unwrap()
}

fn write_keyring(fx: &Fixture, v: &serde_json::Value) {
    std::fs::write(
        fx.dir.join(KEYRING_FILE),
        serde_json::to_vec_pretty(v).unwrap(),
    )
    .unwrap();
}

fn refused_and_untouched(fx: &Fixture, what: &str) {
    let before = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    for (user, p) in [(DSL, DSL_PASS), ("Sue Staff", "staff passphrase")] {
        match fx.open_any(user, p) {
            Err(Error::KeyringTampered { .. }) => {}
            other => panic!("{what}: {user} expected KeyringTampered, got {other:?}"),
        }
    }
    assert_eq!(
        std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap(),
        before,
        "{what}: a refused keyring is never resealed or rewritten"
    );
}

#[test]
fn a_planted_swapped_or_duplicated_slot_is_refused_and_never_resealed_to() {
    let (fx, _, _) = populated();
    let good = keyring_json(&fx);
    let slots = good["slots"].as_array().unwrap().clone();
    let dsl_id = slots.iter().find(|s| s["user_name"] == DSL).unwrap()["user_id"].clone();
    let staff = slots
        .iter()
        .find(|s| s["user_name"] == "Sue Staff")
        .unwrap()
        .clone();

    // Staff plant a copy of their own slot bound to the DSL's id, with no name.
    let mut planted = good.clone();
    let mut p = staff.clone();
    p["user_id"] = dsl_id.clone();
    p["user_name"] = serde_json::Value::Null;
    p["id"] = serde_json::json!(uuid::Uuid::now_v7().to_string());
    planted["slots"].as_array_mut().unwrap().push(p);
    write_keyring(&fx, &planted);
    let e = fx.unlock(DSL, DSL_PASS).unwrap_err();
    assert!(matches!(e, Error::KeyringTampered { .. }), "{e:?}");

    // A staff slot promoted to DSL.
    let mut promoted = good.clone();
    for s in promoted["slots"].as_array_mut().unwrap() {
        if s["user_name"] == "Sue Staff" {
            s["role"] = serde_json::json!("dsl");
        }
    }
    write_keyring(&fx, &promoted);
    refused_and_untouched(&fx, "promoted");

    // The recovery slot's public key swapped for one the attacker holds.
    let mut swapped = good.clone();
    for s in swapped["slots"].as_array_mut().unwrap() {
        if s["kind"] == "recovery" {
            s["public_key"] = staff["public_key"].clone();
        }
    }
    write_keyring(&fx, &swapped);
    refused_and_untouched(&fx, "swapped recovery key");

    // A slot duplicated.
    let mut dup = good.clone();
    dup["slots"].as_array_mut().unwrap().push(staff.clone());
    write_keyring(&fx, &dup);
    refused_and_untouched(&fx, "duplicated");

    // Back to the real one: everything opens again.
    write_keyring(&fx, &good);
    fx.dsl();
}

#[test]
fn a_whole_keyring_forged_by_an_insider_with_the_data_key_is_refused() {
    // A deputy holds the data key: they can make a complete new keyring, signed by an
    // authority of their own, with a "DSL" slot whose passphrase they know. The database
    // records the real authority, so it is refused.
    let (fx, _, _) = populated();
    let key = testing::data_key(&fx.dir, "Tom Deputy", &pass("deputy passphrase")).unwrap();
    let real = Keyring::load(&fx.dir).unwrap();
    let dsl_id = slot_user_id(&real, DSL);
    let forger = AuthorityKey::generate().unwrap();
    let mut forged = Keyring::new(real.store_id(), &forger, &real.team_public().unwrap());
    let keys = SlotKeys {
        data_key: &key,
        previous: None,
        authority: &forger,
        roster_key: None,
        removed_users: &[],
    };
    forged
        .set_user_slot(
            dsl_id,
            DSL,
            Role::Dsl,
            &pass("attacker passphrase"),
            &keys,
            KdfParams::DEFAULT,
        )
        .unwrap();
    forged
        .set_recovery_slot(&RecoveryKey::generate().unwrap(), &keys, KdfParams::DEFAULT)
        .unwrap();
    for _ in 0..10 {
        forged.sign(&forger); // a generation far ahead of the database's
    }
    forged.save_signed(&fx.dir).unwrap();
    match fx.unlock(DSL, "attacker passphrase") {
        Err(Error::KeyringTampered { detail }) => assert!(detail.contains("authority"), "{detail}"),
        other => panic!("expected KeyringTampered, got {other:?}"),
    }
}

#[test]
fn a_rolled_back_keyring_is_refused() {
    let (fx, _, _) = populated();
    let old = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    // The DSL resets the deputy's passphrase (their old one should now open nothing).
    let mut s = fx.dsl();
    s.change_passphrase("Tom Deputy", &pass("reset deputy passphrase"))
        .unwrap();
    drop(s);
    // They put back the keyring from before the reset.
    std::fs::write(fx.dir.join(KEYRING_FILE), &old).unwrap();
    match fx.unlock("Tom Deputy", "deputy passphrase") {
        Err(Error::KeyringTampered { detail }) => assert!(detail.contains("older"), "{detail}"),
        other => panic!("expected KeyringTampered, got {other:?}"),
    }
    assert!(matches!(
        fx.unlock(DSL, DSL_PASS),
        Err(Error::KeyringTampered { .. })
    ));
    assert_eq!(
        std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap(),
        old,
        "a refused keyring is never resealed or rewritten"
    );
}

#[test]
fn a_removed_users_old_slot_and_old_keyring_open_nothing_new() {
    let (fx, _, _) = populated();
    let old_keyring = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    let mut s = fx.dsl();
    s.remove_user("Tom Deputy").unwrap();
    drop(s);
    // Offline, with their passphrase and the keyring they copied before leaving.
    let kr = Keyring::parse(&old_keyring).unwrap();
    let theirs = kr
        .unlock_user(Some("Tom Deputy"), &pass("deputy passphrase"))
        .unwrap();
    assert!(testing::open_with_key(&fx.dir, &theirs.data_key.unwrap()).is_err());
    assert!(theirs.previous_data_key.is_none());
}

#[test]
fn only_dsl_slots_open_the_authority() {
    let (fx, _, _) = populated();
    let kr = Keyring::load(&fx.dir).unwrap();
    for (user, p, holds) in [
        (DSL, DSL_PASS, true),
        ("Tom Deputy", "deputy passphrase", false),
        ("Sue Staff", "staff passphrase", false),
    ] {
        let u = kr.unlock_user(Some(user), &pass(p)).unwrap();
        assert_eq!(u.authority.is_some(), holds, "{user}");
    }
    let rec = kr.unlock_recovery(fx.recovery.as_ref().unwrap()).unwrap();
    assert!(rec.authority.is_some());
}

#[test]
fn a_deputy_changes_their_own_passphrase_without_the_authority() {
    let (fx, _, _) = populated();
    let mut d = fx.unlock("Tom Deputy", "deputy passphrase").unwrap();
    d.change_passphrase("Tom Deputy", &pass("deputy passphrase two"))
        .unwrap();
    assert!(matches!(
        d.change_passphrase("Sue Staff", &pass("not allowed phrase")),
        Err(Error::Forbidden)
    ));
    drop(d);
    assert!(fx.unlock("Tom Deputy", "deputy passphrase").is_err());
    fx.unlock("Tom Deputy", "deputy passphrase two").unwrap();
}

// ---- recovery key rotation ----

#[test]
fn after_a_rotation_the_old_recovery_key_opens_nothing() {
    let (mut fx, pupil, ids) = populated();
    let old_recovery = fx.recovery.take().unwrap();
    let old_keyring = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    let mut s = fx.dsl();
    let new_recovery = s.rotate_recovery_key().unwrap();
    drop(s);
    assert!(matches!(
        safeguard_core::recover(
            &fx.dir,
            "Sue Staff",
            &old_recovery,
            &pass("new staff passphrase"),
            fx.opts()
        ),
        Err(Error::WrongPassphrase)
    ));
    // Nor with a copy of the keyring from before: its data key no longer opens the database.
    let old = Keyring::parse(&old_keyring)
        .unwrap()
        .unlock_recovery(&old_recovery)
        .unwrap();
    assert!(testing::open_with_key(&fx.dir, &old.data_key.unwrap()).is_err());
    safeguard_core::recover(
        &fx.dir,
        "Sue Staff",
        &new_recovery,
        &pass("new staff passphrase"),
        fx.opts(),
    )
    .unwrap();
    fx.staff("Sue Staff", "new staff passphrase").unwrap();
    all_present(&fx, pupil, &ids);
}

#[test]
fn a_keyring_signed_with_a_kept_authority_key_but_never_recorded_is_refused_by_the_team() {
    // Whoever saw the old recovery key (a DSL who has left) can still open the old keyring's
    // recovery slot offline, and with it the authority's secret. They sign a keyring that swaps
    // the deputy's slot for one whose passphrase they know, so the next rekey would seal the new
    // database key to them. The database never recorded it: every team unlock refuses it.
    let (mut fx, _, _) = populated();
    let old_recovery = fx.recovery.take().unwrap();
    let old_keyring = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    let mut s = fx.dsl();
    s.rotate_recovery_key().unwrap();
    drop(s);
    let kept = Keyring::parse(&old_keyring)
        .unwrap()
        .unlock_recovery(&old_recovery)
        .unwrap()
        .authority
        .expect("the recovery slot opens the authority");
    let mut forged = Keyring::load(&fx.dir).unwrap();
    let deputy = slot_user_id(&forged, "Tom Deputy");
    let any_key = safeguard_core::secret::DataKey::generate().unwrap();
    let keys = SlotKeys {
        data_key: &any_key,
        previous: None,
        authority: &kept,
        roster_key: None,
        removed_users: &[],
    };
    forged
        .set_user_slot(
            deputy,
            "Tom Deputy",
            Role::Deputy,
            &pass("attacker passphrase"),
            &keys,
            KdfParams::DEFAULT,
        )
        .unwrap();
    forged.sign(&kept);
    forged.save_signed(&fx.dir).unwrap();
    let before = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    match fx.unlock(DSL, DSL_PASS) {
        Err(Error::KeyringTampered { detail }) => {
            assert!(detail.contains("never recorded"), "{detail}")
        }
        other => panic!("expected KeyringTampered, got {other:?}"),
    }
    let out = sgd(
        &["verify", fx.dir.to_str().unwrap()],
        &[("SGD_PASSPHRASE", DSL_PASS), ("SGD_USER", DSL)],
    );
    assert!(!out.status.success(), "verify must fail: {}", text(&out));
    assert_eq!(
        std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap(),
        before,
        "a refused keyring is never resealed to"
    );
}

#[test]
fn a_keyring_change_cut_short_between_its_record_and_its_file_keeps_the_store_open() {
    // Each command as (what, its words before the store folder, after it, extra environment).
    type Command<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
    );
    let ops: [Command; 4] = [
        (
            "user add",
            &["user", "add"],
            &["--name", "New Staff", "--role", "staff"],
            &[("SGD_NEW_PASSPHRASE", "new staff passphrase")],
        ),
        (
            "user remove",
            &["user", "remove"],
            &["--name", "Tom Deputy"],
            &[],
        ),
        (
            "passwd",
            &["passwd"],
            &["--name", "Sue Staff"],
            &[("SGD_NEW_PASSPHRASE", "reset staff passphrase")],
        ),
        ("recovery rotate", &["recovery", "rotate"], &[], &[]),
    ];
    for (what, before, after, extra) in ops {
        for mode in ["error", "abort"] {
            let (fx, pupil, ids) = populated();
            let store = fx.dir.to_str().unwrap().to_owned();
            let argv: Vec<&str> = before
                .iter()
                .copied()
                .chain([store.as_str()])
                .chain(after.iter().copied())
                .collect();
            let fault = format!("keyring.recorded:{mode}");
            let mut env = vec![
                ("SGD_PASSPHRASE", DSL_PASS),
                ("SGD_USER", DSL),
                ("SGD_FAULT", fault.as_str()),
            ];
            env.extend(extra.iter().copied());
            let out = sgd(&argv, &env);
            assert!(!out.status.success(), "{what} {mode}: {}", text(&out));
            // Twice: the first unlock records what is on disk, and closing re-signs it.
            all_present(&fx, pupil, &ids);
            all_present(&fx, pupil, &ids);
            if what == "user remove" {
                // The removal was recorded; the DSL's unlock finished it.
                assert!(fx.unlock("Tom Deputy", "deputy passphrase").is_err());
                continue;
            }
            // Done again without the fault, it completes, and the store still opens. (A user
            // added without a slot gets one when the DSL resets their passphrase.)
            let mut env: Vec<_> = env.into_iter().filter(|(k, _)| *k != "SGD_FAULT").collect();
            let argv = match what {
                "user add" => {
                    env.push(("SGD_NEW_PASSPHRASE", "new staff passphrase"));
                    vec!["passwd", store.as_str(), "--name", "New Staff"]
                }
                _ => argv,
            };
            let again = sgd(&argv, &env);
            assert!(
                again.status.success(),
                "{what} {mode} again: {}",
                text(&again)
            );
            all_present(&fx, pupil, &ids);
        }
    }
}

#[test]
fn a_removal_cut_short_leaves_a_slot_that_is_sealed_nothing_new() {
    let (fx, pupil, ids) = populated();
    let store = fx.dir.to_str().unwrap();
    let out = sgd(
        &["user", "remove", store, "--name", "Tom Deputy"],
        &[
            ("SGD_PASSPHRASE", DSL_PASS),
            ("SGD_USER", DSL),
            ("SGD_FAULT", "keyring.recorded:abort"),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    // The removal is recorded; the keyring on disk still has the deputy's slot.
    let orphaned = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    let theirs = Keyring::parse(&orphaned)
        .unwrap()
        .unlock_user(Some("Tom Deputy"), &pass("deputy passphrase"))
        .expect("the cut-short removal left the slot");
    assert!(
        fx.unlock("Tom Deputy", "deputy passphrase").is_err(),
        "a removed user's slot opens no session"
    );
    // The DSL's unlock finishes the removal with a rekey: what the slot held opens nothing.
    all_present(&fx, pupil, &ids);
    assert!(testing::open_with_key(&fx.dir, &theirs.data_key.unwrap()).is_err());
    assert!(
        !Keyring::load(&fx.dir)
            .unwrap()
            .has_user(theirs.user_id.unwrap())
    );
}

// ---- tamper evidence over content ----

fn tamper(fx: &Fixture, sql: &str) {
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn verify_problems(fx: &Fixture) -> Vec<String> {
    let r =
        safeguard_core::verify_store(&fx.dir, Some(DSL), &pass(DSL_PASS), &fx.opts(), &[]).unwrap();
    r.problems()
}

fn trigger_sql(fx: &Fixture, name: &str) -> String {
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.query_row(
        "SELECT sql FROM sqlite_master WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .unwrap()
}

/// SQL an attacker with the key runs, made from the store (to restore a trigger they dropped).
type Tampering = dyn Fn(&Fixture) -> String;

#[test]
fn verify_names_each_kind_of_tampering() {
    let cases: &[(&str, &Tampering, &str)] = &[
        (
            "content rewritten behind a dropped (and restored) trigger",
            &|fx| {
                let t = trigger_sql(fx, "concerns_no_update");
                format!(
                    "DROP TRIGGER concerns_no_update; UPDATE concerns SET body = replace(body, 'account 3', 'account X') WHERE seq = 4; {t};"
                )
            },
            "concerns row 4 differs from what audit event",
        ),
        (
            "a row deleted",
            &|fx| {
                let t = trigger_sql(fx, "concerns_no_delete");
                format!(
                    "DROP TRIGGER concerns_no_delete; DELETE FROM concern_children; DELETE FROM concerns WHERE seq = 7; {t};"
                )
            },
            "accounts for concerns row 7, which is missing",
        ),
        (
            "the audit tail cut",
            &|fx| {
                let t = trigger_sql(fx, "audit_events_no_delete");
                format!(
                    "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq > (SELECT max(seq) - 30 FROM audit_events); {t};"
                )
            },
            "the audit trail ends before event",
        ),
        (
            "a trigger dropped",
            &|_| "DROP TRIGGER amendments_no_update;".to_string(),
            "trigger amendments_no_update is missing",
        ),
        (
            "a row with no event",
            &|_| {
                "INSERT INTO settings (id, device_id, at, by_user, key, value) SELECT 'x1', device_id, at, by_user, 'idle_lock_minutes', '60' FROM settings LIMIT 1;".to_string()
            },
            "has no audit event",
        ),
        (
            "a reference to nothing",
            &|_| {
                "PRAGMA foreign_keys = OFF; INSERT INTO concern_children (concern_id, pupil_id, name, role) VALUES ('no-such-concern', NULL, 'A', 'witness');".to_string()
            },
            "refers to a concerns row that does not exist",
        ),
        (
            "an object added",
            &|_| "CREATE TRIGGER sneaky AFTER INSERT ON concerns BEGIN SELECT 1; END;".to_string(),
            "trigger sneaky is not part of this version's schema",
        ),
    ];
    for (what, sql, expected) in cases {
        let (fx, _, _) = populated();
        // A DSL session closes, anchoring the chain head in the signed keyring.
        drop(fx.dsl());
        assert!(verify_problems(&fx).is_empty(), "{what}: clean before");
        tamper(&fx, &sql(&fx));
        let problems = verify_problems(&fx);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{what}: expected a problem containing {expected:?}, got {problems:#?}"
        );
    }
}

#[test]
fn sgd_verify_changes_nothing_and_checks_an_expected_head() {
    let (fx, _, _) = populated();
    let store = fx.dir.to_str().unwrap();
    let env = [("SGD_PASSPHRASE", DSL_PASS), ("SGD_USER", DSL)];
    // What the store holds: the database (with any WAL content) and the keyring. A read-only
    // opener may leave an empty WAL beside it; that holds nothing.
    let files = |fx: &Fixture| -> Vec<(String, String)> {
        use sha2::Digest;
        ["records.db", "records.db-wal", KEYRING_FILE]
            .iter()
            .filter_map(|f| {
                std::fs::read(fx.dir.join(f))
                    .ok()
                    .map(|b| (f.to_string(), b))
            })
            .filter(|(_, b)| !b.is_empty())
            .map(|(f, b)| (f, hex::encode(sha2::Sha256::digest(&b))))
            .collect()
    };
    let before = files(&fx);
    let out = sgd(&["verify", store], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(files(&fx), before, "verify wrote to the store it checked");
    let t = text(&out);
    let head = t
        .lines()
        .find(|l| l.starts_with("chain head:"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>();
    let (seq, hash) = (head[5], head[7]);
    assert_eq!(hash.len(), 64, "the full 256-bit head is printed");
    let ok = sgd(
        &["verify", store, "--expect", &format!("{seq}:{hash}")],
        &env,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let wrong = format!("{seq}:{}", "0".repeat(64));
    let bad = sgd(&["verify", store, "--expect", &wrong], &env);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("does not hold the expected head"),
        "{}",
        text(&bad)
    );
    let malformed = sgd(&["verify", store, "--expect", "12:abc"], &env);
    assert!(
        text(&malformed).contains("full 64 hexadecimal"),
        "{}",
        text(&malformed)
    );
}

// ---- files ----

#[cfg(unix)]
#[test]
fn every_file_the_app_writes_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    // The usual loose umask (files 0644, folders 0755): every mode below is the app's own.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let (fx, pupil, _) = populated();
    // A member of staff's items, attachment and draft; the DSL's unlock files some of them.
    let mut sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    let c = sue
        .record_concern(&concern_for(pupil, monday(), "private files", None))
        .unwrap();
    sue.attach_file(c, "note.txt", "text/plain", b"note")
        .unwrap();
    sue.save_draft("concern", r#"{"account":"draft"}"#).unwrap();
    drop(sue);
    std::fs::write(fx.dir.join("inbox").join("junk.item"), b"junk").unwrap();
    let mut s = fx.dsl();
    assert_eq!(s.inbox_report().unwrap().filed, 2);
    s.remove_user("Tom Deputy").unwrap(); // the database file is replaced by a rekey
    assert!(
        matches!(
            fx.staff("Sue Staff", "staff passphrase"),
            Err(Error::StoreInUse { .. })
        ),
        "one program at a time, staff sessions included"
    );
    let parent = fx.dir.parent().unwrap();
    let backup = parent.join("b.sgdbackup");
    s.backup(&backup).unwrap();
    let pdf = parent.join("file.pdf");
    let doc = s.child_file_pdf(pupil).unwrap();
    safeguard_core::pdf::save_to(&pdf, &doc.bytes).unwrap();
    assert!(
        matches!(
            safeguard_core::pdf::save_to(&pdf, &doc.bytes),
            Err(Error::AlreadyExists { .. })
        ),
        "a document is never written over an existing file without the dialog's confirmation"
    );
    // An email draft saved over a file the save dialog confirmed replacing (one left 0644).
    let eml = parent.join("referral.eml");
    std::fs::write(&eml, b"old").unwrap();
    std::fs::set_permissions(&eml, std::fs::Permissions::from_mode(0o644)).unwrap();
    let draft = s
        .referral_email(&safeguard_core::session::ReferralSelection {
            pupil_id: pupil,
            ..Default::default()
        })
        .unwrap();
    safeguard_core::pdf::save_over(&eml, &draft.eml).unwrap();
    let check = |p: &std::path::Path| {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", p.display());
    };
    // While the store is open: database, WAL, SHM, lock, keyring, roster, and the inbox's
    // items, receipts, set-aside items and drafts, with every folder of it.
    let files = all_files(&fx.dir);
    for f in &files {
        check(f);
        let mut dir = f.parent().unwrap();
        while dir != fx.dir {
            check(dir);
            dir = dir.parent().unwrap();
        }
    }
    for part in [
        "roster.sealed",
        "inbox/filed",
        "inbox/rejected",
        "inbox/drafts",
    ] {
        assert!(fx.dir.join(part).exists(), "{part} was written");
    }
    check(&fx.dir);
    drop(s);
    let restored = parent.join("restored");
    safeguard_core::restore(&backup, &restored, Some(DSL), &pass(DSL_PASS), fx.opts()).unwrap();
    for f in [backup.clone(), pdf.clone(), eml.clone(), restored.clone()]
        .into_iter()
        .chain(all_files(&restored))
    {
        check(&f);
    }
}

#[test]
fn an_empty_or_truncated_database_is_damage_and_is_left_as_it_was() {
    for cut in [0usize, 1000, 4097] {
        let (fx, _, _) = populated();
        let db = fx.dir.join("records.db");
        let bytes = std::fs::read(&db).unwrap();
        std::fs::write(&db, &bytes[..cut.min(bytes.len())]).unwrap();
        let _ = std::fs::remove_file(fx.dir.join("records.db-wal"));
        let e = fx.unlock(DSL, DSL_PASS).unwrap_err();
        assert!(matches!(e, Error::StoreDamaged { .. }), "cut {cut}: {e:?}");
        assert_eq!(
            std::fs::read(&db).unwrap().len(),
            cut,
            "cut {cut}: the file was changed"
        );
    }
}

#[test]
fn the_two_binaries_cannot_be_dumped() {
    // Checked in a child process that hardened itself (the test harness must stay debuggable).
    if std::env::var("SGD_HARDEN_CHILD").is_ok() {
        safeguard_core::process::harden();
        assert!(!safeguard_core::process::is_dumpable());
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        assert!(core.split_whitespace().nth(4) == Some("0"), "{core}");
        println!("HARDENED");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "the_two_binaries_cannot_be_dumped",
            "--exact",
            "--nocapture",
        ])
        .env("SGD_HARDEN_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out).contains("HARDENED"),
        "{}",
        text(&out)
    );
}

// ---- roles in the cryptography: the insider catalogue ----

/// Sue (staff) with her own passphrase, every file of the store and SQLCipher, offline: she
/// opens her own inbox items and the roster (names and years), and nothing else — not the
/// database, not Sam's items, not the team's wrap of her own.
#[test]
fn a_staff_passphrase_and_every_file_open_only_that_persons_own_inbox_items() {
    use safeguard_core::inbox::{self, InboxDir, StaticSecret};
    let (fx, pupil, _) = populated();
    let mut s = fx.dsl();
    s.add_user("Sam Staff", Role::Staff, &pass("sam's staff passphrase"))
        .unwrap();
    drop(s);
    for (user, p, marker) in [
        ("Sue Staff", "staff passphrase", "SUEMARKER hungry at lunch"),
        (
            "Sam Staff",
            "sam's staff passphrase",
            "SAMMARKER bruise on the wrist",
        ),
    ] {
        let mut staff = fx.staff(user, p).unwrap();
        staff
            .record_concern(&concern_for(
                pupil,
                monday(),
                marker,
                Some("SAMMARKER said"),
            ))
            .unwrap();
    }
    // Everything Sue can take: her passphrase through the real key derivation, and the files.
    let sue = testing::slot_secret(&fx.dir, "Sue Staff", &pass("staff passphrase")).unwrap();
    let slot = Keyring::load(&fx.dir)
        .unwrap()
        .unlock_user(Some("Sue Staff"), &pass("staff passphrase"))
        .unwrap();
    assert!(
        slot.data_key.is_none() && slot.previous_data_key.is_none() && slot.authority.is_none()
    );
    let roster_key = slot.roster_key.unwrap();
    let private = inbox::private_key(&sue).unwrap();
    for (what, key) in [
        ("her slot secret", *sue),
        ("the roster key", *roster_key.expose_secret()),
        ("her private key", *private.expose_secret()),
    ] {
        assert!(
            !testing::opens_with_raw_key(&fx.dir, &key),
            "{what} opens the database"
        );
    }
    // The DSL's key does: the probe itself works.
    let dsl_key = testing::data_key(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    assert!(testing::opens_with_raw_key(
        &fx.dir,
        dsl_key.expose_secret()
    ));

    let secret = StaticSecret::from(*sue);
    let mut own = 0;
    let pending = InboxDir::of(&fx.dir).pending().unwrap();
    assert_eq!(pending.len(), 2);
    for path in &pending {
        let item = InboxDir::read(path).unwrap();
        assert!(
            item.open_as_team(&secret).is_none(),
            "her key is not the team's"
        );
        if let Some(body) = item.open_as_author(&secret) {
            own += 1;
            let text = serde_json::to_string(&body).unwrap();
            assert!(text.contains("SUEMARKER") && !text.contains("SAMMARKER bruise"));
        }
    }
    assert_eq!(own, 1, "only her own item opens");
    let roster = inbox::open_roster(
        &roster_key,
        Keyring::load(&fx.dir).unwrap().store_id(),
        &std::fs::read(fx.dir.join(inbox::ROSTER_FILE)).unwrap(),
    )
    .unwrap();
    assert!(
        roster
            .pupils
            .iter()
            .all(|p| p.protection_status.is_none() && p.date_of_birth.is_none())
    );
    // No marker in plaintext anywhere in the store folder.
    for f in all_files(&fx.dir) {
        let bytes = std::fs::read(&f).unwrap();
        for m in [&b"SUEMARKER"[..], b"SAMMARKER", b"account 1"] {
            assert!(!contains(&bytes, m), "plaintext in {}", f.display());
        }
    }
}

/// The keyring check at unlock is what stops a member of staff gaining the database key, and a
/// forged team inbox key: each is refused, and nothing is sealed to it.
#[test]
fn a_data_key_sealed_to_staff_or_a_swapped_team_key_is_refused() {
    let (fx, _, _) = populated();
    let good = keyring_json(&fx);
    // Staff copy the deputy's sealed data key into their slot (signature breaks).
    let mut planted = good.clone();
    let deputy_key = good["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_name"] == "Tom Deputy")
        .unwrap()["data_key"]
        .clone();
    for s in planted["slots"].as_array_mut().unwrap() {
        if s["user_name"] == "Sue Staff" {
            s["data_key"] = deputy_key.clone();
        }
    }
    write_keyring(&fx, &planted);
    refused_and_untouched(&fx, "a data key in a staff slot");
    // The team inbox key swapped for one the attacker holds.
    let mut swapped = good.clone();
    swapped["team_public"] = serde_json::json!(hex::encode([9u8; 32]));
    write_keyring(&fx, &swapped);
    refused_and_untouched(&fx, "a swapped team key");
    write_keyring(&fx, &good);
    fx.staff("Sue Staff", "staff passphrase").unwrap();
}

/// What a member of staff records is filed by the next DSL or deputy unlock; an item that is
/// damaged, or claims an author whose key did not make it, is set aside untouched and named.
#[test]
fn the_inbox_is_filed_at_unlock_and_bad_items_are_set_aside_unchanged() {
    use safeguard_core::inbox::InboxDir;
    let (fx, pupil, ids) = populated();
    let mut sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    let good = sue
        .record_concern(&concern_for(pupil, monday(), "filed from the inbox", None))
        .unwrap();
    let bad = sue
        .record_concern(&concern_for(pupil, monday(), "this one is damaged", None))
        .unwrap();
    drop(sue);
    let inbox = fx.dir.join("inbox");
    let damaged = inbox.join(format!("{bad}.item"));
    let mut bytes = std::fs::read(&damaged).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&damaged, &bytes).unwrap();
    std::fs::write(inbox.join("noise.item"), b"not an item at all").unwrap();

    let mut d = fx.unlock("Tom Deputy", "deputy passphrase").unwrap();
    let report = d.inbox_report().unwrap();
    assert_eq!(report.filed, 1, "{report:?}");
    assert_eq!(report.set_aside.len(), 2, "{report:?}");
    assert_eq!(report.set_aside_total, 2);
    let chron = d.pupil_chronology(pupil, &Default::default()).unwrap();
    assert!(
        chron
            .iter()
            .any(|e| e.record_id == good && e.author == "Sue Staff")
    );
    assert!(!chron.iter().any(|e| e.record_id == bad));
    assert!(
        d.verify().unwrap().all_ok(),
        "{:?}",
        d.verify().unwrap().problems()
    );
    drop(d);
    // Set aside, byte for byte; nothing waits any more; a second unlock files nothing twice.
    assert_eq!(
        std::fs::read(inbox.join("rejected").join(format!("{bad}.item"))).unwrap(),
        bytes
    );
    assert!(InboxDir::of(&fx.dir).pending().unwrap().is_empty());
    let mut s = fx.dsl();
    assert_eq!(s.inbox_report().unwrap().filed, 0);
    let concerns = s
        .pupil_chronology(pupil, &Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.record_id == good)
        .count();
    assert_eq!(concerns, 1);
    drop(s);
    all_present(&fx, pupil, &ids);
}

/// Removing a member of staff rotates the roster key and never rekeys the database (they never
/// held its key); their old slot then opens nothing new.
#[test]
fn removing_staff_rotates_the_roster_key_without_a_rekey() {
    use safeguard_core::inbox;
    let (fx, pupil, ids) = populated();
    let old_roster_key = Keyring::load(&fx.dir)
        .unwrap()
        .unlock_user(Some("Sue Staff"), &pass("staff passphrase"))
        .unwrap()
        .roster_key
        .unwrap();
    let db_before = std::fs::metadata(fx.dir.join("records.db")).unwrap();
    let mut s = fx.dsl();
    s.remove_user("Sue Staff").unwrap();
    drop(s);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(fx.dir.join("records.db")).unwrap().ino(),
        db_before.ino(),
        "no rekey: the database file was not replaced"
    );
    let store_id = Keyring::load(&fx.dir).unwrap().store_id();
    let roster = std::fs::read(fx.dir.join(inbox::ROSTER_FILE)).unwrap();
    assert!(inbox::open_roster(&old_roster_key, store_id, &roster).is_err());
    assert!(matches!(
        fx.staff("Sue Staff", "staff passphrase"),
        Err(Error::WrongPassphrase)
    ));
    all_present(&fx, pupil, &ids);
}

/// Whatever sits at the roster's path (a FIFO that would block a plain read, a link to a file
/// elsewhere) never holds up or redirects the DSL's unlock: the roster is written again as a
/// regular file the staff then open, and the link's target is left untouched.
#[test]
fn a_fifo_or_link_at_the_rosters_path_is_replaced_at_unlock_without_blocking_it() {
    use safeguard_core::inbox;
    let (fx, _pupil, _ids) = populated();
    let roster = fx.dir.join(inbox::ROSTER_FILE);
    let elsewhere = fx._tmp.path().join("elsewhere");
    std::fs::write(&elsewhere, b"not the roster").unwrap();
    for plant in ["fifo", "link"] {
        std::fs::remove_file(&roster).unwrap();
        match plant {
            "fifo" => assert!(
                Command::new("mkfifo")
                    .arg(&roster)
                    .status()
                    .unwrap()
                    .success()
            ),
            _ => std::os::unix::fs::symlink(&elsewhere, &roster).unwrap(),
        }
        let dir = fx.dir.clone();
        let opts = fx.opts();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let got = safeguard_core::unlock(&dir, Some(DSL), &pass(DSL_PASS), opts).map(drop);
            let _ = tx.send(got);
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the unlock blocked on a {plant} at the roster's path"));
        got.unwrap();
        let meta = std::fs::symlink_metadata(&roster).unwrap();
        assert!(
            meta.is_file(),
            "{plant}: the roster is a regular file again"
        );
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"not the roster");
        fx.staff("Sue Staff", "staff passphrase")
            .unwrap_or_else(|e| panic!("{plant}: staff open the rewritten roster: {e}"));
    }
}

/// Each slot's Argon2id lanes, by the name on it ("recovery" for the recovery slot).
fn lanes(fx: &Fixture) -> std::collections::BTreeMap<String, u64> {
    keyring_json(fx)["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = s["user_name"].as_str().unwrap_or("recovery").to_owned();
            (name, s["kdf"]["p"].as_u64().unwrap())
        })
        .collect()
}

/// A store made when one Argon2id lane was the default: each person's slot is made again with
/// this build's four lanes at their next unlock (the real key derivation then opens it, and the
/// database, with the same passphrase), the others' slots untouched; never again after, never
/// to fewer lanes, and a keyring that cannot be written then keeps the old wrapping and lets
/// the person in.
#[test]
fn a_one_lane_slot_is_made_again_with_four_lanes_at_its_owners_next_unlock() {
    let fx = {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        let clock = std::sync::Arc::new(safeguard_core::clock::ManualClock::new(monday()));
        let mut opts = safeguard_core::StoreOptions::new(clock.clone());
        opts.kdf = KdfParams::MINIMUM;
        let (mut s, key) =
            safeguard_core::create_store(&dir, &school(), DSL, &pass(DSL_PASS), opts).unwrap();
        s.add_user("Tom Deputy", Role::Deputy, &pass("deputy passphrase"))
            .unwrap();
        add_pupil(&mut s, "Kept", 1);
        drop(s);
        Fixture {
            _tmp: tmp,
            dir,
            clock,
            recovery: Some(key),
        }
    };
    assert_eq!(KdfParams::MINIMUM.p, 1);
    assert!(lanes(&fx).values().all(|p| *p == 1), "{:?}", lanes(&fx));

    // A keyring that cannot be written at that unlock (a full disk): the DSL is let in, and
    // the one-lane wrapping is kept for the next time.
    let store = fx.dir.to_str().unwrap().to_owned();
    let env = [
        ("SGD_USER", DSL),
        ("SGD_PASSPHRASE", DSL_PASS),
        ("SGD_FAULT", "keyring.rewrap_lanes:diskfull"),
    ];
    let out = sgd(&["pupils", &store], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lanes(&fx)[DSL], 1);

    let s = fx.dsl();
    drop(s.list_pupils(&Default::default()).unwrap());
    drop(s);
    let after = lanes(&fx);
    assert_eq!(after[DSL], 4, "{after:?}");
    assert_eq!(
        after["Tom Deputy"], 1,
        "another person's slot is theirs to open"
    );
    assert_eq!(after["recovery"], 1);
    // The real key derivation opens the new wrapping with the same passphrase.
    let unlocked = Keyring::load(&fx.dir)
        .unwrap()
        .unlock_user(Some(DSL), &pass(DSL_PASS))
        .unwrap();
    assert!(unlocked.data_key.is_some());
    assert!(matches!(
        Keyring::load(&fx.dir)
            .unwrap()
            .unlock_user(Some(DSL), &pass("not the passphrase")),
        Err(Error::WrongPassphrase)
    ));

    // Made once: the next unlock writes nothing.
    // (The keyring's anchor moves with the audit at unlock; the wrappings are what must not.)
    let slots = |fx: &Fixture| keyring_json(fx)["slots"].clone();
    let before = slots(&fx);
    drop(fx.dsl());
    assert!(
        slots(&fx) == before,
        "a wrapping made again at a later unlock"
    );

    // The deputy's own unlock makes theirs; a build asking for less never lowers it.
    drop(fx.unlock("Tom Deputy", "deputy passphrase").unwrap());
    assert_eq!(lanes(&fx)["Tom Deputy"], 4);
    let before = slots(&fx);
    let mut fewer = fx.opts();
    fewer.kdf = KdfParams::MINIMUM;
    drop(safeguard_core::unlock(&fx.dir, Some(DSL), &pass(DSL_PASS), fewer).unwrap());
    assert!(
        slots(&fx) == before,
        "a wrapping made again with fewer lanes"
    );
    let r = fx.dsl().verify().unwrap();
    assert!(r.all_ok(), "{:?}", r.problems());
}

/// A removed deputy puts back the keyring from before their removal: staff seal to the inbox
/// key the deputy still holds. The DSL's check refuses that keyring, and once the real one is
/// back, the item sealed to the retired key is set aside for the DSL, never filed silently.
#[test]
fn an_item_sealed_to_a_retired_team_key_is_set_aside() {
    let (fx, pupil, _) = populated();
    let before = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    let roster_before = std::fs::read(fx.dir.join("roster.sealed")).unwrap();
    let old_team = Keyring::load(&fx.dir).unwrap().team_public().unwrap();
    let mut s = fx.dsl();
    s.remove_user("Tom Deputy").unwrap();
    drop(s);
    let now = std::fs::read(fx.dir.join(KEYRING_FILE)).unwrap();
    assert_ne!(
        Keyring::load(&fx.dir)
            .unwrap()
            .team_public()
            .unwrap()
            .as_bytes(),
        old_team.as_bytes(),
        "a team member's removal rotates the inbox key"
    );
    std::fs::write(fx.dir.join(KEYRING_FILE), &before).unwrap();
    // The old keyring's key no longer opens the database (or is refused as older).
    let got = fx.unlock(DSL, DSL_PASS);
    assert!(
        matches!(
            got,
            Err(Error::KeyringTampered { .. } | Error::StoreDamaged { .. })
        ),
        "{got:?}"
    );
    // The roster rotated too: staff cannot open it with the old keyring's roster key...
    assert!(fx.staff("Sue Staff", "staff passphrase").is_err());
    // ...unless the old roster is put back as well.
    std::fs::write(fx.dir.join("roster.sealed"), &roster_before).unwrap();
    let mut sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    sue.record_concern(&concern_for(pupil, monday(), "sealed to the old key", None))
        .unwrap();
    drop(sue);
    std::fs::write(fx.dir.join(KEYRING_FILE), &now).unwrap();
    let s = fx.dsl();
    let report = s.inbox_report().unwrap();
    assert_eq!(report.filed, 0);
    assert_eq!(report.set_aside.len(), 1, "{report:?}");
    assert!(report.set_aside[0].reason.contains("retired"), "{report:?}");
}

/// With the slot secret they kept, a removed member of staff seals an item offline: it is set
/// aside, not filed as theirs.
#[test]
fn an_item_from_a_removed_author_is_set_aside() {
    use safeguard_core::inbox::{self, InboxDir, ItemBody, StaticSecret};
    let (fx, pupil, _) = populated();
    let kept = testing::slot_secret(&fx.dir, "Sue Staff", &pass("staff passphrase")).unwrap();
    let kr = Keyring::load(&fx.dir).unwrap();
    let sue_id = slot_user_id(&kr, "Sue Staff");
    let mut s = fx.dsl();
    s.remove_user("Sue Staff").unwrap();
    drop(s);
    let kr = Keyring::load(&fx.dir).unwrap();
    let (header, bytes) = inbox::seal_item(
        kr.store_id(),
        sue_id,
        &StaticSecret::from(*kept),
        &kr.team_public().unwrap(),
        monday(),
        &ItemBody::Concern {
            concern: concern_for(pupil, monday(), "written after removal", None),
        },
    )
    .unwrap();
    InboxDir::of(&fx.dir).put(&header, &bytes).unwrap();
    let s = fx.dsl();
    let report = s.inbox_report().unwrap();
    assert_eq!((report.filed, report.set_aside.len()), (0, 1), "{report:?}");
    assert!(report.set_aside[0].reason.contains("removed"), "{report:?}");
}

/// An item under another name, a copy of one filed already, and an inbox that is not a folder:
/// the first two are set aside, and the last never keeps the team out.
#[test]
fn renamed_and_replayed_items_are_set_aside_and_a_broken_inbox_never_locks_the_team_out() {
    let (fx, pupil, _) = populated();
    let mut sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    let first = sue
        .record_concern(&concern_for(pupil, monday(), "first", None))
        .unwrap();
    let second = sue
        .record_concern(&concern_for(pupil, monday(), "second", None))
        .unwrap();
    drop(sue);
    let inbox = fx.dir.join("inbox");
    std::fs::rename(
        inbox.join(format!("{second}.item")),
        inbox.join("00000000-0000-7000-8000-000000000000.item"),
    )
    .unwrap();
    let s = fx.dsl();
    let r = s.inbox_report().unwrap();
    assert_eq!((r.filed, r.set_aside.len()), (1, 1), "{r:?}");
    assert!(
        r.set_aside[0].reason.contains("name is not its id"),
        "{r:?}"
    );
    drop(s);
    // The filed item copied back into the inbox.
    std::fs::copy(
        inbox.join("filed").join(format!("{first}.item")),
        inbox.join(format!("{first}.item")),
    )
    .unwrap();
    let s = fx.dsl();
    let r = s.inbox_report().unwrap();
    assert_eq!((r.filed, r.set_aside.len()), (0, 1), "{r:?}");
    drop(s);
    // The inbox replaced by a file: the DSL still gets in, told filing stopped.
    std::fs::rename(&inbox, fx.dir.join("inbox-moved")).unwrap();
    std::fs::write(&inbox, b"not a folder").unwrap();
    let s = fx.dsl();
    let r = s.inbox_report().unwrap();
    assert!(r.problem.is_some(), "{r:?}");
}

/// Migration with another program holding the old database open: the move to a new key waits,
/// and no team key is written meanwhile under the key staff held.
#[test]
fn no_team_key_is_ever_written_under_a_key_staff_held() {
    let tmp = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v0.1");
    let dir = tmp.path().join("store");
    let fresh_copy = || {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        for f in ["records.db", KEYRING_FILE] {
            std::fs::copy(src.join(f), dir.join(f)).unwrap();
        }
    };
    fresh_copy();
    let p = pass("fixture passphrase v0.1");
    let staff_key = testing::data_key(&dir, "Daniel Okoro", &p).unwrap();
    let opts = || {
        safeguard_core::StoreOptions::new(std::sync::Arc::new(safeguard_core::clock::SystemClock))
    };
    // The DSL's first unlock migrates the schema; hold a read transaction on it afterwards.
    drop(safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &p, opts()).ok());
    let holder = testing::open_with_key(&dir, &staff_key);
    if let Ok(raw) = holder {
        // The first unlock could not move the database (it was free, so it did): either way,
        // whatever the staff key still opens holds no team key.
        let n: i64 = raw
            .query_row("SELECT count(*) FROM team_keys", [], |r| r.get(0))
            .unwrap_or(0);
        assert_eq!(n, 0, "a team key under the key staff held");
    }
    // Now from the start again, with the database held open under the old key.
    fresh_copy();
    let raw = testing::open_with_key(&dir, &staff_key).unwrap();
    raw.execute_batch("BEGIN; SELECT count(*) FROM concerns;")
        .unwrap();
    let dsl = safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &p, opts()).unwrap();
    drop(dsl);
    let n: i64 = raw
        .query_row("SELECT count(*) FROM team_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        n, 0,
        "a team key was written while the database was under the key staff held"
    );
    raw.execute_batch("COMMIT").unwrap();
    drop(raw);
    // Free again: the next DSL unlock finishes the move, then makes the team keys.
    drop(safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &p, opts()).unwrap());
    assert!(Keyring::load(&dir).unwrap().has_team_keys());
    assert!(testing::open_with_key(&dir, &staff_key).is_err());
}
