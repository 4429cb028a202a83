//! A child process writes records in a loop and reports each acknowledged id; the parent kills
//! it with SIGKILL at random moments. After each kill the store must verify and hold every
//! acknowledged record. 50 rounds by default; more with SGD_CRASH_ROUNDS.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const CHILD_DIR: &str = "SGD_CRASH_CHILD_DIR";
const CHILD_PUPIL: &str = "SGD_CRASH_CHILD_PUPIL";

/// The writer. Does nothing unless started by the parent test below.
#[test]
fn crash_child_writer() {
    let (Ok(dir), Ok(pupil)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_PUPIL)) else {
        return;
    };
    let pupil = uuid::Uuid::parse_str(&pupil).unwrap();
    let opts =
        safeguard_core::StoreOptions::new(std::sync::Arc::new(safeguard_core::clock::SystemClock));
    let mut s =
        safeguard_core::unlock(std::path::Path::new(&dir), Some(DSL), &pass(DSL_PASS), opts)
            .unwrap();
    let mut i = 0u64;
    loop {
        let id = s
            .record_concern(&concern_for(
                pupil,
                chrono::Utc::now(),
                &format!("crash round write {i}"),
                Some("words"),
            ))
            .unwrap();
        println!("ACK {id}");
        i += 1;
    }
}

#[test]
fn killed_writers_never_lose_an_acknowledged_record() {
    let rounds: u32 = std::env::var("SGD_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let (fx, mut s) = new_store();
    let pupil = add_pupil(&mut s, "Crash", 1);
    drop(s);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5afe);
    let mut acknowledged: BTreeSet<uuid::Uuid> = BTreeSet::new();
    let exe = std::env::current_exe().unwrap();
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, &fx.dir)
            .env(CHILD_PUPIL, pupil.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    l.strip_prefix("ACK ")
                        .map(|id| uuid::Uuid::parse_str(id.trim()).unwrap())
                })
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(60..500)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        acknowledged.extend(acked);

        let mut s = fx.dsl();
        let report = s.verify().unwrap();
        assert!(
            report.all_ok(),
            "round {round}: store does not verify: {report:?}"
        );
        let present: BTreeSet<uuid::Uuid> = s
            .pupil_chronology(pupil, &Default::default())
            .unwrap()
            .into_iter()
            .map(|e| e.record_id)
            .collect();
        let missing: Vec<_> = acknowledged.difference(&present).collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged records missing: {missing:?}"
        );
    }
    assert!(
        acknowledged.len() > rounds as usize,
        "the writer wrote in most rounds ({} acks)",
        acknowledged.len()
    );
}
