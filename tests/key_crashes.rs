//! kill -9 at random moments of every operation that touches keys: user add and remove (a
//! rekey), passwd, recover, recovery rotate (a rekey), backup and restore. After each kill the
//! store opens for the DSL, verifies, and holds every record written before. 100 rounds by
//! default; `SGD_KEY_CRASH_ROUNDS` for more.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use safeguard_core::records::Role;

#[test]
fn killed_key_operations_never_lose_the_store() {
    let rounds: u32 = std::env::var("SGD_KEY_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
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
    let mut killed_mid = 0;
    for round in 0..rounds {
        let name = format!("Round {round}");
        let backup = parent.join(format!("b{round}.sgdbackup"));
        let restored = parent.join(format!("r{round}"));
        let (args, extra): (Vec<String>, Vec<(&str, String)>) = match round % 7 {
            0 => (
                vec![
                    "user".into(),
                    "add".into(),
                    store.clone(),
                    "--name".into(),
                    name,
                    "--role".into(),
                    "staff".into(),
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
                vec![("SGD_NEW_PASSPHRASE", "staff passphrase".into())],
            ),
            3 => (
                vec![
                    "recover".into(),
                    store.clone(),
                    "--name".into(),
                    "Sam Staff".into(),
                ],
                vec![
                    ("SGD_NEW_PASSPHRASE", "staff passphrase".into()),
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
        if round % 7 == 4 && out.status.success() {
            // A rotation that finished printed the new key: the old one opens nothing now.
            if let Some(k) = printed
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 39 && l.matches('-').count() == 7)
            {
                recovery_key = k.to_owned();
            }
        }
        // The store opens for the DSL and holds everything, whatever moment the kill came at.
        let mut s = fx.dsl();
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
