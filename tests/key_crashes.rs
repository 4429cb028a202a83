//! kill -9 at random moments of every operation that touches keys: user add and remove (a
//! rekey), passwd, recover, recovery rotate (a rekey), backup and restore, and the migration of
//! a store made by version 0.1. After each kill the store opens for the DSL, verifies, and holds
//! every record written before; what a command acknowledged (exit 0) before it was killed has
//! taken effect. 100 rounds of each by default; `SGD_KEY_CRASH_ROUNDS` for more.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use safeguard_core::keyring::Keyring;
use safeguard_core::records::Role;
use safeguard_core::secret::RecoveryKey;

fn rounds() -> u32 {
    std::env::var("SGD_KEY_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

#[test]
fn killed_key_operations_never_lose_the_store() {
    let rounds = rounds();
    let (mut fx, mut s) = new_store();
    let recovery = fx.recovery.take().unwrap().expose_grouped().to_string();
    let pupil = add_pupil(&mut s, "Crash", 1);
    let ids: Vec<_> = (0..10)
        .map(|i| {
            s.record_concern(&concern_for(pupil, monday(), &format!("kept {i}"), None))
                .unwrap()
        })
        .collect();
    s.add_user("Sam Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    drop(s);
    let store = fx.dir.to_str().unwrap().to_owned();
    let parent = fx.dir.parent().unwrap().to_owned();
    let mut rng = ChaCha8Rng::seed_from_u64(0x6b65);
    let mut recovery_key = recovery;
    // Sam's passphrase: set anew by each passwd and recover round; a kill leaves the old or new.
    let mut sam_pass = "staff passphrase".to_string();
    let mut killed_mid = 0;
    for round in 0..rounds {
        let name = format!("Round {round}");
        let new_sam_pass = format!("staff passphrase {round}");
        let backup = parent.join(format!("b{round}.sgdbackup"));
        let restored = parent.join(format!("r{round}"));
        let (args, extra): (Vec<String>, Vec<(&str, String)>) = match round % 7 {
            0 => (
                vec![
                    "user".into(),
                    "add".into(),
                    store.clone(),
                    "--name".into(),
                    name.clone(),
                    "--role".into(),
                    role_of(round).into(),
                ],
                vec![("SGD_NEW_PASSPHRASE", "round passphrase".into())],
            ),
            1 => (
                vec![
                    "user".into(),
                    "remove".into(),
                    store.clone(),
                    "--name".into(),
                    format!("Round {}", round - 1),
                ],
                vec![],
            ),
            2 => (
                vec![
                    "passwd".into(),
                    store.clone(),
                    "--name".into(),
                    "Sam Staff".into(),
                ],
                vec![("SGD_NEW_PASSPHRASE", new_sam_pass.clone())],
            ),
            3 => (
                vec![
                    "recover".into(),
                    store.clone(),
                    "--name".into(),
                    "Sam Staff".into(),
                ],
                vec![
                    ("SGD_NEW_PASSPHRASE", new_sam_pass.clone()),
                    ("SGD_RECOVERY_KEY", recovery_key.clone()),
                ],
            ),
            4 => (
                vec!["recovery".into(), "rotate".into(), store.clone()],
                vec![],
            ),
            5 => (
                vec![
                    "backup".into(),
                    store.clone(),
                    backup.to_str().unwrap().into(),
                ],
                vec![],
            ),
            _ => {
                // Restore the newest backup there is into a new folder.
                let newest = (0..round)
                    .rev()
                    .map(|r| parent.join(format!("b{r}.sgdbackup")))
                    .find(|p| p.exists());
                match newest {
                    Some(b) => (
                        vec![
                            "restore".into(),
                            b.to_str().unwrap().into(),
                            restored.to_str().unwrap().into(),
                        ],
                        vec![],
                    ),
                    None => continue,
                }
            }
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgd"));
        cmd.args(&args)
            .env("SGD_PASSPHRASE", DSL_PASS)
            .env("SGD_USER", DSL)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in &extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(0..350)));
        let finished = matches!(child.try_wait(), Ok(Some(_)));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if !finished {
            killed_mid += 1;
        }
        let printed = String::from_utf8_lossy(&out.stdout).to_string();
        let acknowledged = finished && out.status.success();
        let old_recovery_key = recovery_key.clone();
        if round % 7 == 4 && acknowledged {
            // A rotation that finished printed the new key.
            recovery_key = printed
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 39 && l.matches('-').count() == 7)
                .expect("a finished rotation prints the new key")
                .to_owned();
        }
        // The store opens for the DSL and holds everything, whatever moment the kill came at.
        let mut s = fx
            .unlock(DSL, DSL_PASS)
            .unwrap_or_else(|e| panic!("round {round} ({args:?}): {e:?}"));
        let report = s.verify().unwrap();
        assert!(
            report.all_ok(),
            "round {round} ({args:?}): {:?}",
            report.problems()
        );
        let present: Vec<_> = s
            .pupil_chronology(pupil, &Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.record_id)
            .collect();
        for id in &ids {
            assert!(
                present.contains(id),
                "round {round} ({args:?}): record lost"
            );
        }
        drop(s);
        check_acknowledged(
            &fx,
            round,
            acknowledged,
            &name,
            &recovery_key,
            &old_recovery_key,
            &restored,
        );
        if matches!(round % 7, 2 | 3) {
            // Whichever passphrase opens Sam's slot now: the new one, if the command said so.
            let opens = |p: &str| fx.staff("Sam Staff", p).is_ok();
            if acknowledged || opens(&new_sam_pass) {
                assert!(
                    opens(&new_sam_pass),
                    "round {round} ({args:?}): acknowledged, not in effect"
                );
                sam_pass = new_sam_pass;
            } else {
                assert!(
                    opens(&sam_pass),
                    "round {round} ({args:?}): Sam is locked out"
                );
            }
        }
        if round % 7 == 6 && restored.exists() && !restored.join("keyring.json").exists() {
            panic!("round {round}: a half-restored folder was left in place");
        }
    }
    assert!(
        killed_mid >= rounds / 5,
        "kills landed mid-operation in only {killed_mid} rounds"
    );
    eprintln!("{killed_mid} of {rounds} kills landed mid-operation");
}

/// Every other user added is a deputy, so removing them rekeys (and rotates the inbox key)
/// under the kill as well; a member of staff's removal only rotates the roster key.
fn role_of(round: u32) -> &'static str {
    match (round / 7) % 2 {
        0 => "staff",
        _ => "deputy",
    }
}

/// What a command said it did (exit 0) has taken effect.
fn check_acknowledged(
    fx: &Fixture,
    round: u32,
    acknowledged: bool,
    name: &str,
    recovery_key: &str,
    old_recovery_key: &str,
    restored: &std::path::Path,
) {
    if !acknowledged {
        return;
    }
    let keyring = Keyring::load(&fx.dir).unwrap();
    let recovery = |k: &str| keyring.unlock_recovery(&RecoveryKey::parse(k).unwrap());
    match round % 7 {
        0 => assert!(
            match role_of(round) {
                "staff" => fx.staff(name, "round passphrase").is_ok(),
                _ => fx.unlock(name, "round passphrase").is_ok(),
            },
            "round {round}: an added user cannot unlock"
        ),
        1 => assert!(
            fx.open_any(&format!("Round {}", round - 1), "round passphrase")
                .is_err(),
            "round {round}: a removed user still unlocks"
        ),
        4 => {
            assert!(
                recovery(old_recovery_key).is_err(),
                "round {round}: the old recovery key still opens a slot"
            );
            assert!(
                recovery(recovery_key).is_ok(),
                "round {round}: the new recovery key opens nothing"
            );
        }
        6 => {
            let r =
                safeguard_core::verify_store(restored, Some(DSL), &pass(DSL_PASS), &fx.opts(), &[])
                    .unwrap();
            assert!(
                r.all_ok(),
                "round {round}: the restored store: {:?}",
                r.problems()
            );
        }
        _ => {}
    }
}

#[test]
fn killed_migrations_of_a_version_0_1_store_never_lose_it() {
    let rounds = rounds();
    let mut rng = ChaCha8Rng::seed_from_u64(0x6d69);
    let mut killed_mid = 0;
    let sgd = |dir: &std::path::Path, cmd: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sgd"));
        c.args([cmd, dir.to_str().unwrap()])
            .env("SGD_PASSPHRASE", V01_PASS)
            .env("SGD_USER", DSL)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    for round in 0..rounds {
        let tmp = tempfile::tempdir().unwrap();
        let dir = copy_v01_fixture(tmp.path());
        // Two kills at random moments of the first unlock (the migration), then one left to end.
        for _ in 0..2 {
            let mut child = sgd(&dir, "stats").spawn().unwrap();
            std::thread::sleep(Duration::from_millis(rng.random_range(0..300)));
            if !matches!(child.try_wait(), Ok(Some(_))) {
                killed_mid += 1;
            }
            let _ = child.kill();
            child.wait().unwrap();
        }
        let done = sgd(&dir, "stats").status().unwrap();
        assert!(
            done.success(),
            "round {round}: the migration did not finish after the kills"
        );
        let verified = sgd(&dir, "verify").status().unwrap();
        assert!(
            verified.success(),
            "round {round}: the migrated store does not verify"
        );
        let opts = safeguard_core::StoreOptions::new(std::sync::Arc::new(
            safeguard_core::clock::SystemClock,
        ));
        let s = safeguard_core::unlock(&dir, Some(DSL), &pass(V01_PASS), opts.clone()).unwrap();
        let stats = s.stats().unwrap();
        let count = |label: &str| stats.counts.iter().find(|c| c.0 == label).unwrap().1;
        assert_eq!(
            (count("concerns"), count("pupils")),
            (13, 13),
            "round {round}: records lost"
        );
        drop(s);
        let keyring = Keyring::load(&dir).unwrap();
        assert!(
            keyring.has_team_keys(),
            "round {round}: not moved to format 3"
        );
        let recovered = keyring
            .unlock_recovery(&RecoveryKey::parse(V01_RECOVERY).unwrap())
            .unwrap();
        assert!(
            safeguard_core::testing::open_with_key(&dir, &recovered.data_key.unwrap()).is_ok(),
            "round {round}: the recovery key no longer opens the store"
        );
        safeguard_core::open_store(&dir, Some("Tom Whitfield"), &pass(V01_PASS), opts.clone())
            .unwrap();
        assert!(
            matches!(
                safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass(V01_PASS), opts),
                Err(safeguard_core::Error::PassphraseResetNeeded)
            ),
            "round {round}: staff kept a wrapping never checked against the database"
        );
    }
    assert!(
        killed_mid >= rounds / 5,
        "kills landed mid-migration in only {killed_mid} rounds"
    );
    eprintln!("{killed_mid} of {} kills landed mid-migration", rounds * 2);
}
