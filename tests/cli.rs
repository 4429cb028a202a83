//! The admin CLI as a technician or a scheduled script uses it: secrets from the environment,
//! no terminal, clear exit codes.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const SGD: &str = env!("CARGO_BIN_EXE_sgd");

fn sgd(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(SGD);
    c.args(args)
        .stdin(Stdio::null())
        .env_remove("SGD_PASSPHRASE")
        .env_remove("SGD_NEW_PASSPHRASE")
        .env_remove("SGD_USER")
        .env_remove("SGD_RECOVERY_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const PASS: (&str, &str) = ("SGD_PASSPHRASE", "cli passphrase one");

fn recovery_key_from(out: &str) -> String {
    out.lines()
        .map(str::trim)
        .find(|l| l.len() == 39 && l.matches('-').count() == 7)
        .expect("recovery key printed")
        .to_owned()
}

#[test]
fn init_users_passwd_recover_verify_backup_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let s = store.to_str().unwrap();
    let out = sgd(
        &["init", s, "--school", "CLI Primary", "--user", "Ann DSL"],
        &[PASS],
    );
    assert!(out.status.success(), "{}", text(&out));
    let key = recovery_key_from(&text(&out));
    // Again over the same folder: refused.
    let again = sgd(&["init", s, "--school", "X", "--user", "Y"], &[PASS]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let add = sgd(
        &["user", "add", s, "--name", "Ben Staff", "--role", "staff"],
        &[PASS, ("SGD_NEW_PASSPHRASE", "ben passphrase 1")],
    );
    assert!(add.status.success(), "{}", text(&add));
    let bad_role = sgd(
        &["user", "add", s, "--name", "C", "--role", "janitor"],
        &[PASS, ("SGD_NEW_PASSPHRASE", "c passphrase 12")],
    );
    assert!(!bad_role.status.success() && text(&bad_role).contains("role"));
    // Ben (staff) may not add users.
    let forbidden = sgd(
        &["user", "add", s, "--name", "D", "--role", "staff"],
        &[
            ("SGD_PASSPHRASE", "ben passphrase 1"),
            ("SGD_NEW_PASSPHRASE", "d passphrase 12"),
        ],
    );
    assert!(!forbidden.status.success());
    assert!(
        text(&forbidden).contains("Forbidden"),
        "{}",
        text(&forbidden)
    );

    let wrong = sgd(&["stats", s], &[("SGD_PASSPHRASE", "not it at all")]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong).contains("wrong passphrase"),
        "{}",
        text(&wrong)
    );
    let no_secret = sgd(&["stats", s], &[]);
    assert!(
        !no_secret.status.success(),
        "no passphrase and no terminal must fail, not hang"
    );
    assert!(
        text(&no_secret).contains("SGD_PASSPHRASE"),
        "{}",
        text(&no_secret)
    );

    let verify = sgd(&["verify", s], &[PASS]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("chain head:")
            && text(&verify).contains("audit chain:            ok")
    );

    let rec = sgd(
        &["recover", s, "--name", "Ann DSL"],
        &[
            ("SGD_RECOVERY_KEY", &key),
            ("SGD_NEW_PASSPHRASE", "ann new passphrase"),
        ],
    );
    assert!(rec.status.success(), "{}", text(&rec));
    assert!(!sgd(&["stats", s], &[PASS]).status.success());
    let ann = ("SGD_PASSPHRASE", "ann new passphrase");
    assert!(sgd(&["stats", s], &[ann]).status.success());
    let pw = sgd(
        &["passwd", s, "--name", "Ben Staff"],
        &[ann, ("SGD_NEW_PASSPHRASE", "ben passphrase 2")],
    );
    assert!(pw.status.success(), "{}", text(&pw));
    let rm = sgd(&["user", "remove", s, "--name", "Ben Staff"], &[ann]);
    assert!(rm.status.success(), "{}", text(&rm));
    assert!(
        !sgd(&["stats", s], &[("SGD_PASSPHRASE", "ben passphrase 2")])
            .status
            .success()
    );

    let file = tmp.path().join("b.sgdbackup");
    let b = sgd(&["backup", s, file.to_str().unwrap()], &[ann]);
    assert!(b.status.success(), "{}", text(&b));
    let over = sgd(&["restore", file.to_str().unwrap(), s], &[ann]);
    assert!(
        !over.status.success(),
        "restore must refuse an existing store"
    );
    let target = tmp.path().join("restored");
    let r = sgd(
        &["restore", file.to_str().unwrap(), target.to_str().unwrap()],
        &[ann],
    );
    assert!(r.status.success(), "{}", text(&r));
    assert!(
        sgd(&["verify", target.to_str().unwrap()], &[ann])
            .status
            .success()
    );
    let garbage = tmp.path().join("garbage");
    std::fs::write(&garbage, b"not a backup at all").unwrap();
    let g = sgd(
        &[
            "restore",
            garbage.to_str().unwrap(),
            tmp.path().join("r3").to_str().unwrap(),
        ],
        &[ann],
    );
    assert!(
        !g.status.success() && text(&g).contains("not a complete Safeguard Desk backup"),
        "{}",
        text(&g)
    );
}

#[test]
fn demo_has_every_record_type_and_users_act_as_themselves() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    let s = store.to_str().unwrap();
    let out = sgd(&["demo", s], &[PASS]);
    assert!(out.status.success(), "{}", text(&out));
    let stats = text(&sgd(&["stats", s], &[PASS, ("SGD_USER", "Rachel Adeyemi")]));
    for line in stats.lines() {
        let n: i64 = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(n > 0, "demo has none of: {line}");
    }
    let pupils = text(&sgd(&["pupils", s], &[PASS]));
    assert!(
        pupils.contains("Zoë Nowak-Łukasiewicz") && pupils.contains("Siobhán O'Connor"),
        "{pupils}"
    );
    // The staff user cannot read stats; SGD_USER picks the user.
    let staff = sgd(&["stats", s], &[PASS, ("SGD_USER", "Daniel Okoro")]);
    assert!(!staff.status.success());
    assert!(sgd(&["verify", s], &[PASS]).status.success());
    let _ = Path::new(s);
}

#[test]
fn seed_is_deterministic_in_its_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let counts = |name: &str| {
        let store = tmp.path().join(name);
        let out = sgd(
            &[
                "seed",
                store.to_str().unwrap(),
                "--pupils",
                "30",
                "--years",
                "1",
                "--seed",
                "7",
            ],
            &[PASS],
        );
        assert!(out.status.success(), "{}", text(&out));
        text(&sgd(&["stats", store.to_str().unwrap()], &[PASS]))
            .lines()
            .filter(|l| !l.contains("audit"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(counts("a"), counts("b"));
}

/// When the derived tables cannot be rebuilt at an unlock (a full disk), nobody is kept out: the
/// pupil list falls back to reading every record, and Today's prompts say why they cannot be
/// worked out rather than leaving prompts out. The next unlock with space rebuilds them.
#[test]
fn a_derived_rebuild_that_cannot_finish_keeps_nobody_out_and_hides_no_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    let s = store.to_str().unwrap();
    assert!(sgd(&["demo", s], &[PASS]).status.success());
    let dsl = ("SGD_USER", "Rachel Adeyemi");
    let pupils = text(&sgd(&["pupils", s], &[PASS, dsl]));
    let prompts = sgd(&["prompts", s], &[PASS, dsl]);
    assert!(prompts.status.success(), "{}", text(&prompts));
    let raw = || {
        safeguard_core::testing::raw_connection(
            &store,
            "Rachel Adeyemi",
            &safeguard_core::secret::Passphrase::new(PASS.1.to_owned()),
        )
        .unwrap()
    };
    let emptied = |c: &rusqlite::Connection| {
        for t in [
            "concern_facts",
            "voice_facts",
            "referral_facts",
            "pupil_facts",
            "member_facts",
            "chronology_facts",
        ] {
            c.execute(&format!("DELETE FROM {t}"), []).unwrap();
        }
    };
    emptied(&raw());

    let full = ("SGD_FAULT", "derived.rebuild:diskfull");
    let listed = sgd(&["pupils", s], &[PASS, dsl, full]);
    assert!(listed.status.success(), "{}", text(&listed));
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        pupils,
        "every pupil, read from the records"
    );
    let told = String::from_utf8_lossy(&listed.stderr);
    assert!(
        told.contains("working out what Today") && told.ends_with("sgd: stopped.\n"),
        "the unfinished preparation is told, not hidden: {told}"
    );
    let refused = sgd(&["prompts", s], &[PASS, dsl, full]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("working tables")
            && text(&refused).contains("nothing was lost")
            && text(&refused).contains("not enough free disk space"),
        "{}",
        text(&refused)
    );
    // A child's file is made from the records while the kept chronology entries are missing.
    let upn = pupils
        .lines()
        .find_map(|l| l.split_whitespace().nth(1).filter(|u| u.len() == 13))
        .expect("a pupil with a UPN");
    let pdf = tmp.path().join("file.pdf");
    let out = pdf.to_str().unwrap();
    let file = sgd(
        &["file", s, "--pupil", upn, "--out", out],
        &[PASS, dsl, full],
    );
    assert!(file.status.success(), "{}", text(&file));
    let listed = Command::new("pdftotext").args([out, "-"]).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("Chronology") && listed.contains("Concern:"),
        "{listed}"
    );
    let count = |t: &str| -> i64 {
        raw()
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        count("pupil_facts"),
        0,
        "the cut-short rebuild left nothing half-done"
    );
    assert_eq!(
        count("derived_state"),
        0,
        "and no version: whatever is written before the next unlock, that unlock rebuilds all"
    );

    let again = sgd(&["prompts", s], &[PASS, dsl]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(again.stdout, prompts.stdout, "rebuilt at the next unlock");
    let told = String::from_utf8_lossy(&again.stderr);
    assert!(
        told.contains("making every child's chronology") && told.ends_with("sgd: done.\n"),
        "the rebuild is told and ends done: {told}"
    );
    assert_eq!(count("pupil_facts"), count("pupils"));
    assert_eq!(count("referral_facts"), count("referrals"));
    assert!(count("chronology_facts") >= count("concerns") + count("voice_entries"));
}

/// `sgd demo --today` makes the same school from the same date: the same records and, read at
/// the same moment, the same prompts.
#[test]
fn demo_with_a_date_is_the_same_school_each_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dsl = ("SGD_USER", "Rachel Adeyemi");
    let made = |name: &str| {
        let store = tmp.path().join(name);
        let s = store.to_str().unwrap().to_owned();
        let out = sgd(&["demo", &s, "--today", "2026-11-02"], &[PASS]);
        assert!(out.status.success(), "{}", text(&out));
        s
    };
    let (a, b) = (made("a"), made("b"));
    // Record ids are random (UUIDv7): each prompt's key, which names them, is left out.
    let without_keys = |s: String| {
        s.lines()
            .map(|l| l.split("  [").next().unwrap_or(l).to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for cmd in ["stats", "prompts"] {
        let (x, y) = (
            without_keys(text(&sgd(&[cmd, &a], &[PASS, dsl]))),
            without_keys(text(&sgd(&[cmd, &b], &[PASS, dsl]))),
        );
        assert!(!x.trim().is_empty());
        assert_eq!(x, y, "{cmd}");
    }
    let bad = sgd(
        &["demo", &format!("{a}-x"), "--today", "2026-02-30"],
        &[PASS],
    );
    assert!(!bad.status.success(), "an impossible date is refused");
}
