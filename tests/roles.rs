//! Roles are enforced by the core: every forbidden action is refused whatever the front end.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use safeguard_core::Error;
use safeguard_core::records::*;
use safeguard_core::session::{EscalationQuery, PupilQuery};

struct World {
    fx: Fixture,
    pupil: Id,
    /// A second pupil, not yet on the notification.
    sibling: Id,
    dsl_concern: Id,
    referral: Id,
    escalation: Id,
    notification: Id,
    follow_up: Id,
    household: Id,
    household_member: Id,
    /// A pupil in no household.
    cousin: Id,
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
    let sibling = add_pupil(&mut s, "Sibling", 2);
    let notification = s
        .record_encompass(&NewEncompass {
            details: EncompassDetails {
                received_at: monday(),
                police_force: "Test Police".into(),
                officer: "PC 1".into(),
                police_reference: "TP/1".into(),
                incident_at: monday() - Duration::hours(3),
                incident_location: "Home".into(),
                circumstances: "Argument between adults".into(),
                other_information: None,
                support: SupportType::Silent,
            },
            children: vec![encompass_child(pupil)],
        })
        .unwrap();
    let household = s
        .add_household(&HouseholdDetails {
            name: "Family".into(),
            address: None,
        })
        .unwrap();
    let household_member = s
        .add_household_member(&NewHouseholdMember {
            household_id: household,
            pupil_id: Some(pupil),
            details: MemberDetails::pupil_child(),
        })
        .unwrap();
    // The sibling lives there too but is not on the notification: an open prompt to dismiss.
    s.add_household_member(&NewHouseholdMember {
        household_id: household,
        pupil_id: Some(sibling),
        details: MemberDetails::pupil_child(),
    })
    .unwrap();
    let cousin = add_pupil(&mut s, "Cousin", 3);
    // An open follow-up, so the follow-up methods have something to act on.
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
        sibling,
        dsl_concern,
        referral,
        escalation,
        notification,
        follow_up,
        household,
        household_member,
        cousin,
    }
}

fn encompass_child(pupil_id: Id) -> EncompassChild {
    EncompassChild {
        pupil_id,
        present: None,
        where_during: None,
        spoken_to: None,
        what_they_said: None,
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
        stage_name: String::new(),
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
    assert!(
        chron.iter().all(|e| e.may_attach && !e.may_amend),
        "she may add a file to her concern; a correction is the team's"
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
    // The attachment's filing names the child among its targets, as any attachment's does.
    let conn =
        safeguard_core::testing::raw_connection(&w.fx.dir, common::DSL, &pass(common::DSL_PASS))
            .unwrap();
    let targets: String = conn
        .query_row(
            "SELECT targets FROM audit_events WHERE action = 'inbox.file_attachment'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(targets.contains(&w.pupil.to_string()), "{targets}");
    drop(conn);

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
    let comment = head.add_review_comment(w.escalation, "Reviewed").unwrap();
    // What the window offers follows the same rule, decided by the core: the head's own
    // comment may be amended; the DSL's records may not.
    let entries = head.pupil_chronology(w.pupil, &Default::default()).unwrap();
    for e in &entries {
        let own = e.record_id == comment;
        assert_eq!(
            (e.may_amend, e.may_attach),
            (own, own),
            "{:?} {}",
            e.kind,
            e.title
        );
    }
    assert!(entries.iter().any(|e| e.record_id == comment));
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
    drop(head);
    let dsl =
        w.fx.dsl()
            .pupil_chronology(w.pupil, &Default::default())
            .unwrap();
    assert!(dsl.iter().all(|e| e.may_amend && e.may_attach));
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
            "escalation_page",
            |s, _| {
                s.escalation_page(&EscalationQuery {
                    include_resolved: true,
                    ..Default::default()
                })
                .map(drop)
            },
            READERS,
        ),
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
        (
            "amendable fields of another's record",
            |s, w| {
                s.amendable_fields(RecordKind::Concern, w.dsl_concern)
                    .map(drop)
            },
            LEADS,
        ),
        (
            "amend another's record as typed",
            |s, w| {
                s.amend_typed(
                    RecordKind::Concern,
                    w.dsl_concern,
                    "location",
                    "Library",
                    "Typo",
                )
                .map(drop)
            },
            LEADS,
        ),
        (
            "attach a file to another's record",
            |s, w| {
                s.attach_file(w.dsl_concern, "note.txt", "text/plain", b"note")
                    .map(drop)
            },
            LEADS,
        ),
        (
            "attach a file from disk to another's record",
            |s, w| {
                let path = s
                    .dir()
                    .parent()
                    .unwrap()
                    .join(format!("{}.txt", s.user().name));
                std::fs::write(&path, b"scan").unwrap();
                s.attach_path(w.dsl_concern, &path).map(drop)
            },
            LEADS,
        ),
        ("read a draft", |s, _| s.draft("concern").map(drop), ALL),
        ("discard a draft", |s, _| s.discard_draft("concern"), ALL),
        (
            "add a family member",
            |s, w| {
                s.add_family_member(
                    w.pupil,
                    None,
                    &MemberDetails {
                        full_name: Some("Aunt Tester".into()),
                        relationship: "aunt".into(),
                        is_child: false,
                        ..MemberDetails::pupil_child()
                    },
                )
                .map(drop)
            },
            LEADS,
        ),
        (
            "add a household",
            |s, _| {
                s.add_household(&HouseholdDetails {
                    name: "Another family".into(),
                    address: None,
                })
                .map(drop)
            },
            LEADS,
        ),
        (
            "add a household member",
            |s, w| {
                s.add_household_member(&NewHouseholdMember {
                    household_id: w.household,
                    pupil_id: Some(w.cousin),
                    details: MemberDetails::pupil_child(),
                })
                .map(drop)
            },
            LEADS,
        ),
        (
            "end a household membership",
            |s, w| s.end_household_member(w.household_member, "Moved out"),
            LEADS,
        ),
        (
            "record a police notification",
            |s, w| {
                s.record_encompass(&NewEncompass {
                    details: EncompassDetails {
                        received_at: monday(),
                        police_force: "Test Police".into(),
                        officer: "PC 2".into(),
                        police_reference: "TP/2".into(),
                        incident_at: monday() - Duration::hours(2),
                        incident_location: "Home".into(),
                        circumstances: "Shouting".into(),
                        other_information: None,
                        support: SupportType::Silent,
                    },
                    children: vec![encompass_child(w.sibling)],
                })
                .map(drop)
            },
            LEADS,
        ),
        (
            "add a sibling to a notification",
            |s, w| {
                s.add_encompass_child(w.notification, &encompass_child(w.sibling))
                    .map(drop)
            },
            LEADS,
        ),
        (
            "prompts for a pupil",
            |s, w| s.prompts_for_pupil(w.pupil).map(drop),
            READERS,
        ),
        (
            "dismiss a prompt",
            |s, _| {
                let key = s
                    .prompts()?
                    .first()
                    .map(|p| p.key.clone())
                    .ok_or(Error::NotFound {
                        what: "a prompt to dismiss in the world",
                    })?;
                s.dismiss_prompt(&key, "Seen this week").map(drop)
            },
            LEADS,
        ),
        (
            "prompt settings",
            |s, _| s.prompt_settings().map(drop),
            READERS,
        ),
        (
            "change the prompt settings",
            |s, _| {
                let p = s.prompt_settings()?;
                s.set_prompt_settings(&p)
            },
            LEADS,
        ),
        (
            "a pupil by UPN",
            |s, _| s.pupil_by_upn("T000000000001").map(drop),
            ALL,
        ),
        (
            "siblings of a pupil",
            |s, w| s.siblings_of(w.pupil).map(drop),
            ALL,
        ),
        (
            "open follow-ups of a record",
            |s, w| s.open_follow_ups_for(w.dsl_concern).map(drop),
            LEADS,
        ),
        (
            "reassign a follow-up",
            |s, w| {
                let me = s.user().id;
                s.reassign_follow_up(w.follow_up, me)
            },
            LEADS,
        ),
        (
            "complete a follow-up",
            |s, w| s.complete_follow_up(w.follow_up, "Done"),
            LEADS,
        ),
        (
            "escalations of a pupil",
            |s, w| s.escalations_for_pupil(w.pupil).map(drop),
            READERS,
        ),
        (
            "advance an escalation",
            |s, w| s.advance_escalation(w.escalation, &stage()).map(drop),
            LEADS,
        ),
        (
            "resolve an escalation",
            |s, w| {
                s.resolve_escalation(w.escalation, "Agreed a plan")
                    .map(drop)
            },
            LEADS,
        ),
        (
            "the language flags of a referral",
            |s, w| {
                s.referral_language_flags(&ReferralSelection {
                    pupil_id: w.pupil,
                    ..Default::default()
                })
                .map(drop)
            },
            READERS,
        ),
        (
            "chronology PDF",
            |s, w| {
                s.chronology_pdf(w.pupil, true, &Default::default())
                    .map(drop)
            },
            READERS,
        ),
        (
            "child's file PDF",
            |s, w| s.child_file_pdf(w.pupil).map(drop),
            READERS,
        ),
        (
            "a document's file name",
            |s, w| {
                s.document_file_name(&DocumentRequest::ChildFile { pupil_id: w.pupil })
                    .map(drop)
            },
            READERS,
        ),
        (
            "a referral email draft",
            |s, w| {
                s.referral_email(&ReferralSelection {
                    pupil_id: w.pupil,
                    ..Default::default()
                })
                .map(drop)
            },
            READERS,
        ),
        ("the school", |s, _| s.school().map(drop), ALL),
        (
            "change the school's details",
            |s, _| {
                let school = s.school()?;
                s.set_school(&school)
            },
            LEADS,
        ),
        (
            "the resolution procedure",
            |s, _| s.resolution_procedure().map(drop),
            READERS,
        ),
        (
            "the calendar settings",
            |s, _| s.calendar_config().map(drop),
            READERS,
        ),
        (
            "change the calendar settings",
            |s, _| {
                let c = s.calendar_config()?;
                s.set_calendar_config(&c)
            },
            LEADS,
        ),
        ("the calendar", |s, _| s.calendar().map(drop), READERS),
        (
            "the referral decision deadline",
            |s, _| s.referral_decision_working_days().map(drop),
            READERS,
        ),
        (
            "change the referral decision deadline",
            |s, _| s.set_referral_decision_working_days(2),
            LEADS,
        ),
        (
            "the idle lock",
            |s, _| s.idle_lock_minutes().map(drop),
            READERS,
        ),
        (
            "save all the settings",
            |s, _| {
                let current = s.settings()?;
                s.save_settings(&current)
            },
            LEADS,
        ),
        ("the inbox report", |s, _| s.inbox_report().map(drop), LEADS),
        (
            "the audit chain head",
            |s, _| s.chain_head().map(drop),
            READERS,
        ),
        (
            "the backup's file name",
            |s, _| s.backup_file_name().map(drop),
            LEADS,
        ),
        (
            "change one's own passphrase",
            |s, _| {
                let me = s.user().name.clone();
                s.change_passphrase(&me, &pass("my own new passphrase"))
            },
            ALL,
        ),
        (
            "whether to rotate the recovery key",
            |s, _| s.recovery_rotation_suggested().map(drop),
            DSL_ONLY,
        ),
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

/// What a member of staff may do with one method of `StaffSession`.
type StaffCall = fn(&mut safeguard_core::StaffSession, &World) -> safeguard_core::Result<()>;

/// Every method of a member of staff's session over the inbox, each with what it must answer:
/// allowed, refused as `Forbidden`, or `NotFound` (a record that is not theirs does not exist
/// for them: they cannot even learn its id is real).
#[test]
fn the_staff_table_every_method_of_a_staff_session() {
    #[derive(Debug, PartialEq)]
    enum Expect {
        Allowed,
        Forbidden,
        NotFound,
    }
    use Expect::*;
    let table: &[(&str, StaffCall, Expect)] = &[
        (
            "list pupils",
            |s, _| s.list_pupils(&PupilQuery::default()).map(drop),
            Allowed,
        ),
        (
            "list pupils by protection status",
            |s, _| {
                s.list_pupils(&PupilQuery {
                    flag: Some(safeguard_core::session::StatusFlag::AnyPlan),
                    ..Default::default()
                })
                .map(drop)
            },
            Forbidden,
        ),
        (
            "a pupil's summary",
            |s, w| s.pupil_summary(w.pupil).map(drop),
            Allowed,
        ),
        (
            "record a concern",
            |s, w| {
                s.record_concern(&concern_for(w.pupil, monday(), "Staff table concern", None))
                    .map(drop)
            },
            Allowed,
        ),
        (
            "attach a file to their own concern",
            |s, _| {
                let mine = s.my_concerns()?[0].entry.record_id;
                s.attach_file(mine, "note.txt", "text/plain", b"note")
                    .map(drop)
            },
            Allowed,
        ),
        (
            "attach a file to the DSL's concern",
            |s, w| {
                s.attach_file(w.dsl_concern, "note.txt", "text/plain", b"note")
                    .map(drop)
            },
            NotFound,
        ),
        (
            "attach a file from disk to the DSL's concern",
            |s, w| {
                let path = s.dir().parent().unwrap().join("staff-scan.txt");
                std::fs::write(&path, b"scan").unwrap();
                s.attach_path(w.dsl_concern, &path).map(drop)
            },
            NotFound,
        ),
        (
            "a pupil's chronology (their own items only)",
            |s, w| {
                let c = s.chronology(w.pupil)?;
                assert!(c.iter().all(|e| e.record_id != w.dsl_concern));
                Ok(())
            },
            Allowed,
        ),
        (
            "their own concerns",
            |s, _| s.my_concerns().map(drop),
            Allowed,
        ),
        (
            "search (their own items only)",
            |s, w| {
                let hits = s.search("concern", 50)?;
                assert!(hits.iter().all(|h| h.record_id != w.dsl_concern));
                Ok(())
            },
            Allowed,
        ),
        (
            "save a draft",
            |s, _| s.save_draft("concern", "{}"),
            Allowed,
        ),
        ("read a draft", |s, _| s.draft("concern").map(drop), Allowed),
        (
            "discard a draft",
            |s, _| s.discard_draft("concern"),
            Allowed,
        ),
        (
            "change their own passphrase",
            |s, _| s.change_passphrase(&pass("staff passphrase changed")),
            Allowed,
        ),
    ];
    let w = world();
    let mut s = w.fx.staff("Sue Staff", "staff passphrase").unwrap();
    let mut wrong = Vec::new();
    for (what, call, expect) in table {
        let got = match call(&mut s, &w) {
            Ok(()) => Allowed,
            Err(Error::Forbidden) => Forbidden,
            Err(Error::NotFound { .. }) => NotFound,
            Err(e) => {
                wrong.push(format!("{what} failed: {e:?}"));
                continue;
            }
        };
        if got != *expect {
            wrong.push(format!("{what}: expected {expect:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
