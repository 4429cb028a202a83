//! What SQLCipher's `cipher_memory_security` (wiping every buffer it frees) costs on the seeded
//! school: the same raw reads with it off, then on. It cannot be turned off again in a process,
//! so the "on" group runs last. The app keeps it off while this costs over 20% (SECURITY.md).
//! Run: `cargo bench --bench memory_security`.

mod common;

use common::{PASS, store};
use criterion::{Criterion, criterion_group, criterion_main};
use safeguard_core::secret::Passphrase;

const CHRONOLOGY: &str = "SELECT id, recorded_at, body FROM concerns WHERE pupil_id = ?1 UNION ALL SELECT id, recorded_at, body FROM voice_entries WHERE pupil_id = ?1 UNION ALL SELECT id, recorded_at, body FROM referrals WHERE pupil_id = ?1";
const SEARCH: &str = "SELECT s.record_id FROM search_recent JOIN search_text s ON s.rowid = search_recent.rowid WHERE search_recent MATCH '\"pupil\"*' ORDER BY search_recent.rowid DESC LIMIT 50";
const FOLLOW_UPS: &str =
    "SELECT count(*) FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id";

fn reads(c: &mut Criterion, conn: &rusqlite::Connection, pupil: &str, setting: &str) {
    let mut g = c.benchmark_group(format!("cipher_memory_security {setting}"));
    g.bench_function("chronology rows", |b| {
        b.iter(|| {
            let mut st = conn.prepare_cached(CHRONOLOGY).unwrap();
            st.query_map([pupil], |r| r.get::<_, String>(2))
                .unwrap()
                .count()
        })
    });
    g.bench_function("fts limit 50", |b| {
        b.iter(|| {
            let mut st = conn.prepare_cached(SEARCH).unwrap();
            st.query_map([], |r| r.get::<_, String>(0)).unwrap().count()
        })
    });
    g.bench_function("open follow-ups", |b| {
        b.iter(|| {
            conn.query_row(FOLLOW_UPS, [], |r| r.get::<_, i64>(0))
                .unwrap()
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let (dir, _) = store();
    let key =
        safeguard_core::testing::data_key(&dir, "Seed DSL", &Passphrase::new(PASS.into())).unwrap();
    let conn = safeguard_core::testing::open_with_key(&dir, &key).unwrap();
    let pupil: String = conn
        .query_row(
            "SELECT pupil_id FROM concerns GROUP BY pupil_id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    reads(c, &conn, &pupil, "off");
    conn.execute_batch("PRAGMA cipher_memory_security = ON;")
        .unwrap();
    let on: String = conn
        .query_row("PRAGMA cipher_memory_security", [], |r| r.get(0))
        .unwrap();
    assert_eq!(on, "1", "the pragma took effect");
    reads(c, &conn, &pupil, "on");
}

criterion_group! {
    name = memory_benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(memory_benches);
