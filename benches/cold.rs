//! Cold-cache timings: a fresh process opens the seeded school while its files are not in the
//! page cache (dropped with `posix_fadvise(DONTNEED)` after an fsync), as after a reboot.
//! Prints the median of five runs of: unlock (Argon2id included), Today (the dashboard and the
//! first page of prompts), a pupil's chronology and a search, each the first thing that process
//! does. Run: `cargo bench --bench cold` (`SGD_BENCH_PUPILS`/`SGD_BENCH_YEARS` as for `store`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;

use common::{PASS, store};
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{ChronologyFilter, PromptQuery, PupilQuery};
use safeguard_core::{Session, StoreOptions};

const STEPS: [&str; 4] = ["unlock", "Today", "pupil chronology", "search"];

fn evict(dir: &Path) {
    for f in ["records.db", "records.db-wal", "keyring.json"] {
        let Ok(file) = std::fs::File::open(dir.join(f)) else {
            continue;
        };
        file.sync_all().unwrap();
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
    }
}

/// In the child process: time each step once and print the milliseconds.
fn child(dir: &Path) {
    let t = Instant::now();
    let mut s: Session = safeguard_core::unlock(
        dir,
        None,
        &Passphrase::new(PASS.into()),
        StoreOptions::new(common::clock()),
    )
    .unwrap();
    let unlock = t.elapsed();
    let t = Instant::now();
    s.dashboard().unwrap();
    s.prompt_page(&PromptQuery::default()).unwrap();
    let today = t.elapsed();
    let pupils = s
        .list_pupils(&PupilQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let pupil = pupils.items[pupils.items.len() / 3].id;
    let t = Instant::now();
    s.pupil_chronology(pupil, &ChronologyFilter::default())
        .unwrap();
    let chronology = t.elapsed();
    let t = Instant::now();
    s.search("quiet", 50).unwrap();
    let search = t.elapsed();
    for d in [unlock, today, chronology, search] {
        print!("{:.1} ", d.as_secs_f64() * 1000.0);
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(Path::new(&args[i + 1]));
    }
    // `cargo bench` passes `--bench`; any other filter is ignored.
    let (dir, pupils) = store();
    let mut runs: Vec<Vec<f64>> = Vec::new();
    for _ in 0..5 {
        evict(&dir);
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--child", dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        runs.push(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|v| v.parse().unwrap())
                .collect(),
        );
    }
    println!("cold cache, fresh process, {pupils} pupils (median of 5 runs):");
    for (i, step) in STEPS.iter().enumerate() {
        let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("  {step:<18} {:>8.1} ms", v[2]);
    }
}
