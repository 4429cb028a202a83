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
    follow_up: Id,
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
    let follow_up = s
        .add_follow_up(&NewFollowUp {
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
        follow_up,
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
fn staff_record_concerns_but_read_only_their_own() {
    let w = world();
    let mut sue = w.fx.unlock("Sue Staff", "staff passphrase").unwrap();
    let mine = sue
        .record_concern(&concern_for(
            w.pupil,
            monday(),
            "Sue's concern about hunger",
            None,
        ))
        .unwrap();
    let chron = sue.pupil_chronology(w.pupil, &Default::default()).unwrap();
    assert_eq!(
        chron.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        vec![mine]
    );
    let hits = sue.search("concern", 50).unwrap();
    assert!(
        hits.iter().all(|h| h.record_id == mine),
        "staff search finds only their own concerns"
    );
    assert!(!hits.is_empty());
    // The other member of staff does not see Sue's concern.
    drop(sue);
    let mut sam = w.fx.unlock("Sam Staff", "staff passphrase 2").unwrap();
    assert!(
        sam.pupil_chronology(w.pupil, &Default::default())
            .unwrap()
            .is_empty()
    );
    assert!(sam.search("hunger", 50).unwrap().is_empty());
    drop(sam);
    let mut sue = w.fx.unlock("Sue Staff", "staff passphrase").unwrap();
    // Staff see names and years, no status flags.
    let page = sue.list_pupils(&PupilQuery::default()).unwrap();
    assert_eq!(page.items[0].protection_status, None);
    assert_eq!(page.items[0].date_of_birth, None);
    forbidden(sue.pupil_file(w.pupil), "staff open a pupil file");
    forbidden(
        sue.family_chronology(w.pupil, &Default::default()),
        "staff family chronology",
    );
    // Staff may amend their own concern but not the DSL's.
    sue.amend(
        RecordKind::Concern,
        mine,
        "location",
        serde_json::json!("Hall"),
        "Wrong room",
    )
    .unwrap();
    forbidden(
        sue.amend(
            RecordKind::Concern,
            w.dsl_concern,
            "location",
            serde_json::json!("Hall"),
            "x",
        ),
        "staff amend another's record",
    );
    let d = sue.dashboard().unwrap();
    assert!(d.referrals_awaiting_decision.is_empty() && d.escalation_stages_due.is_empty());
    assert!(d.recent_concerns.iter().all(|c| c.id == mine));
}

#[test]
fn staff_cannot_do_the_safeguarding_teams_work() {
    let w = world();
    let mut s = w.fx.unlock("Sue Staff", "staff passphrase").unwrap();
    forbidden(
        s.add_pupil(&pupil_details("X", "Y", "T000000000099")),
        "add pupil",
    );
    forbidden(s.record_referral(&referral(w.pupil)), "referral");
    forbidden(s.open_escalation(&escalation(w.pupil)), "escalation");
    forbidden(s.record_escalation_response(w.escalation, "r"), "response");
    forbidden(s.add_review_comment(w.escalation, "c"), "review comment");
    forbidden(
        s.complete_follow_up(w.follow_up, "done"),
        "complete another's follow-up",
    );
    forbidden(
        s.record_voice(&NewVoice {
            pupil_id: w.pupil,
            details: VoiceDetails {
                spoken_at: monday(),
                words: "w".into(),
                wishes: None,
                feelings: None,
                non_verbal: None,
                who_was_present: "x".into(),
                context: None,
            },
        }),
        "voice",
    );
    forbidden(
        s.add_household(&HouseholdDetails {
            name: "H".into(),
            address: None,
        }),
        "household",
    );
    forbidden(s.users(), "list users");
    forbidden(s.stats(), "stats");
    forbidden(s.set_idle_lock_minutes(3), "settings");
    forbidden(
        s.add_user("Eve", Role::Dsl, &pass("eve passphrase")),
        "add user",
    );
    forbidden(s.backup(&w.fx.dir.parent().unwrap().join("b")), "backup");
    forbidden(
        s.change_passphrase(common::DSL, &pass("hijacked passphrase")),
        "change another's passphrase",
    );
    s.change_passphrase("Sue Staff", &pass("sue's new passphrase"))
        .unwrap();
}

#[test]
fn a_follow_up_assigned_to_staff_can_be_completed_by_them() {
    let w = world();
    let mut dsl = w.fx.dsl();
    let sue_id = dsl
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.name == "Sue Staff")
        .unwrap()
        .id;
    let f = dsl
        .add_follow_up(&NewFollowUp {
            pupil_id: w.pupil,
            source_id: None,
            owner_id: Some(sue_id),
            due_on: monday().date_naive(),
            details: FollowUpDetails {
                action: "Check in at lunch".into(),
            },
        })
        .unwrap();
    drop(dsl);
    let mut sue = w.fx.unlock("Sue Staff", "staff passphrase").unwrap();
    assert_eq!(
        sue.dashboard()
            .unwrap()
            .follow_ups_due
            .iter()
            .map(|f| f.id)
            .collect::<Vec<_>>(),
        vec![f]
    );
    sue.complete_follow_up(f, "Ate lunch, chatted happily")
        .unwrap();
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
/// true = allowed (it must not be refused), false = it must answer `Forbidden`.
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
        let mut s = w.fx.unlock(user, p).unwrap();
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
