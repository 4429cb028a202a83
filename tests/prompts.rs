//! Scenario tests for each practice prompt, including Child A from the seeds: three siblings,
//! repeated concerns and referrals that end in no further action, and nobody challenging.

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use safeguard_core::Error;
use safeguard_core::prompts::{PromptRule, PromptSettings};
use safeguard_core::records::*;
use safeguard_core::session::ChronologyFilter;

fn t(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn family(s: &mut safeguard_core::Session, names: &[&str]) -> Vec<Id> {
    let h = s
        .add_household(&HouseholdDetails {
            name: "Family".into(),
            address: None,
        })
        .unwrap();
    let existing = s.list_pupils(&Default::default()).unwrap().total as usize;
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let p = s
                .add_pupil(&pupil_details(n, "A", &format!("F{:012}", existing + i)))
                .unwrap();
            s.add_household_member(&NewHouseholdMember {
                household_id: h,
                pupil_id: Some(p),
                details: MemberDetails::pupil_child(),
            })
            .unwrap();
            p
        })
        .collect()
}

fn neglect(
    s: &mut safeguard_core::Session,
    fx: &Fixture,
    pupil: Id,
    at: DateTime<Utc>,
    account: &str,
) -> Id {
    fx.clock.set(at + Duration::minutes(20));
    s.record_concern(&concern_for(pupil, at, account, Some("I was hungry")))
        .unwrap()
}

/// The child's words, heard at 08:50 on Monday 23 November.
fn breakfast_club(pupil: Id) -> NewVoice {
    NewVoice {
        pupil_id: pupil,
        details: VoiceDetails {
            spoken_at: t(2026, 11, 23, 8, 50),
            words: "I like breakfast club".into(),
            wishes: None,
            feelings: None,
            non_verbal: None,
            who_was_present: "DSL".into(),
            context: None,
        },
    }
}

fn referral(s: &mut safeguard_core::Session, fx: &Fixture, pupil: Id, at: DateTime<Utc>) -> Id {
    fx.clock.set(at + Duration::minutes(10));
    s.record_referral(&NewReferral {
        pupil_id: pupil,
        details: ReferralDetails {
            made_at: at,
            agency: Agency::ChildrensSocialCare,
            agency_name: None,
            method: ReferralMethod::Phone,
            reference: None,
            contact_name: None,
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: None,
            what_was_shared: "Repeated neglect".into(),
            written_confirmation_sent_on: None,
        },
    })
    .unwrap()
}

fn nfa(s: &mut safeguard_core::Session, fx: &Fixture, r: Id, on: NaiveDate) {
    fx.clock
        .set(Utc.from_utc_datetime(&on.and_hms_opt(15, 0, 0).unwrap()));
    s.record_decision(
        r,
        &DecisionDetails {
            received_on: on,
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: None,
            notes: "Threshold not met".into(),
        },
    )
    .unwrap();
}

fn rules(s: &safeguard_core::Session) -> Vec<PromptRule> {
    s.prompts().unwrap().iter().map(|p| p.rule).collect()
}

#[test]
fn child_a_repeated_referrals_ending_in_nfa_while_concerns_continue_prompts_escalation() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Aaron", "Bella", "Callum"]);
    // Autumn: concerns across the siblings, two referrals, both no further action.
    neglect(
        &mut s,
        &fx,
        kids[0],
        t(2026, 9, 8, 9, 0),
        "Aaron came in hungry and in dirty clothes",
    );
    neglect(
        &mut s,
        &fx,
        kids[1],
        t(2026, 9, 10, 9, 0),
        "Bella had no coat and head lice",
    );
    let r1 = referral(&mut s, &fx, kids[0], t(2026, 9, 11, 10, 0));
    nfa(&mut s, &fx, r1, d(2026, 9, 15));
    neglect(
        &mut s,
        &fx,
        kids[2],
        t(2026, 9, 22, 9, 0),
        "Callum said there was no food at home",
    );
    let r2 = referral(&mut s, &fx, kids[2], t(2026, 9, 23, 10, 0));
    nfa(&mut s, &fx, r2, d(2026, 9, 28));
    // The concerns continue: one, then two after the second NFA…
    let c1 = neglect(
        &mut s,
        &fx,
        kids[0],
        t(2026, 10, 5, 9, 0),
        "Aaron fell asleep in class; no breakfast",
    );
    let c2 = neglect(
        &mut s,
        &fx,
        kids[1],
        t(2026, 10, 12, 9, 0),
        "Bella wore the same clothes all week",
    );
    fx.clock.set(t(2026, 10, 12, 16, 0));
    assert!(
        !rules(&s).contains(&PromptRule::NfaWhileConcernsContinue),
        "two concerns are below the default threshold of three"
    );
    // …and a third.
    let c3 = neglect(
        &mut s,
        &fx,
        kids[2],
        t(2026, 10, 19, 9, 0),
        "Callum had a rash that had not been treated",
    );
    fx.clock.set(t(2026, 10, 19, 16, 0));
    let prompts = s.prompts().unwrap();
    let p = prompts
        .iter()
        .find(|p| p.rule == PromptRule::NfaWhileConcernsContinue)
        .expect("the escalation prompt");
    let ids: Vec<Id> = p.records.iter().map(|r| r.id).collect();
    assert!(
        ids.contains(&r2),
        "it names the latest referral that ended in NFA"
    );
    for c in [c1, c2, c3] {
        assert!(ids.contains(&c), "it lists the concerns that triggered it");
    }
    assert!(p.why.contains("no further action"), "{}", p.why);
    assert!(p.action.contains("escalat"), "{}", p.action);
    assert_eq!(p.pupils.len(), 3, "the prompt is about the whole family");
    // The family view shows all three children.
    let fam = s
        .family_chronology(kids[0], &ChronologyFilter::default())
        .unwrap();
    let who: std::collections::BTreeSet<Id> = fam.iter().map(|e| e.pupil_id).collect();
    assert_eq!(who, kids.iter().copied().collect());
    // Opening an escalation answers it.
    s.open_escalation(&NewEscalation {
        pupil_id: kids[2],
        referral_id: Some(r2),
        details: EscalationDetails {
            agency: "CSC".into(),
            subject: "NFA while neglect continues".into(),
        },
        first_stage: StageDetails {
            stage_name: String::new(),
            raised_on: d(2026, 10, 19),
            with_name: "Team manager".into(),
            with_role: "TM".into(),
            with_agency: "CSC".into(),
            disagreement: "Threshold met".into(),
            evidence: "Eight concerns".into(),
        },
    })
    .unwrap();
    assert!(!rules(&s).contains(&PromptRule::NfaWhileConcernsContinue));
}

#[test]
fn a_dismissed_prompt_stays_away_until_a_new_record_triggers_it() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Dee", "Eli"]);
    for day in [2, 9, 16, 23] {
        neglect(
            &mut s,
            &fx,
            kids[day % 2],
            t(2026, 11, day as u32, 9, 0),
            "Hungry",
        );
    }
    fx.clock.set(t(2026, 11, 23, 16, 0));
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::AccumulatingConcerns)
        .unwrap();
    assert!(
        matches!(
            s.dismiss_prompt(&p.key, "  "),
            Err(Error::InvalidInput { .. })
        ),
        "a reason is required"
    );
    let still_open = s
        .dismiss_prompt(
            &p.key,
            "Discussed at the TAF meeting on 20/11; plan in place",
        )
        .unwrap();
    assert!(!rules(&s).contains(&PromptRule::AccumulatingConcerns));
    assert_eq!(
        still_open.iter().map(|p| &p.key).collect::<Vec<_>>(),
        s.prompts()
            .unwrap()
            .iter()
            .map(|p| &p.key)
            .collect::<Vec<_>>(),
        "what it returns is what is open"
    );
    assert!(matches!(
        s.dismiss_prompt(&p.key, "again"),
        Err(Error::NotFound { .. })
    ));
    neglect(&mut s, &fx, kids[0], t(2026, 11, 24, 9, 0), "Hungry again");
    fx.clock.set(t(2026, 11, 24, 16, 0));
    assert!(
        rules(&s).contains(&PromptRule::AccumulatingConcerns),
        "a new concern brings it back"
    );
    // The dismissal is a record and is audited.
    assert_eq!(
        s.stats()
            .unwrap()
            .counts
            .iter()
            .find(|c| c.0 == "prompt dismissals")
            .unwrap()
            .1,
        1
    );
    assert!(s.verify().unwrap().all_ok());
}

#[test]
fn encompass_friday_evening_is_overdue_only_after_monday_start_of_school() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Fay"]);
    let friday = t(2026, 11, 20, 19, 0);
    fx.clock.set(friday + Duration::minutes(10));
    s.record_encompass(&notification(friday, &kids)).unwrap();
    for (now, overdue) in [
        (t(2026, 11, 21, 12, 0), false),
        (t(2026, 11, 23, 8, 29), false),
        (t(2026, 11, 23, 8, 31), true),
    ] {
        fx.clock.set(now);
        assert_eq!(
            rules(&s).contains(&PromptRule::EncompassOverdue),
            overdue,
            "at {now}"
        );
    }
}

#[test]
fn encompass_before_a_bank_holiday_and_in_the_christmas_break() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Gus"]);
    // Thursday 24 December 2026, evening: Friday 25 and Monday 28 are bank holidays.
    let eve = t(2026, 12, 24, 20, 0);
    fx.clock.set(eve + Duration::minutes(10));
    let n = s.record_encompass(&notification(eve, &kids)).unwrap();
    fx.clock.set(t(2026, 12, 28, 12, 0));
    assert!(
        !rules(&s).contains(&PromptRule::EncompassOverdue),
        "not due until Tuesday 29th"
    );
    fx.clock.set(t(2026, 12, 29, 9, 0));
    assert!(rules(&s).contains(&PromptRule::EncompassOverdue));
    for f in s.open_follow_ups_for(n).unwrap() {
        s.complete_follow_up(f, "Seen").unwrap();
    }
    assert!(!rules(&s).contains(&PromptRule::EncompassOverdue));
    // With the school closed for Christmas and an INSET day, the first school day is 5 January.
    let mut cal = s.calendar_config().unwrap();
    cal.school_holidays
        .push(safeguard_core::calendar::DateRange {
            start: d(2026, 12, 19),
            end: d(2027, 1, 3),
            label: "Christmas".into(),
        });
    cal.inset_days.push(d(2027, 1, 4));
    s.set_calendar_config(&cal).unwrap();
    let boxing = t(2026, 12, 30, 21, 0);
    fx.clock.set(boxing + Duration::minutes(5));
    s.record_encompass(&notification(boxing, &kids)).unwrap();
    fx.clock.set(t(2027, 1, 4, 12, 0));
    assert!(
        !rules(&s).contains(&PromptRule::EncompassOverdue),
        "INSET day: not yet"
    );
    fx.clock.set(t(2027, 1, 5, 8, 45));
    assert!(rules(&s).contains(&PromptRule::EncompassOverdue));
}

fn notification(at: DateTime<Utc>, kids: &[Id]) -> NewEncompass {
    NewEncompass {
        details: EncompassDetails {
            received_at: at,
            police_force: "P".into(),
            officer: "PC".into(),
            police_reference: "R".into(),
            incident_at: at - Duration::hours(2),
            incident_location: "Home".into(),
            circumstances: "Argument".into(),
            other_information: None,
            support: SupportType::Silent,
        },
        children: kids
            .iter()
            .map(|&p| EncompassChild {
                pupil_id: p,
                present: None,
                where_during: None,
                spoken_to: None,
                what_they_said: None,
            })
            .collect(),
    }
}

#[test]
fn siblings_not_on_a_notification_are_listed_with_one_step_each() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Hal", "Ivy", "Jon"]);
    let hh = s.pupil_file(kids[0]).unwrap().household[0].household_id;
    let mut elsewhere = MemberDetails::pupil_child();
    elsewhere.full_name = Some("Kim A".into());
    elsewhere.school_or_setting = Some("Hillside Academy".into());
    s.add_household_member(&NewHouseholdMember {
        household_id: hh,
        pupil_id: None,
        details: elsewhere,
    })
    .unwrap();
    let at = t(2026, 11, 23, 7, 0);
    fx.clock.set(at + Duration::minutes(5));
    let n = s.record_encompass(&notification(at, &kids[..1])).unwrap();
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::EncompassSiblings)
        .unwrap();
    assert!(
        p.why.contains("Ivy A") && p.why.contains("Jon A"),
        "{}",
        p.why
    );
    assert!(
        p.why.contains("Kim A (Hillside Academy)"),
        "siblings at other schools are a reminder: {}",
        p.why
    );
    // One step per sibling: add them to the notification, with their own follow-up.
    for k in &kids[1..] {
        s.add_encompass_child(
            n,
            &EncompassChild {
                pupil_id: *k,
                present: Some(false),
                where_during: Some("At grandparents'".into()),
                spoken_to: Some(false),
                what_they_said: None,
            },
        )
        .unwrap();
    }
    assert_eq!(s.open_follow_ups_for(n).unwrap().len(), 3);
    assert!(matches!(
        s.add_encompass_child(
            n,
            &EncompassChild {
                pupil_id: kids[1],
                present: None,
                where_during: None,
                spoken_to: None,
                what_they_said: None
            }
        ),
        Err(Error::Conflict { .. })
    ));
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::EncompassSiblings)
        .unwrap();
    assert!(
        !p.why.contains("Ivy A") && p.why.contains("Kim A"),
        "only the reminder remains: {}",
        p.why
    );
}

#[test]
fn a_referral_without_a_decision_is_chased_after_the_timescale() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Lou"]);
    referral(&mut s, &fx, kids[0], t(2026, 11, 20, 10, 0)); // Friday
    fx.clock.set(t(2026, 11, 23, 16, 0)); // Monday: the 1 working day is up today
    assert!(!rules(&s).contains(&PromptRule::ReferralWithoutDecision));
    fx.clock.set(t(2026, 11, 24, 9, 0));
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::ReferralWithoutDecision)
        .unwrap();
    assert!(p.why.contains("2 working days"), "{}", p.why);
    // A school that allows 3 working days is not chased yet — for new referrals.
    s.set_referral_decision_working_days(3).unwrap();
    let kids2 = family(&mut s, &["Max"]);
    referral(&mut s, &fx, kids2[0], t(2026, 11, 24, 10, 0));
    fx.clock.set(t(2026, 11, 27, 16, 0));
    let chased: Vec<_> = s
        .prompts()
        .unwrap()
        .into_iter()
        .filter(|p| p.rule == PromptRule::ReferralWithoutDecision && p.pupils[0].0 == kids2[0])
        .collect();
    assert!(chased.is_empty());
}

#[test]
fn an_overdue_escalation_stage_points_to_the_next_stage() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Ned"]);
    fx.clock.set(t(2026, 11, 23, 10, 0));
    let st = |on| StageDetails {
        stage_name: String::new(),
        raised_on: on,
        with_name: "SW".into(),
        with_role: "r".into(),
        with_agency: "CSC".into(),
        disagreement: "d".into(),
        evidence: "e".into(),
    };
    let e = s
        .open_escalation(&NewEscalation {
            pupil_id: kids[0],
            referral_id: None,
            details: EscalationDetails {
                agency: "CSC".into(),
                subject: "s".into(),
            },
            first_stage: st(d(2026, 11, 23)),
        })
        .unwrap();
    fx.clock.set(t(2026, 11, 25, 16, 0));
    assert!(
        !rules(&s).contains(&PromptRule::EscalationStageOverdue),
        "due on the 25th: not late yet"
    );
    fx.clock.set(t(2026, 11, 26, 9, 0));
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::EscalationStageOverdue)
        .unwrap();
    assert!(
        p.action.contains("stage 2: Line manager to line manager"),
        "{}",
        p.action
    );
    s.record_escalation_response(e, "Reply received").unwrap();
    assert!(
        !rules(&s).contains(&PromptRule::EscalationStageOverdue),
        "a response answers it"
    );
}

#[test]
fn the_childs_voice_prompt_clears_when_their_words_are_recorded() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Ola"]);
    neglect(&mut s, &fx, kids[0], t(2026, 11, 16, 9, 0), "Hungry");
    fx.clock.set(t(2026, 11, 23, 9, 0));
    let p = s.prompts_for_pupil(kids[0]).unwrap();
    assert!(
        p.iter()
            .any(|p| p.rule == PromptRule::ChildsVoiceAbsent
                && p.why.contains("never been recorded"))
    );
    s.record_voice(&breakfast_club(kids[0])).unwrap();
    assert!(!rules(&s).contains(&PromptRule::ChildsVoiceAbsent));
}

#[test]
fn the_prompts_read_amended_times_not_the_times_first_recorded() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Ola"]);
    let c = neglect(&mut s, &fx, kids[0], t(2026, 11, 16, 9, 0), "Hungry");
    fx.clock.set(t(2026, 11, 23, 9, 0));
    let v = s.record_voice(&breakfast_club(kids[0])).unwrap();
    assert!(!rules(&s).contains(&PromptRule::ChildsVoiceAbsent));
    // The voice entry was in fact from last spring: the child has not been heard recently.
    s.amend(
        RecordKind::Voice,
        v,
        "spoken_at",
        serde_json::json!("2026-04-01T09:00:00Z"),
        "Typed on the wrong day",
    )
    .unwrap();
    assert!(
        rules(&s).contains(&PromptRule::ChildsVoiceAbsent),
        "the amended time counts"
    );
    // And the concern was from last year: no recent concern, so no prompt about the voice.
    s.amend(
        RecordKind::Concern,
        c,
        "observed_at",
        serde_json::json!("2025-06-02T09:00:00Z"),
        "Entered from the paper file",
    )
    .unwrap();
    assert!(
        !rules(&s).contains(&PromptRule::ChildsVoiceAbsent),
        "the amended concern is old"
    );
    // Brought back into the window, it counts again.
    s.amend(
        RecordKind::Concern,
        c,
        "observed_at",
        serde_json::json!("2026-11-20T09:00:00Z"),
        "The paper file was misread",
    )
    .unwrap();
    assert!(rules(&s).contains(&PromptRule::ChildsVoiceAbsent));
}

#[test]
fn accumulation_counts_across_the_family_and_respects_the_threshold() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Pip", "Quin"]);
    neglect(&mut s, &fx, kids[0], t(2026, 10, 1, 9, 0), "a");
    neglect(&mut s, &fx, kids[1], t(2026, 10, 15, 9, 0), "b");
    neglect(&mut s, &fx, kids[0], t(2026, 11, 1, 9, 0), "c");
    fx.clock.set(t(2026, 11, 2, 9, 0));
    assert!(
        !rules(&s).contains(&PromptRule::AccumulatingConcerns),
        "3 < 4"
    );
    neglect(&mut s, &fx, kids[1], t(2026, 11, 10, 9, 0), "d");
    fx.clock.set(t(2026, 11, 11, 9, 0));
    let p = s
        .prompts()
        .unwrap()
        .into_iter()
        .find(|p| p.rule == PromptRule::AccumulatingConcerns)
        .unwrap();
    assert_eq!(p.records.len(), 4);
    // A stricter school setting: 5.
    let mut settings = PromptSettings::default();
    settings.accumulating[0].count = 5;
    s.set_prompt_settings(&settings).unwrap();
    assert!(!rules(&s).contains(&PromptRule::AccumulatingConcerns));
    settings.nfa_weeks = 0;
    assert!(matches!(
        s.set_prompt_settings(&settings),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn staff_see_no_prompts_and_the_head_cannot_dismiss() {
    let (fx, mut s) = new_store();
    let kids = family(&mut s, &["Ria"]);
    neglect(&mut s, &fx, kids[0], t(2026, 11, 16, 9, 0), "Hungry");
    s.add_user("Sue Staff", Role::Staff, &pass("staff passphrase"))
        .unwrap();
    s.add_user("Hal Head", Role::Head, &pass("head passphrase"))
        .unwrap();
    fx.clock.set(t(2026, 11, 23, 9, 0));
    let key = s.prompts().unwrap()[0].key.clone();
    drop(s);
    // Staff hold no database key: no session over the records, so no prompts.
    assert!(matches!(
        fx.unlock("Sue Staff", "staff passphrase"),
        Err(Error::Forbidden)
    ));
    let mut head = fx.unlock("Hal Head", "head passphrase").unwrap();
    assert!(!head.prompts().unwrap().is_empty());
    assert!(matches!(
        head.dismiss_prompt(&key, "reason"),
        Err(Error::Forbidden)
    ));
}

/// The demo school as of Monday 23 November 2026: it has a prompt of every rule.
fn demo_school() -> (tempfile::TempDir, safeguard_core::Session) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let p = pass("demo passphrase");
    safeguard_core::demo::create(
        &dir,
        &p,
        safeguard_core::keyring::KdfParams::DEFAULT,
        monday(),
    )
    .unwrap();
    let clock = std::sync::Arc::new(safeguard_core::clock::ManualClock::new(monday()));
    let s = safeguard_core::unlock(
        &dir,
        Some(safeguard_core::demo::DSL_NAME),
        &p,
        safeguard_core::StoreOptions::new(clock),
    )
    .unwrap();
    (tmp, s)
}

#[test]
fn today_pages_the_prompts_most_urgent_first_with_counts_by_rule_and_year() {
    use safeguard_core::session::PromptQuery;
    let (_tmp, s) = demo_school();
    let all = s.prompts().unwrap();
    assert!(all.len() >= 7, "{} prompts", all.len());
    let ranks: Vec<usize> = all
        .iter()
        .map(|p| PromptRule::ALL.iter().position(|r| *r == p.rule).unwrap())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "most urgent rule first: {ranks:?}"
    );

    let first = s.prompt_page(&PromptQuery::default()).unwrap();
    assert_eq!(first.all as usize, all.len());
    assert_eq!(first.total as usize, all.len());
    let counted: u32 = first.groups.iter().map(|g| g.count).sum();
    assert_eq!(counted as usize, all.len(), "every prompt is in one group");
    assert_eq!(first.groups[0].rule, all[0].rule);

    let page = s
        .prompt_page(&PromptQuery {
            offset: 2,
            limit: 3,
            ..Default::default()
        })
        .unwrap();
    let keys = |ps: &[safeguard_core::prompts::Prompt]| {
        ps.iter().map(|p| p.key.clone()).collect::<Vec<_>>()
    };
    assert_eq!(keys(&page.items), keys(&all[2..5]));

    for g in &first.groups {
        let only = s
            .prompt_page(&PromptQuery {
                rule: Some(g.rule),
                limit: 200,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(only.total, g.count, "{:?}", g.rule);
        assert!(only.items.iter().all(|p| p.rule == g.rule));
        assert!(!g.label.is_empty());
    }

    assert!(first.year_groups.len() >= 2, "{:?}", first.year_groups);
    let year = first.year_groups[0].clone();
    let in_year = s
        .prompt_page(&PromptQuery {
            year_group: Some(year.clone()),
            limit: 200,
            ..Default::default()
        })
        .unwrap();
    assert!(
        in_year.total > 0 && in_year.total < first.total,
        "{year}: {}",
        in_year.total
    );
    let years = s
        .list_pupils(&safeguard_core::session::PupilQuery {
            year_group: Some(year.clone()),
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let here: std::collections::BTreeSet<Id> = years.items.iter().map(|p| p.id).collect();
    for p in &in_year.items {
        assert!(
            p.pupils.iter().any(|(id, _)| here.contains(id)),
            "{} names no child in {year}",
            p.key
        );
    }
    let counted: u32 = in_year.groups.iter().map(|g| g.count).sum();
    assert_eq!(counted, in_year.total, "the counts follow the year filter");
}
