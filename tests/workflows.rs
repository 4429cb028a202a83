//! The daily workflows through the Session API: notifications for siblings, follow-ups on Today,
//! referrals and decisions, escalation stages, amendments, chronologies, search, bad input.

mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::*;
use safeguard_core::Error;
use safeguard_core::records::*;
use safeguard_core::session::{ChronologyFilter, PupilQuery};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn siblings(s: &mut safeguard_core::Session) -> (Id, Id, Id) {
    let a = add_pupil(s, "Ava", 1);
    let b = add_pupil(s, "Liam", 2);
    let c = add_pupil(s, "Noah", 3);
    let h = s
        .add_household(&HouseholdDetails {
            name: "Brennan household".into(),
            address: None,
        })
        .unwrap();
    for p in [a, b, c] {
        s.add_household_member(&NewHouseholdMember {
            household_id: h,
            pupil_id: Some(p),
            details: MemberDetails::pupil_child(),
        })
        .unwrap();
    }
    (a, b, c)
}

fn encompass(at: chrono::DateTime<Utc>, kids: &[Id]) -> NewEncompass {
    NewEncompass {
        details: EncompassDetails {
            received_at: at,
            police_force: "Test Police".into(),
            officer: "PC 1".into(),
            police_reference: "TP/1".into(),
            incident_at: at - Duration::hours(3),
            incident_location: "Home".into(),
            circumstances: "Argument between adults".into(),
            other_information: None,
            support: SupportType::Silent,
        },
        children: kids
            .iter()
            .map(|&p| EncompassChild {
                pupil_id: p,
                present: Some(true),
                where_during: Some("Bedroom".into()),
                spoken_to: Some(true),
                what_they_said: Some("I hid under the duvet".into()),
            })
            .collect(),
    }
}

#[test]
fn a_friday_evening_notification_for_two_siblings_is_due_before_school_on_monday() {
    let (fx, mut s) = new_store();
    let (a, b, _) = siblings(&mut s);
    let friday_evening = Utc.with_ymd_and_hms(2026, 11, 20, 19, 30, 0).unwrap();
    fx.clock.set(friday_evening + Duration::minutes(5));
    let n = s
        .record_encompass(&encompass(friday_evening, &[a, b]))
        .unwrap();
    let today = s.dashboard().unwrap();
    assert_eq!(today.notifications_awaiting.len(), 1);
    let item = &today.notifications_awaiting[0];
    assert_eq!(item.id, n);
    assert_eq!(
        item.respond_by,
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap()
    );
    assert!(!item.overdue);
    assert_eq!(
        item.pupils.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![a, b]
    );
    let fus: Vec<_> = today
        .follow_ups_due
        .iter()
        .filter(|f| f.source_id == Some(n))
        .collect();
    assert_eq!(fus.len(), 2, "one follow-up per child");
    assert!(fus.iter().all(|f| f.due_on == d(2026, 11, 23)));
    // Monday 09:00 and still not actioned: overdue.
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    assert!(s.dashboard().unwrap().notifications_awaiting[0].overdue);
    for f in s.open_follow_ups_for(n).unwrap() {
        s.complete_follow_up(f, "Seen at the door; silent support")
            .unwrap();
    }
    let after = s.dashboard().unwrap();
    assert!(after.notifications_awaiting.is_empty());
    assert!(after.follow_ups_due.iter().all(|f| f.source_id != Some(n)));
    // Completing twice is refused.
    let again = s.complete_follow_up(fus[0].id, "again");
    assert!(matches!(again, Err(Error::Conflict { .. })));
}

#[test]
fn a_notification_in_the_christmas_break_is_due_on_the_first_school_day() {
    let (fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let mut cal = s.calendar_config().unwrap();
    cal.school_holidays
        .push(safeguard_core::calendar::DateRange {
            start: d(2026, 12, 19),
            end: d(2027, 1, 3),
            label: "Christmas".into(),
        });
    cal.inset_days.push(d(2027, 1, 4));
    s.set_calendar_config(&cal).unwrap();
    let boxing_day = Utc.with_ymd_and_hms(2026, 12, 26, 23, 0, 0).unwrap();
    fx.clock.set(boxing_day + Duration::hours(1));
    s.record_encompass(&encompass(boxing_day, &[a])).unwrap();
    let item = &s.dashboard().unwrap().notifications_awaiting[0];
    assert_eq!(
        item.respond_by,
        Utc.with_ymd_and_hms(2027, 1, 5, 8, 30, 0).unwrap()
    );
}

#[test]
fn a_referral_without_a_decision_waits_on_today_until_one_is_recorded() {
    let (fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let r = s
        .record_referral(&NewReferral {
            pupil_id: a,
            details: ReferralDetails {
                made_at: monday(),
                agency: Agency::Mash,
                agency_name: None,
                method: ReferralMethod::Phone,
                reference: Some("M-1".into()),
                contact_name: None,
                parents_aware: Some(false),
                consent: Consent::Refused,
                no_consent_reason: Some("Parent refused; risk of significant harm".into()),
                child_view: None,
                what_was_shared: "Concerns".into(),
                written_confirmation_sent_on: None,
            },
        })
        .unwrap();
    let item = s.dashboard().unwrap().referrals_awaiting_decision[0].clone();
    assert_eq!(item.id, r);
    assert_eq!(item.decision_due_on, d(2026, 11, 24));
    assert!(!item.overdue);
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap());
    let item = s.dashboard().unwrap().referrals_awaiting_decision[0].clone();
    assert!(item.overdue);
    assert_eq!(item.working_days_waiting, 3);
    let bad = s.record_decision(
        r,
        &DecisionDetails {
            received_on: d(2026, 11, 1),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: None,
            notes: String::new(),
        },
    );
    assert!(
        matches!(bad, Err(Error::InvalidInput { .. })),
        "a decision before the referral is refused"
    );
    s.record_decision(
        r,
        &DecisionDetails {
            received_on: d(2026, 11, 26),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: Some("Team manager".into()),
            notes: "Threshold not met".into(),
        },
    )
    .unwrap();
    assert!(
        s.dashboard()
            .unwrap()
            .referrals_awaiting_decision
            .is_empty()
    );
    let twice = s.record_decision(
        r,
        &DecisionDetails {
            received_on: d(2026, 11, 26),
            outcome: DecisionOutcome::Other,
            decided_by: None,
            notes: String::new(),
        },
    );
    assert!(matches!(twice, Err(Error::Conflict { .. })));
}

#[test]
fn an_escalation_moves_through_the_local_procedure_and_its_history_is_kept() {
    let (fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let stage = |raised: NaiveDate, who: &str| StageDetails {
        stage_name: String::new(),
        raised_on: raised,
        with_name: who.into(),
        with_role: "r".into(),
        with_agency: "CSC".into(),
        disagreement: "NFA while neglect continues".into(),
        evidence: "Five concerns in six weeks".into(),
    };
    let e = s
        .open_escalation(&NewEscalation {
            pupil_id: a,
            referral_id: None,
            details: EscalationDetails {
                agency: "CSC".into(),
                subject: "NFA".into(),
            },
            first_stage: stage(d(2026, 11, 23), "Social worker"),
        })
        .unwrap();
    let due = s.dashboard().unwrap();
    // Stage 1 has 2 working days: due Wednesday 25th, not yet within one working day.
    assert!(due.escalation_stages_due.is_empty());
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap());
    let item = s.dashboard().unwrap().escalation_stages_due[0].clone();
    assert_eq!(
        (item.stage_no, item.due_on, item.overdue),
        (1, d(2026, 11, 25), false)
    );
    fx.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap());
    assert!(s.dashboard().unwrap().escalation_stages_due[0].overdue);
    s.record_escalation_response(e, "Decision stands").unwrap();
    s.advance_escalation(e, &stage(d(2026, 11, 26), "Team manager"))
        .unwrap();
    let item = s.dashboard().unwrap().escalation_stages_due;
    assert!(item.is_empty() || item[0].stage_no == 2);
    s.resolve_escalation(e, "Assessment agreed").unwrap();
    assert!(s.dashboard().unwrap().escalation_stages_due.is_empty());
    assert!(matches!(
        s.advance_escalation(e, &stage(d(2026, 11, 26), "x")),
        Err(Error::Conflict { .. })
    ));
    let chron = s.pupil_chronology(a, &ChronologyFilter::default()).unwrap();
    let titles: Vec<&str> = chron.iter().map(|c| c.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Escalation stage 1: Practitioner to practitioner"))
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Escalation stage 2: Line manager"))
    );
    assert!(titles.contains(&"Escalation resolved"));
}

#[test]
fn the_procedure_stops_at_its_last_stage() {
    let (_fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    s.set_resolution_procedure(&ResolutionProcedure {
        partnership: "P".into(),
        stages: vec![ProcedureStage {
            name: "Only".into(),
            working_days: 3,
        }],
    })
    .unwrap();
    let st = StageDetails {
        stage_name: String::new(),
        raised_on: d(2026, 11, 23),
        with_name: "n".into(),
        with_role: "r".into(),
        with_agency: "a".into(),
        disagreement: "d".into(),
        evidence: "e".into(),
    };
    let e = s
        .open_escalation(&NewEscalation {
            pupil_id: a,
            referral_id: None,
            details: EscalationDetails {
                agency: "a".into(),
                subject: "s".into(),
            },
            first_stage: st.clone(),
        })
        .unwrap();
    assert!(matches!(
        s.advance_escalation(e, &st),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn amendments_change_the_current_view_and_keep_the_history() {
    let (_fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let c = s
        .record_concern(&concern_for(
            a,
            monday() - Duration::hours(2),
            "Original account",
            Some("I was hungry"),
        ))
        .unwrap();
    s.amend(
        RecordKind::Concern,
        c,
        "account",
        serde_json::json!("Corrected account"),
        "Typo in the time",
    )
    .unwrap();
    let chron = s.pupil_chronology(a, &Default::default()).unwrap();
    let e = chron.iter().find(|e| e.record_id == c).unwrap();
    assert!(e.text.starts_with("Corrected account"));
    assert_eq!(e.child_words.as_deref(), Some("I was hungry"));
    assert_eq!(e.amendments.len(), 1);
    assert_eq!(e.amendments[0].reason, "Typo in the time");
    assert_eq!(s.amendments_of(c).unwrap()[0].by, DSL);
    // Links, unknown fields, wrong types, empty reasons and invalid results are refused.
    for (field, value, reason) in [
        ("pupil_id", serde_json::json!("x"), "r"),
        ("account", serde_json::json!(42), "r"),
        ("account", serde_json::json!(""), "r"),
        ("account", serde_json::json!("x"), "  "),
        ("categories", serde_json::json!([]), "r"),
    ] {
        assert!(
            matches!(
                s.amend(RecordKind::Concern, c, field, value.clone(), reason),
                Err(Error::InvalidInput { .. })
            ),
            "{field} = {value} (reason {reason:?})"
        );
    }
    assert!(matches!(
        s.amend(RecordKind::Voice, c, "words", serde_json::json!("x"), "r"),
        Err(Error::NotFound { .. })
    ));
    // The pupil's own details amend too.
    s.amend(
        RecordKind::Pupil,
        a,
        "preferred_name",
        serde_json::json!("Avie"),
        "Child asked to be called Avie",
    )
    .unwrap();
    assert_eq!(
        s.pupil_file(a).unwrap().details.preferred_name.as_deref(),
        Some("Avie")
    );
    assert!(
        s.list_pupils(&PupilQuery {
            text: Some("avie".into()),
            ..Default::default()
        })
        .unwrap()
        .total
            == 1
    );
}

#[test]
fn the_family_chronology_merges_siblings_in_date_order_and_filters() {
    let (_fx, mut s) = new_store();
    let (a, b, c) = siblings(&mut s);
    s.record_concern(&concern_for(
        b,
        monday() - Duration::days(3),
        "Liam hungry",
        None,
    ))
    .unwrap();
    s.record_concern(&concern_for(
        a,
        monday() - Duration::days(5),
        "Ava tired",
        None,
    ))
    .unwrap();
    let mut other = concern_for(c, monday() - Duration::days(1), "Noah pushed", None);
    other.details.categories = vec![Category::ChildOnChild];
    other.other_children.push(OtherChild {
        pupil_id: Some(a),
        name: "Ava".into(),
        role: "witness".into(),
    });
    s.record_concern(&other).unwrap();
    s.record_voice(&NewVoice {
        pupil_id: a,
        details: VoiceDetails {
            spoken_at: monday() - Duration::days(2),
            words: "I look after my brothers".into(),
            wishes: None,
            feelings: None,
            non_verbal: None,
            who_was_present: "DSL".into(),
            context: None,
        },
    })
    .unwrap();
    let fam = s.family_chronology(a, &Default::default()).unwrap();
    assert!(fam.windows(2).all(|w| w[0].at <= w[1].at), "date order");
    let pupils: std::collections::BTreeSet<Id> = fam.iter().map(|e| e.pupil_id).collect();
    assert_eq!(pupils, [a, b, c].into_iter().collect());
    // Ava's own chronology shows she was named as a witness, with her own role.
    let own = s.pupil_chronology(a, &Default::default()).unwrap();
    assert!(own.iter().any(|e| e.title.contains("as: witness")));
    assert!(own.iter().any(|e| e.kind == RecordKind::Voice
        && e.child_words.as_deref() == Some("I look after my brothers")));
    let neglect_only = s
        .family_chronology(
            a,
            &ChronologyFilter {
                categories: vec![Category::Neglect],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(neglect_only.len(), 2);
    let dated = s
        .family_chronology(
            a,
            &ChronologyFilter {
                from: Some((monday() - Duration::days(3)).date_naive()),
                to: Some((monday() - Duration::days(2)).date_naive()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(dated.len(), 2);
    assert!(s.siblings_of(a).unwrap().contains(&b));
}

#[test]
fn search_finds_words_across_record_types_and_treats_operators_as_text() {
    let (_fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    s.record_concern(&concern_for(
        a,
        monday(),
        "Ava had head lice and no coat",
        Some("My coat doesn't do up"),
    ))
    .unwrap();
    let hits = s.search("coat", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].pupil_id, Some(a));
    assert!(hits[0].snippet.contains("[coat]"));
    assert_eq!(
        s.search("head li", 10).unwrap().len(),
        1,
        "the last word matches as a prefix"
    );
    assert!(s.search("\"coat\" OR NEAR(", 10).is_ok());
    assert!(s.search("   ", 10).unwrap().is_empty());
    assert!(
        s.search("Tester", 10).unwrap().len() >= 3,
        "pupils are searchable by name"
    );
}

#[test]
fn bad_input_is_refused_with_a_specific_error_and_changes_nothing() {
    let (fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let before = s.stats().unwrap();
    let audit_before = s.verify().unwrap().chain.events;
    let future = concern_for(a, monday() + Duration::days(2), "x", None);
    assert!(matches!(
        s.record_concern(&future),
        Err(Error::InvalidInput {
            field: "observed at",
            ..
        })
    ));
    let huge = concern_for(a, monday(), &"x".repeat(5 * 1024 * 1024), None);
    assert!(matches!(
        s.record_concern(&huge),
        Err(Error::TooLarge {
            field: "account",
            ..
        })
    ));
    let nobody = concern_for(uuid::Uuid::now_v7(), monday(), "x", None);
    assert!(matches!(
        s.record_concern(&nobody),
        Err(Error::NotFound { what: "pupil" })
    ));
    let mut no_cat = concern_for(a, monday(), "x", None);
    no_cat.details.categories.clear();
    assert!(matches!(
        s.record_concern(&no_cat),
        Err(Error::InvalidInput {
            field: "categories",
            ..
        })
    ));
    let mut nul = concern_for(a, monday(), "a\0b", None);
    nul.details.location = "x".into();
    assert!(matches!(
        s.record_concern(&nul),
        Err(Error::InvalidInput { .. })
    ));
    let mut bad_dob = pupil_details("Bad", "Dob", "T000000000050");
    bad_dob.date_of_birth = d(2030, 1, 1);
    assert!(matches!(
        s.add_pupil(&bad_dob),
        Err(Error::InvalidInput {
            field: "date of birth",
            ..
        })
    ));
    let bad_upn = pupil_details("Bad", "Upn", "123");
    assert!(matches!(
        s.add_pupil(&bad_upn),
        Err(Error::InvalidInput { field: "UPN", .. })
    ));
    assert!(matches!(
        s.add_pupil(&pupil_details("Dup", "Upn", "T000000000001")),
        Err(Error::Conflict { .. })
    ));
    // An impossible date cannot even be decoded from a front end's JSON.
    let json = r#"{"received_on":"2026-02-30","outcome":"no_further_action","decided_by":null,"notes":""}"#;
    assert!(serde_json::from_str::<DecisionDetails>(json).is_err());
    let mut enc = encompass(monday(), &[a, a]);
    assert!(matches!(
        s.record_encompass(&enc),
        Err(Error::InvalidInput {
            field: "children",
            ..
        })
    ));
    enc.children.clear();
    assert!(matches!(
        s.record_encompass(&enc),
        Err(Error::InvalidInput {
            field: "children",
            ..
        })
    ));
    assert!(matches!(
        s.attach_file(uuid::Uuid::now_v7(), "a.png", "image/png", b"x"),
        Err(Error::NotFound { .. })
    ));
    let c = s
        .record_concern(&concern_for(a, monday(), "ok", None))
        .unwrap();
    let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
    assert!(matches!(
        s.attach_file(c, "big.pdf", "application/pdf", &big),
        Err(Error::TooLarge { .. })
    ));
    let after = s.stats().unwrap();
    let concerns = |st: &safeguard_core::session::Stats| {
        st.counts.iter().find(|c| c.0 == "concerns").unwrap().1
    };
    assert_eq!(
        concerns(&after),
        concerns(&before) + 1,
        "only the one valid concern was added"
    );
    assert_eq!(
        after.counts.iter().find(|c| c.0 == "pupils"),
        before.counts.iter().find(|c| c.0 == "pupils")
    );
    assert_eq!(s.verify().unwrap().chain.events, audit_before + 1);
    let _ = fx;
}

#[test]
fn every_write_and_every_opening_of_a_file_is_audited_without_content() {
    let (fx, mut s) = new_store();
    let (a, _, _) = siblings(&mut s);
    let before = s.verify().unwrap().chain.events;
    s.record_concern(&concern_for(a, monday(), "AUDIT-MARKER content", None))
        .unwrap();
    s.pupil_chronology(a, &Default::default()).unwrap();
    s.pupil_file(a).unwrap();
    let head = s.chain_head().unwrap();
    assert_eq!(s.verify().unwrap().chain.events, before + 3);
    assert_eq!(head.seq, before + 3);
    drop(s);
    let conn = safeguard_core::testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    let mut stmt = conn
        .prepare("SELECT action, targets FROM audit_events ORDER BY seq DESC LIMIT 3")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        vec!["pupil.open", "pupil.chronology", "concern.record"]
    );
    assert!(
        rows.iter()
            .all(|r| !r.1.contains("AUDIT-MARKER") && r.1.contains(&a.to_string()))
    );
}
