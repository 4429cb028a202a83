//! Tidy tests: the invariants ARCHITECTURE.md writes down, checked against the code and the
//! schema themselves rather than against lists kept by hand.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use safeguard_core::records::RecordKind;
use safeguard_core::testing;

/// Derived tables (rebuilt from the records, maintained by triggers) and drafts (forms not yet
/// saved): the only tables whose rows may change. ARCHITECTURE.md names these and no others.
const MAY_CHANGE: &[&str] = &[
    "open_follow_ups",
    "open_referrals",
    "open_escalations",
    "concern_facts",
    "voice_facts",
    "referral_facts",
    "pupil_facts",
    "member_facts",
    "chronology_facts",
    "derived_state",
    "derived_unreadable",
    "search_row_roles",
    "search_state",
    "drafts",
];

/// Event tables (a status change is a row with a typed body, not a record kind of its own),
/// drafts (a form's JSON as it was left, not a record) and the search text.
const OTHER_TABLES_WITH_BODIES: &[&str] = &[
    "household_member_ends",
    "follow_up_events",
    "drafts",
    "search_text",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> (Fixture, rusqlite::Connection) {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Tidy", 1);
    s.record_concern(&concern_for(p, monday(), "An account.", Some("Words.")))
        .unwrap();
    drop(s);
    let conn = testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    (fx, conn)
}

fn tables(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index%' AND name NOT LIKE 'search_recent%' ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn every_table_the_schema_holds_is_append_only_unless_derived() {
    let (_fx, conn) = schema();
    let all = tables(&conn);
    assert!(all.len() > 30, "{all:?}");
    let mut tried = 0;
    for t in all.iter().filter(|t| !MAY_CHANGE.contains(&t.as_str())) {
        for op in ["UPDATE", "DELETE"] {
            let sql: Option<String> = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1
                     AND sql LIKE '%BEFORE ' || ?2 || ' ON ' || ?1 || '%'",
                    [t.as_str(), op],
                    |r| r.get(0),
                )
                .ok();
            let sql = sql.unwrap_or_else(|| panic!("{t} has no BEFORE {op} trigger"));
            assert!(
                sql.contains(&format!("RAISE(ABORT, 'append-only: {t}')")),
                "{t}: {sql}"
            );
        }
        // Where the table holds a row, the triggers really refuse.
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        if rows > 0 {
            for sql in [
                format!("UPDATE {t} SET rowid = rowid"),
                format!("DELETE FROM {t}"),
            ] {
                let err = conn.execute(&sql, []).expect_err(&sql);
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
            tried += 1;
        }
    }
    assert!(tried >= 10, "only {tried} tables held rows");
}

#[test]
fn every_table_with_a_body_is_a_declared_kind_or_a_typed_event() {
    let (_fx, conn) = schema();
    let kinds: BTreeSet<&str> = RecordKind::ALL.iter().map(|k| k.table_name()).collect();
    for t in tables(&conn) {
        let has_body: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = 'body')",
                [&t],
                |r| r.get(0),
            )
            .unwrap();
        if has_body {
            assert!(
                kinds.contains(t.as_str()) || OTHER_TABLES_WITH_BODIES.contains(&t.as_str()),
                "{t} stores bodies but no kind in src/kinds/ declares it"
            );
        }
    }
    for k in RecordKind::ALL {
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [k.table_name()],
                |r| r.get(0),
            )
            .unwrap();
        assert!(exists, "{k:?} names a table the schema lacks");
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn business_logic_reads_time_only_from_the_injected_clock() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    // The clock itself, and the binaries, which choose the system clock for a real session.
    let allowed = [root().join("src/clock.rs"), root().join("src/bin")];
    let banned = [
        "SystemClock",
        "Utc::now(",
        "Local::now(",
        "SystemTime::now(",
    ];
    let mut found = Vec::new();
    for f in files
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
    {
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests may use the system clock for inputs.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                if line.contains(b) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the system clock read outside clock.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_path_architecture_md_names_exists() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let tops = [
        "src/",
        "src-tauri/",
        "ui/",
        "tests/",
        "benches/",
        "scripts/",
        "assets/",
        "docs/",
        "fuzz/",
        ".ci/",
    ];
    let mut checked = 0;
    let mut missing = Vec::new();
    for (i, quoted) in text.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if i % 2 == 0 || !tops.iter().any(|t| quoted.starts_with(t)) {
            continue;
        }
        // `src/session/documents.rs::child_file_pdf` names a function in a file; a glob names
        // its folder.
        let path = quoted.split("::").next().unwrap();
        let path = match path.find('*') {
            Some(star) => &path[..path[..star].rfind('/').map_or(0, |s| s + 1)],
            None => path,
        };
        checked += 1;
        if !root().join(path).exists() {
            missing.push(quoted.to_owned());
        }
    }
    assert!(checked > 40, "only {checked} paths found");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn raw_database_access_is_compiled_only_into_tests() {
    // `safeguard_core::testing` opens the database with a raw key: only the crate's own
    // dev-dependency enables it. The app, the CLI and the fuzz targets depend on the core
    // without it, and it is no default feature. The fuzz targets see the internal parsers
    // (`internals`); the app sees neither.
    let core = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let features = core.split("[features]").nth(1).unwrap();
    let features = features.split("\n[").next().unwrap();
    assert!(
        !features.contains("default"),
        "the core has no default features: {features}"
    );
    let dev = core.split("[dev-dependencies]").nth(1).unwrap();
    assert!(
        dev.lines()
            .any(|l| l.starts_with("safeguard-core") && l.contains("\"testing\""))
    );
    for other in ["src-tauri/Cargo.toml", "fuzz/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(other)).unwrap();
        let dep = text
            .lines()
            .find(|l| l.starts_with("safeguard-core"))
            .unwrap_or_else(|| panic!("{other} depends on the core"));
        assert!(!dep.contains("testing"), "{other}: {dep}");
        if other.starts_with("src-tauri") {
            // Not on the dependency line, nor through a feature of the app's own.
            for word in ["internals", "testing", "safeguard-core/"] {
                assert!(!text.contains(word), "{other} names {word}");
            }
        }
    }
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("#[cfg(feature = \"testing\")]\npub mod testing;"),
        "{lib}"
    );
}

#[test]
fn every_append_only_table_is_accounted_for_by_the_audit() {
    // Every row of an append-only table must be listed by the audit event that wrote it, and
    // `verify` checks only the tables in `audit::RECORD_TABLES`: a new one must be added there.
    let (_fx, conn) = schema();
    let audited: BTreeSet<&str> = safeguard_core::audit::RECORD_TABLES
        .iter()
        .map(|t| t.0)
        .collect();
    for t in tables(&conn) {
        if MAY_CHANGE.contains(&t.as_str()) || ["audit_events", "store_meta"].contains(&t.as_str())
        {
            continue;
        }
        assert!(
            audited.contains(t.as_str()),
            "{t} is append-only but not in audit::RECORD_TABLES"
        );
    }
}

/// The UI's own sources (not the generated bindings).
fn ui_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("ui/src").flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if name != "bindings" && name != "__tests__" {
                    walk(&p, out);
                }
            } else if name.ends_with(".svelte") || name.ends_with(".ts") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("ui/src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p, text)
        })
        .collect()
}

#[test]
fn the_ui_calls_the_shell_only_through_the_generated_client() {
    let mut offenders = Vec::new();
    for (path, text) in ui_sources() {
        if path.ends_with("lib/ipc.ts") {
            continue;
        }
        if text.contains("@tauri-apps/api/core") || text.contains("invoke(") {
            offenders.push(path.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "call the shell through `api` (ui/src/bindings/commands.ts, generated from src-tauri/src/ipc.rs), not `invoke`: {offenders:?}"
    );
}

#[test]
fn the_ui_decides_nothing_by_comparing_role_names() {
    let mut offenders = Vec::new();
    for (path, text) in ui_sources() {
        for (n, line) in text.lines().enumerate() {
            if line.contains("role ===") || line.contains("role !==") || line.contains("_LABELS") {
                offenders.push(format!("{}:{}", path.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read `session.can` and the core's vocabulary instead: {offenders:?}"
    );
}

/// A closed set's words come from the core (`Vocabulary`), never a table in a component: a
/// choice written out in the markup (`<option value="given">Given</option>`) or a
/// `[Value, string][]` label table drifts from the PDFs' words and misses a new value.
#[test]
fn the_ui_keeps_no_label_table_of_its_own() {
    let mut offenders = Vec::new();
    for (path, text) in ui_sources() {
        for (n, line) in text.lines().enumerate() {
            let literal_choice = line
                .match_indices("<option value=\"")
                .any(|(i, m)| !line[i + m.len()..].starts_with('"'));
            if literal_choice || line.contains(", string][] = [") {
                offenders.push(format!("{}:{}", path.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "offer the core's vocabulary (ui/src/lib/vocabulary.svelte.ts) instead: {offenders:?}"
    );
}
