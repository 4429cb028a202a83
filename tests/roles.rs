//! Roles are enforced by the core: every forbidden action is refused whatever the front end.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use safeguard_core::Error;
use safeguard_core::records::*;
use safeguard_core::session::PupilQuery;

struct World {
    fx: Fixture,
    pupil: Id,
    dsl_concern: Id,
    referral: Id,
    escalation: Id,
}

fn world() -> World {
    let (fx, mut s) = new_store();
    s.add_user("Dee Deputy", Role::Deputy, &pass("deputy passphrase"))
        .unwrap();
    s.add_user("Hal Head", Role::Head, &pass("head passphrase"))
        .unwrap();
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    s.add_user("Sam Staff", Role::Staff, &pass("staff passphrase 2"))
        .unwrap();
    let pupil = add_pupil(&mut s, "Role", 1);
    let dsl_concern = s
        .record_concern(&concern_for(pupil, monday(), "DSL's concern", None))
        .unwrap();
    let referral = s.record_referral(&referral(pupil)).unwrap();
    let escalation = s.open_escalation(&escalation(pupil)).unwrap();
    // An open follow-up, so the follow-up methods have something to act on.
    s.add_follow_up(&NewFollowUp {
        pupil_id: pupil,
        source_id: None,
        owner_id: None,
        due_on: monday().date_naive(),
        details: FollowUpDetails {
            action: "Check".into(),
        },
    })
    .unwrap();
    World {
        fx,
        pupil,
        dsl_concern,
        referral,
        escalation,
    }
}

fn referral(pupil: Id) -> NewReferral {
    NewReferral {
        pupil_id: pupil,
        details: ReferralDetails {
            made_at: monday() - Duration::hours(1),
            agency: Agency::Mash,
            agency_name: None,
            method: ReferralMethod::Phone,
            reference: None,
            contact_name: None,
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: None,
            what_was_shared: "Concerns".into(),
            written_confirmation_sent_on: None,
        },
    }
}

fn stage() -> StageDetails {
    StageDetails {
        raised_on: monday().date_naive(),
        with_name: "SW".into(),
        with_role: "Social worker".into(),
        with_agency: "CSC".into(),
        disagreement: "d".into(),
        evidence: "e".into(),
    }
}

fn escalation(pupil: Id) -> NewEscalation {
    NewEscalation {
        pupil_id: pupil,
        referral_id: None,
        details: EscalationDetails {
            agency: "CSC".into(),
            subject: "NFA".into(),
        },
        first_stage: stage(),
    }
}

fn forbidden<T: std::fmt::Debug>(r: safeguard_core::Result<T>, what: &str) {
    assert!(
        matches!(r, Err(Error::Forbidden)),
        "{what}: expected Forbidden, got {r:?}"
    );
}

#[test]
fn staff_record_concerns_into_the_inbox_and_read_only_their_own() {
    let w = world();
    let mut sue = w.fx.staff("Sue Staff", "staff passphrase").unwrap();
    let mine = sue
        .record_concern(&concern_for(
            w.pupil,
            monday(),
            "Sue's concern about hunger",
            None,
        ))
        .unwrap();
    let chron = sue.chronology(w.pupil).unwrap();
    assert_eq!(
        chron.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        vec![mine],
        "her own, waiting; never the DSL's concern"
    );
    let hits = sue.search("concern", 50).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.record_id).collect::<Vec<_>>(),
        vec![mine]
    );
    // Staff see names and years from the roster, no status flags.
    let page = sue.list_pupils(&PupilQuery::default()).unwrap();
    assert_eq!(page.items[0].protection_status, None);
    assert_eq!(page.items[0].date_of_birth, None);
    // A file attached to her own concern goes into the inbox too; not to anyone else's.
    sue.attach_file(mine, "note.txt", "text/plain", b"scanned note")
        .unwrap();
    assert!(matches!(
        sue.attach_file(w.dsl_concern, "x.txt", "text/plain", b"x"),
        Err(Error::NotFound { .. })
    ));
    drop(sue);

    // The other member of staff sees none of it.
    let sam = w.fx.staff("Sam Staff", "staff passphrase 2").unwrap();
    assert!(sam.chronology(w.pupil).unwrap().is_empty());
    assert!(sam.search("hunger", 50).unwrap().is_empty());
    assert!(sam.my_concerns().unwrap().is_empty());
    drop(sam);

    // The DSL's unlock files both as records, author and time kept, audited as filed by her.
    let mut dsl = w.fx.dsl();
    let report = dsl.inbox_report().unwrap();
    assert_eq!((report.filed, report.set_aside.len()), (2, 0), "{report:?}");
    let entry = dsl
        .pupil_chronology(w.pupil, &Default::default())
        .unwrap()
        .into_iter()
        .find(|e| e.record_id == mine)
        .expect("the concern is a record now, under the same id");
    assert_eq!(entry.author, "Sue Staff");
    assert_eq!(entry.attachments.len(), 1);
    assert_eq!(entry.attachments[0].added_by, "Sue Staff");
    drop(dsl);

    // Sue still reads what she wrote, now with the team's receipt.
    let sue = w.fx.staff("Sue Staff", "staff passphrase").unwrap();
    let own = sue.my_concerns().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].filed_by.as_deref(), Some(common::DSL));
    assert_eq!(own[0].entry.attachments.len(), 1);
}

#[test]
fn staff_get_no_session_over_the_records() {
    let w = world();
    // Staff hold no database key: the team's session, and verify, are refused outright.
    assert!(matches!(
        w.fx.unlock("Sue Staff", "staff passphrase"),
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        safeguard_core::verify_store(
            &w.fx.dir,
            Some("Sue Staff"),
            &pass("staff passphrase"),
            &w.fx.opts(),
            &[]
        ),
        Err(Error::Forbidden)
    ));
    let mut s = w.fx.staff("Sue Staff", "staff passphrase").unwrap();
    forbidden(
        s.list_pupils(&PupilQuery {
            flag: Some(safeguard_core::session::StatusFlag::AnyPlan),
            ..Default::default()
        }),
        "staff filter by status",
    );
    // Their own passphrase they change themselves; their key pair (and so their items) stays.
    s.change_passphrase(&pass("sue's new passphrase")).unwrap();
    drop(s);
    assert!(w.fx.staff("Sue Staff", "staff passphrase").is_err());
    w.fx.staff("Sue Staff", "sue's new passphrase").unwrap();
}

#[test]
fn the_head_reads_everything_comments_on_escalations_and_cannot_amend_others_records() {
    let w = world();
    let mut head = w.fx.unlock("Hal Head", "head passphrase").unwrap();
    assert!(
        head.pupil_chronology(w.pupil, &Default::default())
            .unwrap()
            .len()
            >= 4
    );
    head.pupil_file(w.pupil).unwrap();
    assert!(
        !head
            .dashboard()
            .unwrap()
            .referrals_awaiting_decision
            .is_empty()
    );
    head.add_review_comment(w.escalation, "Reviewed").unwrap();
    forbidden(
        head.amend(
            RecordKind::Concern,
            w.dsl_concern,
            "account",
            serde_json::json!("changed"),
            "x",
        ),
        "head amend",
    );
    forbidden(
        head.record_decision(
            w.referral,
            &DecisionDetails {
                received_on: monday().date_naive(),
                outcome: DecisionOutcome::NoFurtherAction,
                decided_by: None,
                notes: String::new(),
            },
        ),
        "head decision",
    );
    forbidden(
        head.advance_escalation(w.escalation, &stage()),
        "head advance",
    );
    forbidden(
        head.resolve_escalation(w.escalation, "done"),
        "head resolve",
    );
    forbidden(
        head.add_user("Eve", Role::Staff, &pass("eve passphrase")),
        "head add user",
    );
    forbidden(
        head.set_resolution_procedure(&ResolutionProcedure::default()),
        "head settings",
    );
}

#[test]
fn the_deputy_does_everything_but_users() {
    let w = world();
    let mut dep = w.fx.unlock("Dee Deputy", "deputy passphrase").unwrap();
    dep.record_decision(
        w.referral,
        &DecisionDetails {
            received_on: monday().date_naive(),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: None,
            notes: "NFA".into(),
        },
    )
    .unwrap();
    dep.amend(
        RecordKind::Concern,
        w.dsl_concern,
        "location",
        serde_json::json!("Hall"),
        "Correction",
    )
    .unwrap();
    dep.set_idle_lock_minutes(10).unwrap();
    forbidden(
        dep.add_user("Eve", Role::Staff, &pass("eve passphrase")),
        "deputy add user",
    );
    forbidden(dep.remove_user("Sue Staff"), "deputy remove user");
    forbidden(
        dep.add_review_comment(w.escalation, "c"),
        "deputy review comment",
    );
    let _ = NaiveDate::MIN;
}

/// What one role may do with one method of `Session`.
type Call = fn(&mut safeguard_core::Session, &World) -> safeguard_core::Result<()>;

/// Every method that acts on the store, called as every role. `[dsl, deputy, head, staff]`:
/// true = allowed (it must not be refused), false = it must answer `Forbidden`. Staff get no
/// `Session` at all (their slot opens no database key): for them the table checks that unlock
/// itself is refused, so every `false` in their column holds a fortiori.
#[test]
fn the_role_table_every_method_as_every_role() {
    use safeguard_core::session::{DocumentRequest, ReferralSelection};
    const ALL: [bool; 4] = [true, true, true, true];
    const READERS: [bool; 4] = [true, true, true, false];
    const LEADS: [bool; 4] = [true, true, false, false];
    const DSL_ONLY: [bool; 4] = [true, false, false, false];
    let table: &[(&str, Call, [bool; 4])] = &[
        // Reading.
        (
            "list pupils",
            |s, _| s.list_pupils(&PupilQuery::default()).map(drop),
            ALL,
        ),
        (
            "pupil summary",
            |s, w| s.pupil_summary(w.pupil).map(drop),
            ALL,
        ),
        (
            "pupil file",
            |s, w| s.pupil_file(w.pupil).map(drop),
            READERS,
        ),
        (
            "pupil chronology",
            |s, w| s.pupil_chronology(w.pupil, &Default::default()).map(drop),
            ALL,
        ),
        (
            "family chronology",
            |s, w| s.family_chronology(w.pupil, &Default::default()).map(drop),
            READERS,
        ),
        ("search", |s, _| s.search("concern", 10).map(drop), ALL),
        ("dashboard", |s, _| s.dashboard().map(drop), ALL),
        ("prompts", |s, _| s.prompts().map(drop), READERS),
        ("follow-ups", |s, _| s.follow_ups().map(drop), ALL),
        ("assignees", |s, _| s.assignees().map(drop), LEADS),
        ("escalations", |s, _| s.escalations(true).map(drop), READERS),
        (
            "an escalation",
            |s, w| s.escalation(w.escalation).map(drop),
            READERS,
        ),
        (
            "amendments of another's record",
            |s, w| s.amendments_of(w.dsl_concern).map(drop),
            READERS,
        ),
        ("settings", |s, _| s.settings().map(drop), READERS),
        ("users", |s, _| s.users().map(drop), READERS),
        ("stats", |s, _| s.stats().map(drop), READERS),
        ("verify", |s, _| s.verify().map(drop), ALL),
        // Documents.
        (
            "referral PDF",
            |s, w| {
                s.referral_pdf(&ReferralSelection {
                    pupil_id: w.pupil,
                    ..Default::default()
                })
                .map(drop)
            },
            READERS,
        ),
        (
            "whole file PDF",
            |s, w| {
                s.document(&DocumentRequest::ChildFile { pupil_id: w.pupil })
                    .map(drop)
            },
            READERS,
        ),
        (
            "escalations PDF",
            |s, _| s.escalations_pdf(None).map(drop),
            READERS,
        ),
        // Recording.
        (
            "record a concern",
            |s, w| {
                s.record_concern(&concern_for(w.pupil, monday(), "Table concern", None))
                    .map(drop)
            },
            ALL,
        ),
        (
            "record the child's voice",
            |s, w| {
                s.record_voice(&NewVoice {
                    pupil_id: w.pupil,
                    details: VoiceDetails {
                        spoken_at: monday(),
                        words: "It is fine".into(),
                        wishes: None,
                        feelings: None,
                        non_verbal: None,
                        who_was_present: "DSL".into(),
                        context: None,
                    },
                })
                .map(drop)
            },
            LEADS,
        ),
        (
            "add a pupil",
            |s, _| {
                s.add_pupil(&pupil_details(
                    "Table",
                    "Pupil",
                    &format!("T{:012}", s.user().name.len()),
                ))
                .map(drop)
            },
            LEADS,
        ),
        (
            "record a referral",
            |s, w| s.record_referral(&referral(w.pupil)).map(drop),
            LEADS,
        ),
        (
            "record a decision",
            |s, w| {
                s.record_decision(
                    w.referral,
                    &DecisionDetails {
                        received_on: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                        outcome: DecisionOutcome::Other,
                        decided_by: None,
                        notes: "Decided".into(),
                    },
                )
                .map(drop)
            },
            LEADS,
        ),
        (
            "add a follow-up",
            |s, w| {
                s.add_follow_up(&NewFollowUp {
                    pupil_id: w.pupil,
                    source_id: None,
                    owner_id: None,
                    due_on: monday().date_naive(),
                    details: FollowUpDetails {
                        action: "Table".into(),
                    },
                })
                .map(drop)
            },
            LEADS,
        ),
        (
            "open an escalation",
            |s, w| s.open_escalation(&escalation(w.pupil)).map(drop),
            LEADS,
        ),
        (
            "record an escalation response",
            |s, w| {
                s.record_escalation_response(w.escalation, "Replied")
                    .map(drop)
            },
            LEADS,
        ),
        (
            // The review is the head's (and the DSL's), not the deputy's who ran the escalation.
            "add a review comment",
            |s, w| s.add_review_comment(w.escalation, "Reviewed").map(drop),
            [true, false, true, false],
        ),
        (
            "amend the DSL's concern",
            |s, w| {
                s.amend(
                    RecordKind::Concern,
                    w.dsl_concern,
                    "location",
                    serde_json::json!("Hall"),
                    "Wrong room",
                )
                .map(drop)
            },
            LEADS,
        ),
        ("save a draft", |s, _| s.save_draft("concern", "{}"), ALL),
        // Settings, users and keys.
        (
            "change the idle lock",
            |s, _| s.set_idle_lock_minutes(7),
            LEADS,
        ),
        (
            "back up",
            |s, _| {
                let to = s
                    .dir()
                    .parent()
                    .unwrap()
                    .join(format!("{}.sgdbackup", s.user().name));
                s.backup(&to)
            },
            LEADS,
        ),
        (
            "add a user",
            |s, _| {
                s.add_user(
                    &format!("New {}", s.user().name),
                    Role::Staff,
                    &pass("a new passphrase"),
                )
                .map(drop)
            },
            DSL_ONLY,
        ),
        (
            "reset another's passphrase",
            |s, _| s.change_passphrase("Sam Staff", &pass("reset passphrase 9")),
            DSL_ONLY,
        ),
        (
            "rotate the recovery key",
            |s, _| s.rotate_recovery_key().map(drop),
            DSL_ONLY,
        ),
        ("remove a user", |s, _| s.remove_user("Sam Staff"), DSL_ONLY),
    ];
    let logins = [
        (DSL, DSL_PASS),
        ("Dee Deputy", "deputy passphrase"),
        ("Hal Head", "head passphrase"),
        ("Sue Staff", "staff passphrase"),
    ];
    let mut wrong = Vec::new();
    for (r, (user, p)) in logins.iter().enumerate() {
        let w = world();
        let mut s = match w.fx.unlock(user, p) {
            Ok(s) => s,
            Err(Error::Forbidden) if *user == "Sue Staff" => continue,
            Err(e) => panic!("{user}: {e:?}"),
        };
        assert_ne!(
            *user, "Sue Staff",
            "a member of staff got a session over the records"
        );
        for (what, call, allowed) in table {
            let got = call(&mut s, &w);
            match (allowed[r], &got) {
                (true, Err(Error::Forbidden)) => wrong.push(format!("{user}: {what} was refused")),
                (true, Err(e)) => wrong.push(format!("{user}: {what} failed: {e:?}")),
                (false, Err(Error::Forbidden)) | (true, Ok(())) => {}
                (false, other) => wrong.push(format!("{user}: {what} was not refused: {other:?}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
