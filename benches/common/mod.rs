//! The seeded school the benchmarks share: 2,000 pupils over 10 years (~200k records), built
//! once into the target folder and copied afresh for each run.
#![allow(dead_code)]

use std::path::PathBuf;

use safeguard_core::secret::Passphrase;

pub const PASS: &str = "benchmark passphrase";

pub fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh copy of the seeded school (seeded once), and its number of pupils.
pub fn store() -> (PathBuf, u32) {
    let pupils = env_u32("SGD_BENCH_PUPILS", 2000);
    let years = env_u32("SGD_BENCH_YEARS", 10);
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("target"));
    let pristine = target.join(format!("bench-school-{pupils}x{years}"));
    let dir = pristine.clone();
    if !dir.join("keyring.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!(
            "seeding {pupils} pupils over {years} years into {} (once)…",
            dir.display()
        );
        let t = std::time::Instant::now();
        let n = safeguard_core::seed::create(
            &dir,
            &safeguard_core::seed::SeedSpec {
                pupils,
                years,
                seed: 1,
                today: today(),
            },
            &Passphrase::new(PASS.into()),
            safeguard_core::keyring::KdfParams::DEFAULT,
        )
        .unwrap();
        eprintln!("seeded {n} records in {:.0} s", t.elapsed().as_secs_f64());
    }
    // Every run works on a fresh copy, so the writes one run benchmarks never skew the next.
    let run = target.join(format!("bench-school-{pupils}x{years}-run"));
    let _ = std::fs::remove_dir_all(&run);
    std::fs::create_dir_all(&run).unwrap();
    for f in ["keyring.json", "records.db"] {
        std::fs::copy(pristine.join(f), run.join(f)).unwrap();
    }
    let _ = std::fs::remove_file(run.with_extension("plain.db"));
    (run, pupils)
}

/// The seeded school's last day: fixed, so every run measures the same school.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid")
}

/// The moment the benchmarks run at: the evening of the seeded school's last day (after its
/// last record), so Today's due and overdue items are the same on every run.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Europe::London
        .with_ymd_and_hms(2026, 12, 1, 21, 30, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

pub fn clock() -> std::sync::Arc<safeguard_core::clock::ManualClock> {
    std::sync::Arc::new(safeguard_core::clock::ManualClock::new(now()))
}
