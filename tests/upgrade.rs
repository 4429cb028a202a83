//! A store made by the release at each earlier schema version (committed in
//! `tests/fixtures/store-schema{5,…,10}`, made with that commit's own `sgd demo`; schema 4 is the
//! 0.1 store `tests/migration.rs` covers in depth) upgrades with this version: read-only verify
//! passes on the old file without changing it, the first DSL unlock brings the schema to exactly
//! what the migrations make on an empty database, no row of any table is lost, every record
//! still reads, everyone gets in, and verify passes after.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use safeguard_core::clock::SystemClock;
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{ChronologyFilter, PupilQuery};
use safeguard_core::{Error, Opened, Progress, StoreOptions, store};

/// (fixture folder, schema version it holds, commit that made it)
const FIXTURES: &[(&str, i64, &str)] = &[
    ("store-schema5", 5, "3230605"),
    ("store-schema6", 6, "c600922"),
    ("store-schema7", 7, "8531e63"),
    ("store-schema8", 8, "3e8c58b"),
    ("store-schema9", 9, "7cf6854"),
    ("store-schema10", 10, "75a8280"),
    ("store-schema11", 11, "6f2e0d5"),
    ("store-schema12", 12, "9b1ac06"),
];

fn opts() -> StoreOptions {
    StoreOptions::new(Arc::new(SystemClock))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "README.md" {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).unwrap();
        }
    }
}

fn fixture(name: &str, into: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = into.join("store");
    copy_dir(&src, &dir);
    dir
}

fn counts(dir: &Path, pass: &Passphrase) -> Vec<(String, i64)> {
    let conn = safeguard_core::testing::raw_read_only(dir, "Rachel Adeyemi", pass).unwrap();
    store::table_counts(&conn).unwrap()
}

fn version(dir: &Path, pass: &Passphrase) -> i64 {
    let conn = safeguard_core::testing::raw_read_only(dir, "Rachel Adeyemi", pass).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_store_of_every_earlier_schema_version_upgrades_without_losing_a_row() {
    let latest = store::schema_version();
    let shipped: Vec<i64> = FIXTURES.iter().map(|f| f.1).collect();
    assert_eq!(
        shipped,
        (5..latest).collect::<Vec<_>>(),
        "a store made at each earlier schema version since 0.1 is committed"
    );
    for &(name, schema, commit) in FIXTURES {
        let tmp = tempfile::tempdir().unwrap();
        let dir = fixture(name, tmp.path());
        let pass = Passphrase::new(format!("fixture passphrase {commit}"));
        assert_eq!(version(&dir, &pass), schema, "{name} is at schema {schema}");

        let report =
            safeguard_core::verify_store(&dir, Some("Rachel Adeyemi"), &pass, &opts(), &[])
                .unwrap();
        assert!(report.all_ok(), "{name} before: {:?}", report.problems());
        let before = counts(&dir, &pass);
        assert!(
            before.iter().any(|(t, n)| t == "concerns" && *n > 0),
            "{name} holds records"
        );

        // The first unlock makes the derived tables and says so step by step (the window shows
        // it: on a store of decades this takes minutes); the next unlock has nothing to make.
        let told = Arc::new(Mutex::new(Vec::new()));
        let record = |told: &Arc<Mutex<Vec<Progress>>>| {
            let told = told.clone();
            opts().with_progress(move |p| told.lock().unwrap().push(p))
        };
        let dsl =
            safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass, record(&told)).unwrap();
        let steps = told.lock().unwrap().clone();
        assert!(
            steps.contains(&Progress::DerivingChronology) && steps.last() == Some(&Progress::Done),
            "{name}: the first unlock tells its steps: {steps:?}"
        );
        drop(dsl);
        let again = Arc::new(Mutex::new(Vec::new()));
        let mut dsl =
            safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass, record(&again)).unwrap();
        assert_eq!(
            *again.lock().unwrap(),
            vec![],
            "{name}: nothing to make again"
        );
        let pupils = dsl
            .list_pupils(&PupilQuery {
                text: None,
                year_group: None,
                flag: None,
                offset: 0,
                limit: 500,
            })
            .unwrap();
        assert!(pupils.total > 0);
        for p in &pupils.items {
            dsl.pupil_file(p.id)
                .unwrap_or_else(|e| panic!("{name}: {}'s file: {e}", p.name));
            dsl.pupil_chronology(p.id, &ChronologyFilter::default())
                .unwrap();
        }
        dsl.prompts().unwrap();
        dsl.escalations(true).unwrap();
        dsl.dashboard().unwrap();
        // Before 011 a correction indexed only its value: Grace's concern, whose location was
        // made precise, is found by words of its account and its corrected place together
        // only from the whole current text the unlock wrote.
        let grace = dsl.search("pushed climbing frame", 50).unwrap();
        assert_eq!(grace.len(), 1, "{name}: {grace:#?}");
        assert_eq!(grace[0].kind, safeguard_core::records::RecordKind::Concern);
        drop(dsl);

        assert_eq!(version(&dir, &pass), latest, "{name} upgraded");
        let conn = safeguard_core::testing::raw_read_only(&dir, "Rachel Adeyemi", &pass).unwrap();
        assert_eq!(
            store::schema_of(&conn).unwrap(),
            store::expected_schema(latest).unwrap(),
            "{name}: the upgraded schema is exactly what the migrations make"
        );
        drop(conn);
        let after = counts(&dir, &pass);
        for (table, n) in &before {
            // An FTS5 index's own tables hold segments, which merge as rows are added: what it
            // indexes is `search_text`, counted like every other table.
            if table.starts_with("search_index_") || table.starts_with("search_recent_") {
                continue;
            }
            let now = after
                .iter()
                .find(|(t, _)| t == table)
                .map_or(0, |(_, n)| *n);
            assert!(now >= *n, "{name}: {table} had {n} rows, has {now}");
        }
        let rows_in = |t: &str| after.iter().find(|(n, _)| n == t).map(|(_, n)| *n);
        for (records, derived) in [
            ("concerns", "concern_facts"),
            ("voice_entries", "voice_facts"),
            ("referrals", "referral_facts"),
            ("pupils", "pupil_facts"),
            ("household_members", "member_facts"),
        ] {
            assert_eq!(
                rows_in(records),
                rows_in(derived),
                "{name}: {derived} was built at the first unlock"
            );
        }
        assert_eq!(Some(pupils.total as i64), rows_in("pupils"));
        // Every concern, voice entry, referral, follow-up and notification child has its
        // chronology entry (a concern naming another child has one more).
        let entries: i64 = [
            "concerns",
            "voice_entries",
            "referrals",
            "follow_ups",
            "encompass_children",
        ]
        .iter()
        .map(|t| rows_in(t).unwrap_or(0))
        .sum();
        assert!(
            rows_in("chronology_facts").unwrap_or(0) >= entries && entries > 0,
            "{name}: chronology_facts was built at the first unlock"
        );

        for user in ["Tom Whitfield", "Priya Shah"] {
            match safeguard_core::open_store(&dir, Some(user), &pass, opts()) {
                Ok(Opened::Team(_)) => {}
                Ok(Opened::Staff(_)) => panic!("{name}: {user} opened as staff"),
                Err(e) => panic!("{name}: {user} cannot get in after the upgrade: {e}"),
            }
        }
        // Before keyring format 3 (schema 6) a staff slot held the database key: its wrapping
        // is not trusted on its own, and the DSL is shown who needs a new passphrase.
        let staff = safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass, opts());
        if schema < 6 {
            assert!(
                matches!(staff, Err(Error::PassphraseResetNeeded)),
                "{name}: a staff slot from before format 3 must be reset"
            );
            let mut dsl =
                safeguard_core::unlock(&dir, Some("Rachel Adeyemi"), &pass, opts()).unwrap();
            assert!(
                dsl.users()
                    .unwrap()
                    .iter()
                    .any(|u| u.name == "Daniel Okoro" && u.needs_new_passphrase)
            );
            dsl.change_passphrase("Daniel Okoro", &pass).unwrap();
            drop(dsl);
            assert!(matches!(
                safeguard_core::open_store(&dir, Some("Daniel Okoro"), &pass, opts()),
                Ok(Opened::Staff(_))
            ));
        } else {
            assert!(
                matches!(staff, Ok(Opened::Staff(_))),
                "{name}: staff get in after the upgrade"
            );
            drop(staff);
        }
        let report =
            safeguard_core::verify_store(&dir, Some("Rachel Adeyemi"), &pass, &opts(), &[])
                .unwrap();
        assert!(report.all_ok(), "{name} after: {:?}", report.problems());
    }
}
