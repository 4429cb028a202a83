//! Follow-up lists, the escalation history the head reviews, drafts kept in the encrypted store,
//! and amending a field as it is typed in the window.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::*;
use safeguard_core::records::*;
use safeguard_core::{Error, ErrorCode};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn stage(raised: NaiveDate, who: &str) -> StageDetails {
    StageDetails {
        stage_name: String::new(),
        raised_on: raised,
        with_name: who.into(),
        with_role: "Social worker".into(),
        with_agency: "Children's social care".into(),
        disagreement: "No further action while neglect continues".into(),
        evidence: "Five concerns in six weeks".into(),
    }
}

/// An escalation with children's social care, stage 1 raised on Monday 23 November.
fn escalate(s: &mut safeguard_core::Session, pupil: Id, subject: &str) -> Id {
    s.open_escalation(&NewEscalation {
        pupil_id: pupil,
        referral_id: None,
        details: EscalationDetails {
            agency: "Children's social care".into(),
            subject: subject.into(),
        },
        first_stage: stage(d(2026, 11, 23), "Social worker"),
    })
    .unwrap()
}

#[test]
fn follow_ups_list_open_and_completed_and_the_owner_is_shown() {
    let (fx, mut s) = new_store();
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    let sue = s
        .assignees()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Sue Staff")
        .unwrap();
    let p = add_pupil(&mut s, "Ava", 1);
    let add = |s: &mut safeguard_core::Session, action: &str, due: NaiveDate| {
        s.add_follow_up(&NewFollowUp {
            pupil_id: p,
            source_id: None,
            owner_id: None,
            due_on: due,
            details: FollowUpDetails {
                action: action.into(),
            },
        })
        .unwrap()
    };
    let late = add(&mut s, "Check in with Ava", d(2026, 11, 20));
    let soon = add(&mut s, "Call mum", d(2026, 11, 25));
    let list = s.follow_ups().unwrap();
    assert_eq!(
        list.open.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![late, soon],
        "oldest due first"
    );
    assert_eq!(list.open[0].working_days_left, -1);
    assert_eq!(list.open[1].working_days_left, 2);

    s.reassign_follow_up(soon, sue.id).unwrap();
    s.amend(
        RecordKind::FollowUp,
        soon,
        "action",
        serde_json::json!("Call mum about the dentist letter"),
        "More precise",
    )
    .unwrap();
    let today = s.dashboard().unwrap();
    assert_eq!(
        today.follow_ups_due[0].action, "Call mum about the dentist letter",
        "Today shows the amended action"
    );
    assert_eq!(today.follow_ups_overdue[0].id, late);
    s.complete_follow_up(late, "Ava said she was fine; lunch eaten")
        .unwrap();
    let list = s.follow_ups().unwrap();
    assert_eq!(list.open.len(), 1);
    assert_eq!(list.open[0].owner, "Sue Staff");
    assert_eq!(list.open[0].action, "Call mum about the dentist letter");
    assert_eq!(list.completed.len(), 1);
    assert_eq!(
        list.completed[0].outcome,
        "Ava said she was fine; lunch eaten"
    );
    assert!(list.completed[0].late, "completed on 23rd, due on 20th");
    drop(s);

    // Staff hold no database key, so they cannot read follow-ups; the team records the outcome
    // of one a member of staff was asked to do.
    assert!(matches!(
        fx.unlock("Sue Staff", "staff passphrase"),
        Err(Error::Forbidden)
    ));
    let mut s = fx.dsl();
    s.complete_follow_up(soon, "Sue spoke to mum").unwrap();
    assert!(s.follow_ups().unwrap().open.is_empty());
}

#[test]
fn the_head_reviews_an_escalation_history_with_timeliness_and_comments() {
    let (fx, mut s) = new_store();
    s.add_user("Hal Head", Role::Head, &pass("head passphrase"))
        .unwrap();
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    let p = add_pupil(&mut s, "Ava", 1);
    let e = escalate(&mut s, p, "NFA while concerns continue");
    // Stage 1 (2 working days) is due Wednesday 25th; answered Thursday 26th: late.
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 11, 0, 0).unwrap());
    s.record_escalation_response(e, "The decision stands")
        .unwrap();
    s.advance_escalation(e, &stage(d(2026, 11, 26), "Team manager"))
        .unwrap();
    let open = s.escalations(false).unwrap();
    assert_eq!(open.len(), 1);
    let v = &open[0];
    assert_eq!(v.stages.len(), 2);
    assert_eq!(v.stages[0].on_time, Some(false));
    assert_eq!(v.stages[0].working_days_taken, 3);
    assert_eq!(v.stages[0].responses[0].text, "The decision stands");
    assert_eq!(v.stages[1].stage_name, "Line manager to line manager");
    assert_eq!(v.stages[1].due_on, d(2026, 12, 3));
    assert_eq!(v.stages[1].on_time, None, "waiting, not yet due");
    assert!(v.can_escalate);
    // Answered in time at stage 2, then resolved.
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
    s.record_escalation_response(e, "Assessment agreed")
        .unwrap();
    s.resolve_escalation(e, "Single assessment started")
        .unwrap();
    s.amend(
        RecordKind::Escalation,
        e,
        "subject",
        serde_json::json!("No further action while neglect continues"),
        "Clearer subject",
    )
    .unwrap();
    assert!(s.escalations(false).unwrap().is_empty(), "resolved");
    drop(s);

    let mut head = fx.unlock("Hal Head", "head passphrase").unwrap();
    let all = head.escalations(true).unwrap();
    assert_eq!(all.len(), 1);
    head.add_review_comment(e, "Reviewed at the governors' safeguarding meeting")
        .unwrap();
    let v = head.escalation(e).unwrap();
    assert_eq!(v.subject, "No further action while neglect continues");
    assert_eq!(v.amendments.len(), 1);
    assert_eq!(v.stages[1].on_time, Some(true));
    assert_eq!(
        v.stages[1].working_days_taken, 2,
        "26th to 30th, answered on the 30th"
    );
    assert_eq!(
        v.resolution.as_ref().map(|r| r.text.as_str()),
        Some("Single assessment started")
    );
    assert!(!v.can_escalate);
    assert_eq!(v.review_comments.len(), 1);
    assert_eq!(v.review_comments[0].by, "Hal Head");
    assert!(matches!(
        head.record_escalation_response(e, "x"),
        Err(Error::Forbidden)
    ));
    drop(head);

    // Staff hold no database key: no session over the records, so no escalations.
    assert!(matches!(
        fx.unlock("Sue Staff", "staff passphrase"),
        Err(Error::Forbidden)
    ));
    let _ = e;
}

#[test]
fn drafts_are_per_user_survive_a_lock_and_are_never_plaintext_on_disk() {
    let (fx, mut s) = new_store();
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    let marker = "DRAFTMARKER quick brown fox bruise on left forearm";
    let body = serde_json::json!({ "account": marker, "location": "Hall" }).to_string();
    s.save_draft("concern", &body).unwrap();
    s.save_draft("concern", &body.replace("Hall", "Playground"))
        .unwrap();
    drop(s); // the lock: the key is gone

    for f in all_files(&fx.dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !contains(&bytes, b"DRAFTMARKER"),
            "draft text in plaintext in {}",
            f.display()
        );
    }
    let mut sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    assert_eq!(sue.draft("concern").unwrap(), None, "drafts are per user");
    // A member of staff's draft is sealed to them alone, in the inbox folder.
    sue.save_draft("concern", &body.replace("Hall", "Staff room"))
        .unwrap();
    assert!(
        sue.draft("concern")
            .unwrap()
            .unwrap()
            .body
            .contains("Staff room")
    );
    drop(sue);
    for f in all_files(&fx.dir) {
        assert!(
            !contains(&std::fs::read(&f).unwrap(), b"DRAFTMARKER"),
            "a staff draft in plaintext in {}",
            f.display()
        );
    }

    let mut s = fx.dsl();
    let back = s.draft("concern").unwrap().expect("kept over the lock");
    assert!(back.body.contains("Playground"), "the latest replaces");
    assert_eq!(back.saved_at, monday());
    s.discard_draft("concern").unwrap();
    assert_eq!(s.draft("concern").unwrap(), None);
}

#[test]
fn bad_drafts_are_refused_and_change_nothing() {
    let (_fx, mut s) = new_store();
    s.save_draft("concern", r#"{"account":"kept"}"#).unwrap();
    let huge = format!(r#"{{"account":"{}"}}"#, "x".repeat(5 * 1024 * 1024));
    assert_eq!(
        s.save_draft("concern", &huge).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert_eq!(
        s.save_draft("concern", "not json").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        s.save_draft("../etc", "{}").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert!(s.draft("concern").unwrap().unwrap().body.contains("kept"));
}

#[test]
fn a_typed_amendment_is_converted_by_the_core_and_a_bad_one_changes_nothing() {
    let (_fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    let c = s
        .record_concern(&concern_for(
            p,
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
            "Ava said she had no breakfast",
            None,
        ))
        .unwrap();
    let fields = s.amendable_fields(RecordKind::Concern, c).unwrap();
    let observed = fields.iter().find(|f| f.field == "observed_at").unwrap();
    assert_eq!(observed.current, "23/11/2026 09:00");

    s.amend_typed(
        RecordKind::Concern,
        c,
        "observed_at",
        "23/11/2026 08:45",
        "Teacher checked the register time",
    )
    .unwrap();
    for (field, typed, code) in [
        ("observed_at", "31/11/2026 08:45", ErrorCode::InvalidInput),
        ("observed_at", "24/12/2026 08:45", ErrorCode::InvalidInput), // in the future
        ("account", "", ErrorCode::InvalidInput),
        ("categories", "no_such_category", ErrorCode::InvalidInput),
        ("body_marks", "[]", ErrorCode::InvalidInput), // not typed: drawn on the body map,
    ] {
        let err = s
            .amend_typed(RecordKind::Concern, c, field, typed, "reason")
            .unwrap_err();
        assert_eq!(err.code(), code, "{field} = {typed}");
    }
    assert_eq!(
        s.amend_typed(RecordKind::Concern, c, "location", "Hall", "")
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput,
        "a reason is required"
    );
    let fields = s.amendable_fields(RecordKind::Concern, c).unwrap();
    let observed = fields.iter().find(|f| f.field == "observed_at").unwrap();
    assert_eq!(observed.current, "23/11/2026 08:45");
    assert_eq!(s.amendments_of(c).unwrap().len(), 1, "only the good one");
}

#[test]
fn settings_save_together_and_one_bad_value_saves_nothing() {
    let (fx, mut s) = new_store();
    let mut next = s.settings().unwrap();
    assert_eq!(next.idle_lock_minutes, 5);
    next.idle_lock_minutes = 10;
    next.school.referral_email = Some("mash@test-la.gov.uk".into());
    next.calendar.inset_days.push(d(2026, 11, 24));
    s.save_settings(&next).unwrap();
    let saved = s.settings().unwrap();
    assert_eq!(saved, next);
    // The INSET day is not a school day (agencies' working days are unchanged).
    let cal = s.calendar().unwrap();
    assert_eq!(
        cal.next_school_day_after(d(2026, 11, 23)),
        Some(d(2026, 11, 25))
    );
    assert_eq!(cal.add_working_days(d(2026, 11, 23), 1), d(2026, 11, 24));

    let mut bad = saved.clone();
    bad.idle_lock_minutes = 2;
    bad.prompts.nfa_weeks = 0;
    assert_eq!(
        s.save_settings(&bad).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(s.settings().unwrap(), saved, "nothing of it was saved");

    s.add_user("Hal Head", Role::Head, &pass("head passphrase"))
        .unwrap();
    drop(s);
    let mut head = fx.unlock("Hal Head", "head passphrase").unwrap();
    assert_eq!(head.settings().unwrap(), saved, "the head reads them");
    assert!(matches!(head.save_settings(&saved), Err(Error::Forbidden)));
}

#[test]
fn a_scanned_form_is_attached_from_disk_and_listed_on_its_record() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    let c = s
        .record_concern(&concern_for(
            p,
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
            "Bruise seen on forearm",
            None,
        ))
        .unwrap();
    let scan =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/staff-concern-form.png");
    s.attach_path(c, &scan).unwrap();

    let outside = fx.dir.parent().unwrap();
    let exe = outside.join("tool.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let big = outside.join("huge.pdf");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_ATTACHMENT_BYTES as u64 + 1)
        .unwrap();
    for (path, code) in [
        (exe, ErrorCode::InvalidInput),
        (big, ErrorCode::TooLarge),
        (outside.join("missing.pdf"), ErrorCode::Io),
    ] {
        assert_eq!(
            s.attach_path(c, &path).unwrap_err().code(),
            code,
            "{path:?}"
        );
    }
    let chron = s
        .pupil_chronology(p, &safeguard_core::session::ChronologyFilter::default())
        .unwrap();
    let entry = chron.iter().find(|e| e.record_id == c).unwrap();
    assert_eq!(entry.attachments.len(), 1, "only the good one");
    let a = &entry.attachments[0];
    assert_eq!(
        (a.file_name.as_str(), a.media_type.as_str()),
        ("staff-concern-form.png", "image/png")
    );
    assert_eq!(a.size, std::fs::metadata(&scan).unwrap().len());
    assert_eq!(a.sha256.len(), 64);
}

#[test]
fn family_members_added_from_a_childs_page_share_one_household() {
    let (_fx, mut s) = new_store();
    let ava = add_pupil(&mut s, "Ava", 1);
    let liam = add_pupil(&mut s, "Liam", 2);
    // The first addition creates the household, with Ava in it.
    s.add_family_member(ava, Some(liam), &MemberDetails::pupil_child())
        .unwrap();
    let mut mum = MemberDetails::person("Jo Tester", "mother", false);
    mum.parental_responsibility = true;
    mum.known_risks = Some("Named in a police notification (domestic abuse)".into());
    s.add_family_member(liam, None, &mum).unwrap();
    let file = s.pupil_file(ava).unwrap();
    assert_eq!(
        file.siblings.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![liam]
    );
    let households: std::collections::BTreeSet<_> =
        file.household.iter().map(|m| m.household_id).collect();
    assert_eq!(households.len(), 1, "one household for the family");
    assert!(
        file.household
            .iter()
            .any(|m| m.name == "Jo Tester" && m.details.parental_responsibility)
    );
    // Adding Liam twice is refused and adds nothing.
    assert!(matches!(
        s.add_family_member(ava, Some(liam), &MemberDetails::pupil_child()),
        Err(Error::Conflict { .. })
    ));
    assert_eq!(s.pupil_file(ava).unwrap().household.len(), 3);
    // A person without a name is refused.
    let nameless = MemberDetails::person("  ", "father", false);
    assert_eq!(
        s.add_family_member(ava, None, &nameless)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}

#[test]
fn the_pupil_list_filters_by_status_flag_and_staff_cannot_use_it() {
    use safeguard_core::session::{PupilQuery, StatusFlag};
    let (fx, mut s) = new_store();
    let mut cp = pupil_details("Ava", "Tester", "T000000000001");
    cp.protection_status = ProtectionStatus::ChildProtectionPlan;
    s.add_pupil(&cp).unwrap();
    let mut carer = pupil_details("Liam", "Tester", "T000000000002");
    carer.young_carer = true;
    s.add_pupil(&carer).unwrap();
    add_pupil(&mut s, "Noah", 3);
    let names = |s: &safeguard_core::Session, flag| {
        s.list_pupils(&PupilQuery {
            flag: Some(flag),
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&s, StatusFlag::ChildProtectionPlan),
        vec!["Ava Tester"]
    );
    assert_eq!(names(&s, StatusFlag::AnyPlan), vec!["Ava Tester"]);
    assert_eq!(names(&s, StatusFlag::YoungCarer), vec!["Liam Tester"]);
    assert!(names(&s, StatusFlag::LookedAfter).is_empty());
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    drop(s);
    // Staff pick from the roster (names and years only), sealed under the roster key.
    let sue = fx.staff("Sue Staff", "staff passphrase").unwrap();
    assert!(matches!(
        sue.list_pupils(&PupilQuery {
            flag: Some(StatusFlag::YoungCarer),
            ..Default::default()
        }),
        Err(Error::Forbidden)
    ));
    let all = sue.list_pupils(&PupilQuery::default()).unwrap();
    assert_eq!(all.total, 3);
    assert!(all.items.iter().all(|p| p.protection_status.is_none()
        && p.date_of_birth.is_none()
        && p.young_carer.is_none()));
}

#[test]
fn resolving_ends_the_last_stage_for_timeliness() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    let e = escalate(&mut s, p, "NFA");
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap());
    s.resolve_escalation(e, "Agreed on the phone").unwrap();
    // Weeks later the stage still reads as closed in time, not as waiting or late.
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap());
    let v = s.escalation(e).unwrap();
    assert_eq!(v.stages[0].on_time, Some(true));
    assert_eq!(v.stages[0].working_days_taken, 1);
}

#[test]
fn a_same_day_decision_never_reads_as_earlier_than_its_referral() {
    let (fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 23, 16, 0, 0).unwrap());
    // Made in the afternoon: a decision dated the same day (midday) must still come after it.
    let r = s
        .record_referral(&NewReferral {
            pupil_id: p,
            details: ReferralDetails {
                made_at: Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 0).unwrap(),
                agency: Agency::Mash,
                agency_name: None,
                method: ReferralMethod::Phone,
                reference: None,
                contact_name: None,
                parents_aware: Some(true),
                consent: Consent::Given,
                no_consent_reason: None,
                child_view: None,
                what_was_shared: "Neglect concerns".into(),
                written_confirmation_sent_on: None,
            },
        })
        .unwrap();
    s.record_decision(
        r,
        &DecisionDetails {
            received_on: d(2026, 11, 23),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: None,
            notes: "Same day".into(),
        },
    )
    .unwrap();
    let kinds: Vec<RecordKind> = s
        .pupil_chronology(p, &Default::default())
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec![RecordKind::Referral, RecordKind::Decision]);
}

#[test]
fn a_child_placed_on_a_plan_is_amended_from_a_choice_and_found_by_the_filter() {
    use safeguard_core::session::{PupilQuery, StatusFlag};
    let (_fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Ava", 1);
    let fields = s.amendable_fields(RecordKind::Pupil, p).unwrap();
    let status = fields
        .iter()
        .find(|f| f.field == "protection_status")
        .unwrap();
    assert_eq!(status.current, "none");
    assert!(
        status
            .options
            .iter()
            .any(|o| o.value == "child_protection_plan")
    );
    assert_eq!(
        s.amend_typed(
            RecordKind::Pupil,
            p,
            "protection_status",
            "cp plan",
            "Conference today"
        )
        .unwrap_err()
        .code(),
        ErrorCode::InvalidInput
    );
    s.amend_typed(
        RecordKind::Pupil,
        p,
        "protection_status",
        "child_protection_plan",
        "Initial child protection conference, 23/11/2026",
    )
    .unwrap();
    let found = s
        .list_pupils(&PupilQuery {
            flag: Some(StatusFlag::ChildProtectionPlan),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        found.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![p]
    );
    let c = s
        .record_concern(&concern_for(p, monday(), "Late again", None))
        .unwrap();
    s.amend_typed(
        RecordKind::Concern,
        c,
        "categories",
        "neglect,attendance",
        "Both apply",
    )
    .unwrap();
    let entry = s
        .pupil_chronology(p, &Default::default())
        .unwrap()
        .into_iter()
        .find(|e| e.record_id == c)
        .unwrap();
    assert_eq!(
        entry.categories,
        vec![Category::Neglect, Category::Attendance]
    );
}
