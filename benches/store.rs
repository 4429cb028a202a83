//! Criterion benchmarks on a seeded school of 2,000 pupils over 10 years (~200k records):
//! save a concern, a pupil's chronology, the dashboard, a search. The seeded store is built once
//! into target/ (it takes a few minutes) and reused. `SGD_BENCH_PUPILS`/`SGD_BENCH_YEARS` shrink
//! it for a quick run. Run: `cargo bench --bench store`.
//!
//! For the encrypted/unencrypted ratio the same queries also run against a plaintext copy made
//! with `sqlcipher_export` (benchmarks only; the application never writes one).

mod common;

use common::{PASS, store};
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use safeguard_core::clock::ManualClock;
use safeguard_core::records::*;
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{ChronologyFilter, EscalationQuery, PromptQuery, PupilQuery};
use safeguard_core::{Session, StoreOptions};

fn session(dir: &std::path::Path) -> (Session, Arc<ManualClock>) {
    let clock = common::clock();
    let s = safeguard_core::unlock(
        dir,
        None,
        &Passphrase::new(PASS.into()),
        StoreOptions::new(clock.clone()),
    )
    .unwrap();
    (s, clock)
}

/// Moves the clock back a second further each time: the kept prompts are from later, so each
/// call loads every fact and works every prompt out (as at unlock, or after a write that names no
/// pupil) without the school changing under the bench.
fn forget_prompts(clock: &ManualClock, back: &mut i64) {
    *back += 1;
    clock.set(common::now() - chrono::Duration::seconds(*back));
}

/// Works the prompts out (untimed), then moves the clock on by more than they are kept: the
/// next call evaluates the kept facts again, as Today does a minute on with nothing written.
fn a_minute_on(s: &Session, clock: &ManualClock, back: &mut i64) {
    forget_prompts(clock, back);
    s.prompts().unwrap();
    clock.set(common::now() - chrono::Duration::seconds(*back) + chrono::Duration::seconds(61));
}

fn benches(c: &mut Criterion) {
    let (dir, _) = store();
    let (mut s, clock) = session(&dir);
    let page = s
        .list_pupils(&PupilQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let pupil = page.items[page.items.len() / 2].id;
    let n = s
        .pupil_chronology(pupil, &ChronologyFilter::default())
        .unwrap()
        .len();
    eprintln!("benchmark pupil has {n} chronology entries");

    let mut g = c.benchmark_group("seeded school (SQLCipher)");
    g.bench_function("pupil chronology", |b| {
        b.iter(|| {
            s.pupil_chronology(pupil, &ChronologyFilter::default())
                .unwrap()
        })
    });
    g.bench_function("family chronology", |b| {
        b.iter(|| {
            s.family_chronology(pupil, &ChronologyFilter::default())
                .unwrap()
        })
    });
    // What the window reads on opening a child: the newest page of 100 entries.
    g.bench_function("pupil chronology page (the window)", |b| {
        b.iter(|| {
            s.chronology_page(pupil, false, &ChronologyFilter::default(), 100)
                .unwrap()
        })
    });
    g.bench_function("family chronology page (the window)", |b| {
        b.iter(|| {
            s.chronology_page(pupil, true, &ChronologyFilter::default(), 100)
                .unwrap()
        })
    });
    g.bench_function("dashboard", |b| b.iter(|| s.dashboard().unwrap()));
    let mut back = 0;
    g.bench_function("prompts (all rules, worked out)", |b| {
        b.iter_batched(
            || forget_prompts(&clock, &mut back),
            |_| s.prompts().unwrap(),
            BatchSize::PerIteration,
        )
    });
    clock.set(common::now());
    g.bench_function("prompts (all rules, as kept)", |b| {
        b.iter(|| s.prompts().unwrap())
    });
    eprintln!(
        "open prompts: {}",
        s.prompt_page(&PromptQuery::default()).unwrap().all
    );
    g.bench_function("Today (dashboard and the first page of prompts)", |b| {
        b.iter(|| {
            s.dashboard().unwrap();
            s.prompt_page(&PromptQuery::default()).unwrap()
        })
    });
    g.bench_function(
        "Today, every prompt worked out (at unlock, or after a school-wide change)",
        |b| {
            b.iter_batched(
                || forget_prompts(&clock, &mut back),
                |_| {
                    s.dashboard().unwrap();
                    s.prompt_page(&PromptQuery::default()).unwrap()
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.bench_function("Today a minute on (every prompt evaluated again)", |b| {
        b.iter_batched(
            || a_minute_on(&s, &clock, &mut back),
            |_| {
                s.dashboard().unwrap();
                s.prompt_page(&PromptQuery::default()).unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    clock.set(common::now());
    // A concern saved (not timed), then Today: only that child's family's prompts are worked
    // out again. The concerns go to the last pupil of the page, whom no other read measures.
    let written = page.items[page.items.len() - 1].id;
    let mut saved = concern_of(written);
    g.bench_function("Today after saving a concern", |b| {
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                saved.details.observed_at -= chrono::Duration::seconds(1);
                s.record_concern(&saved).unwrap();
                let t = std::time::Instant::now();
                s.dashboard().unwrap();
                std::hint::black_box(s.prompt_page(&PromptQuery::default()).unwrap());
                timed += t.elapsed();
            }
            timed
        })
    });
    eprintln!(
        "open follow-ups: {}; escalations: {}",
        s.follow_ups().unwrap().open.len(),
        s.escalations(true).unwrap().len()
    );
    g.bench_function("follow-up list (all open + 50 completed)", |b| {
        b.iter(|| s.follow_ups().unwrap())
    });
    g.bench_function("escalations (all, with history)", |b| {
        b.iter(|| s.escalations(true).unwrap())
    });
    g.bench_function("escalation review (a page of 25, with history)", |b| {
        b.iter(|| {
            s.escalation_page(&EscalationQuery {
                include_resolved: true,
                ..Default::default()
            })
            .unwrap()
        })
    });
    let rare = rare_reference(&dir);
    g.bench_function("search rare word (limit 50)", |b| {
        b.iter(|| s.search(&rare, 50).unwrap())
    });
    g.bench_function("search two common words (limit 50)", |b| {
        b.iter(|| s.search("drink quiet", 50).unwrap())
    });
    g.bench_function("search common word (limit 50)", |b| {
        b.iter(|| s.search("pupil", 50).unwrap())
    });
    g.bench_function("list pupils (page of 100)", |b| {
        b.iter(|| {
            s.list_pupils(&PupilQuery {
                limit: 100,
                ..Default::default()
            })
            .unwrap()
        })
    });
    // Saves go to another pupil, so they never change what the reads above measure.
    let concern = concern_of(page.items[0].id);
    g.bench_function("save a concern", |b| {
        b.iter(|| s.record_concern(&concern).unwrap())
    });
    g.finish();
    drop(s);
    plaintext_comparison(c, &dir, pupil);
}

fn concern_of(pupil: uuid::Uuid) -> NewConcern {
    NewConcern {
        pupil_id: pupil,
        details: ConcernDetails {
            reporter_name: "Bench".into(),
            reporter_role: "Teacher".into(),
            observed_at: common::now() - chrono::Duration::minutes(5),
            location: "Classroom".into(),
            categories: vec![Category::Neglect],
            account: "The pupil arrived without a coat and said they had not had breakfast. "
                .repeat(8),
            child_words: Some("I was hungry".into()),
            immediate_action: "Breakfast given; DSL informed.".into(),
            body_marks: vec![],
        },
        other_children: vec![],
    }
}

/// A referral reference from the seeded store: a token found in one or two records.
fn rare_reference(dir: &std::path::Path) -> String {
    let key =
        safeguard_core::testing::data_key(dir, "Seed DSL", &Passphrase::new(PASS.into())).unwrap();
    let conn = safeguard_core::testing::open_with_key(dir, &key).unwrap();
    let body: String = conn
        .query_row(
            "SELECT body FROM referrals WHERE seq = (SELECT max(seq) / 2 FROM referrals)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["reference"]
        .as_str()
        .unwrap()
        .trim_start_matches("MASH-")
        .to_owned()
}

/// The same read queries on an unencrypted copy, for the ratio.
fn plaintext_comparison(c: &mut Criterion, dir: &std::path::Path, pupil: uuid::Uuid) {
    let plain = dir.with_extension("plain.db");
    let key =
        safeguard_core::testing::data_key(dir, "Seed DSL", &Passphrase::new(PASS.into())).unwrap();
    if !plain.exists() {
        // The store's connection may not create files; an empty file is an empty database.
        rusqlite::Connection::open(&plain).unwrap();
        let conn = safeguard_core::testing::open_with_key(dir, &key).unwrap();
        conn.execute_batch(&format!("ATTACH DATABASE '{}' AS plaintext KEY ''; SELECT sqlcipher_export('plaintext'); DETACH DATABASE plaintext;", plain.display())).unwrap();
    }
    let enc = safeguard_core::testing::open_with_key(dir, &key).unwrap();
    let pl = rusqlite::Connection::open(&plain).unwrap();
    pl.execute_batch("PRAGMA cache_size = -65536;").unwrap();
    let pupil = pupil.to_string();
    print_ratios(&enc, &pl, &pupil);
    let mut g = c.benchmark_group("raw queries: encrypted vs plain");
    for (read, sql) in READS {
        for (name, conn) in [("sqlcipher", &enc), ("plain", &pl)] {
            g.bench_function(format!("{read} ({name})"), |b| {
                b.iter(|| rows(conn, sql, &pupil))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = store_benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(store_benches);

/// The reads behind each target, as SQL (`?1` where a read names a pupil).
const READS: [(&str, &str); 7] = [
    (
        "pupil chronology rows",
        "SELECT * FROM chronology_facts WHERE pupil_id = ?1 ORDER BY at DESC",
    ),
    (
        "family chronology rows",
        "SELECT c.* FROM chronology_facts c WHERE c.pupil_id IN (SELECT m.pupil_id FROM household_members m WHERE m.household_id IN (SELECT household_id FROM household_members WHERE pupil_id = ?1)) ORDER BY c.at DESC",
    ),
    (
        "page of pupils",
        "SELECT * FROM pupil_facts ORDER BY sort_name LIMIT 100",
    ),
    (
        // Search reads the last year's index first (`search_recent`), as `Session::search` does.
        "fts limit 50",
        "SELECT s.record_id FROM search_recent JOIN search_text s ON s.rowid = search_recent.rowid WHERE search_recent MATCH '\"pupil\"*' ORDER BY search_recent.rowid DESC LIMIT 50",
    ),
    (
        "escalation page of 25 with stages",
        "SELECT e.body, s.body FROM (SELECT * FROM escalations ORDER BY seq DESC LIMIT 25) e JOIN escalation_stages s ON s.escalation_id = e.id",
    ),
    (
        "open follow-ups",
        "SELECT f.body FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id",
    ),
    ("every concern's body", "SELECT body FROM concerns"),
];

/// Runs one read to its last row: how many rows.
fn rows(conn: &rusqlite::Connection, sql: &str, pupil: &str) -> usize {
    let mut st = conn.prepare_cached(sql).unwrap();
    let params: &[&dyn rusqlite::ToSql] = if st.parameter_count() == 1 {
        &[&pupil]
    } else {
        &[]
    };
    st.query_map(params, |_| Ok(())).unwrap().count()
}

/// Prints each read's median on the encrypted store and on its plaintext copy, and the ratio
/// (what SQLCipher costs a read).
fn print_ratios(enc: &rusqlite::Connection, plain: &rusqlite::Connection, pupil: &str) {
    let median = |conn: &rusqlite::Connection, sql: &str| {
        let mut runs: Vec<f64> = (0..31)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(rows(conn, sql, pupil));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    };
    println!("encrypted / plain (median of 31, warm):");
    for (name, sql) in READS {
        let (e, p) = (median(enc, sql), median(plain, sql));
        println!("  {name:<36} {e:>8.3} ms / {p:>8.3} ms = {:.2}x", e / p);
    }
}
