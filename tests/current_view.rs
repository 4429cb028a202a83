//! One way to read a record: its current view. A record of every kind is amended, and every
//! read path — Today, lists, the pupil's page and file, chronologies, follow-ups, escalation
//! history, prompts, documents, search, the CLI — shows the amended value, never the stored one.
//! And every field a record holds is shown where the record is: each kind's declared fields
//! are found, label and value, in the child's file PDF.

mod common;

use chrono::{Duration, NaiveDate};
use common::pdf::text_of;
use common::*;
use safeguard_core::Session;
use safeguard_core::kinds::shown_labels;
use safeguard_core::prompts::Prompt;
use safeguard_core::records::*;
use safeguard_core::session::{
    ChronologyEntry, ChronologyFilter, EscalationQuery, PromptQuery, PupilQuery, ReferralSelection,
};
use serde_json::json;

struct World {
    zoe: Id,
    household: Id,
    brother: Id,
    concern: Id,
    notification: Id,
    voice: Id,
    follow_up: Id,
    chased_referral: Id,
    decision: Id,
    answered: Id,
    answered_stage: Id,
    response: Id,
    overdue: Id,
    comment: Id,
}

fn day(n: i64) -> NaiveDate {
    (monday() - Duration::days(n)).date_naive()
}

fn stage(raised_on: NaiveDate, with: &str) -> StageDetails {
    StageDetails {
        stage_name: String::new(),
        raised_on,
        with_name: with.into(),
        with_role: "Social worker".into(),
        with_agency: "Testshire MASH".into(),
        disagreement: "No further action while concerns continue.".into(),
        evidence: "The concern of last week.".into(),
    }
}

fn referral(zoe: Id, days_ago: i64, name: &str) -> NewReferral {
    NewReferral {
        pupil_id: zoe,
        details: ReferralDetails {
            made_at: monday() - Duration::days(days_ago),
            agency: Agency::Mash,
            agency_name: Some(name.into()),
            method: ReferralMethod::Phone,
            reference: Some(format!("REF-{days_ago}")),
            contact_name: Some("Duty worker".into()),
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: Some("She wants help at home.".into()),
            what_was_shared: format!("What was shared {days_ago}"),
            written_confirmation_sent_on: Some(day(days_ago)),
        },
    }
}

/// A record of every kind about Zoë, each then amended once.
fn world(s: &mut Session) -> World {
    let mut details = pupil_details("Zoë", "Nowak", "Z000000000001");
    details.class_name = Some("Oak class".into());
    details.attendance_concern = true;
    details.gp = Some("Brook Surgery".into());
    let zoe = s.add_pupil(&details).unwrap();
    let mut brother = MemberDetails::person("Tom Nowak", "brother", true);
    brother.school_or_setting = Some("Brook Academy".into());
    brother.contact = Some("Via mother".into());
    brother.date_of_birth = Some(NaiveDate::from_ymd_opt(2012, 5, 1).unwrap());
    let brother = s.add_family_member(zoe, None, &brother).unwrap();
    let household = s.pupil_file(zoe).unwrap().household[0].household_id;

    let mut c = concern_for(
        zoe,
        monday() - Duration::days(2),
        "Zoë was crying at the gate at 08:40.",
        Some("I don't want to go home."),
    );
    c.details.categories = vec![Category::Other];
    c.details.location = "Hall".into();
    c.details.body_marks = vec![BodyMark {
        side: BodySide::Front,
        x: 0.4,
        y: 0.3,
        description: "Bruise on the left forearm".into(),
    }];
    let concern = s.record_concern(&c).unwrap();

    let notification = s
        .record_encompass(&NewEncompass {
            details: EncompassDetails {
                received_at: monday() - Duration::hours(2),
                police_force: "Testshire Police".into(),
                officer: "PC Patel".into(),
                police_reference: "OE-2026-7".into(),
                incident_at: monday() - Duration::hours(14),
                incident_location: "The family home".into(),
                circumstances: "Police called to a verbal argument.".into(),
                other_information: Some("Mother has support.".into()),
                support: SupportType::Silent,
            },
            children: vec![EncompassChild {
                pupil_id: zoe,
                present: Some(true),
                where_during: Some("Upstairs".into()),
                spoken_to: Some(false),
                what_they_said: None,
            }],
        })
        .unwrap();
    let voice = s
        .record_voice(&NewVoice {
            pupil_id: zoe,
            details: VoiceDetails {
                spoken_at: monday() - Duration::days(1),
                words: "I like drawing with Miss Lee.".into(),
                wishes: Some("To see Nana more".into()),
                feelings: Some("Happy at school".into()),
                non_verbal: Some("Smiled".into()),
                who_was_present: "Zoë and the DSL".into(),
                context: Some("Art club".into()),
            },
        })
        .unwrap();
    let follow_up = s
        .add_follow_up(&NewFollowUp {
            pupil_id: zoe,
            source_id: Some(concern),
            owner_id: None,
            due_on: monday().date_naive() + Duration::days(1),
            details: FollowUpDetails {
                action: "Phone mother".into(),
            },
        })
        .unwrap();
    let chased_referral = s
        .record_referral(&referral(zoe, 10, "Testshire MASH"))
        .unwrap();
    let decided_referral = s
        .record_referral(&referral(zoe, 20, "Early help hub"))
        .unwrap();
    let decision = s
        .record_decision(
            decided_referral,
            &DecisionDetails {
                received_on: day(18),
                outcome: DecisionOutcome::NoFurtherAction,
                decided_by: Some("Team manager".into()),
                notes: "Threshold not met.".into(),
            },
        )
        .unwrap();
    let answered = s
        .open_escalation(&NewEscalation {
            pupil_id: zoe,
            referral_id: Some(decided_referral),
            details: EscalationDetails {
                agency: "Testshire MASH".into(),
                subject: "No further action after a disclosure".into(),
            },
            first_stage: stage(day(15), "Kim Lee"),
        })
        .unwrap();
    let response = s
        .record_escalation_response(answered, "Decision stands.")
        .unwrap();
    let answered_stage = s.escalation(answered).unwrap().stages[0].id;
    let comment = s
        .add_review_comment(answered, "Reviewed by the DSL.")
        .unwrap();
    let overdue = s
        .open_escalation(&NewEscalation {
            pupil_id: zoe,
            referral_id: None,
            details: EscalationDetails {
                agency: "Testshire Police".into(),
                subject: "No reply about the notification".into(),
            },
            first_stage: stage(day(14), "DS Ahmed"),
        })
        .unwrap();

    let w = World {
        zoe,
        household,
        brother,
        concern,
        notification,
        voice,
        follow_up,
        chased_referral,
        decision,
        answered,
        answered_stage,
        response,
        overdue,
        comment,
    };
    let oe_child = notification_child(s, &w);
    let fix = "Corrected after checking";
    let mut amend = |kind, id, field: &str, value: serde_json::Value| {
        s.amend(kind, id, field, value, fix).unwrap();
    };
    amend(RecordKind::Pupil, w.zoe, "preferred_name", json!("Zed"));
    amend(
        RecordKind::Household,
        w.household,
        "name",
        json!("Amended household"),
    );
    amend(
        RecordKind::HouseholdMember,
        w.brother,
        "known_risks",
        json!("Amended risk"),
    );
    amend(
        RecordKind::Concern,
        w.concern,
        "categories",
        json!(["neglect"]),
    );
    amend(
        RecordKind::Concern,
        w.concern,
        "location",
        json!("Dining hall"),
    );
    amend(
        RecordKind::Encompass,
        w.notification,
        "circumstances",
        json!("Amended circumstances."),
    );
    amend(
        RecordKind::EncompassChild,
        oe_child,
        "where_during",
        json!("In the garden"),
    );
    amend(
        RecordKind::Voice,
        w.voice,
        "wishes",
        json!("Amended wishes"),
    );
    amend(
        RecordKind::FollowUp,
        w.follow_up,
        "action",
        json!("Amended action"),
    );
    amend(
        RecordKind::Referral,
        w.chased_referral,
        "agency_name",
        json!("Northshire Front Door"),
    );
    amend(
        RecordKind::Decision,
        w.decision,
        "notes",
        json!("Amended notes."),
    );
    amend(
        RecordKind::Escalation,
        w.overdue,
        "agency",
        json!("Amended Agency"),
    );
    amend(
        RecordKind::EscalationStage,
        w.answered_stage,
        "with_name",
        json!("Amended Worker"),
    );
    amend(
        RecordKind::EscalationEvent,
        w.response,
        "text",
        json!("Amended response."),
    );
    amend(
        RecordKind::EscalationEvent,
        w.comment,
        "text",
        json!("Amended comment."),
    );
    w
}

fn notification_child(s: &mut Session, w: &World) -> Id {
    s.pupil_chronology(w.zoe, &ChronologyFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == RecordKind::EncompassChild)
        .unwrap()
        .record_id
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn today_and_the_lists_show_amended_values() {
    let (_fx, mut s) = new_store();
    let w = world(&mut s);
    let today = s.dashboard().unwrap();
    let concern = today
        .recent_concerns
        .iter()
        .find(|c| c.id == w.concern)
        .unwrap();
    assert_eq!(concern.categories, vec![Category::Neglect]);
    assert_eq!(concern.pupil_name, "Zed Nowak");
    let due = today
        .follow_ups_due
        .iter()
        .find(|f| f.id == w.follow_up)
        .unwrap();
    assert_eq!(due.action, "Amended action");
    assert!(
        today
            .escalation_stages_due
            .iter()
            .all(|e| e.pupil_name == "Zed Nowak")
    );

    let list = s.follow_ups().unwrap();
    assert_eq!(
        list.open
            .iter()
            .find(|f| f.id == w.follow_up)
            .unwrap()
            .action,
        "Amended action"
    );
    let page = s
        .list_pupils(&PupilQuery {
            text: Some("Zed".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 1, "the amended name is searched");
    assert_eq!(page.items[0].name, "Zed Nowak");
}

#[test]
fn the_pupils_page_and_chronologies_show_amended_values() {
    let (_fx, mut s) = new_store();
    let w = world(&mut s);
    let file = s.pupil_file(w.zoe).unwrap();
    assert_eq!(file.details.preferred_name.as_deref(), Some("Zed"));
    let brother = file.household.iter().find(|m| m.id == w.brother).unwrap();
    assert_eq!(brother.household_name, "Amended household");
    assert_eq!(brother.household.name, "Amended household");
    assert_eq!(brother.details.known_risks.as_deref(), Some("Amended risk"));

    for entries in [
        s.pupil_chronology(w.zoe, &ChronologyFilter::default())
            .unwrap(),
        s.family_chronology(w.zoe, &ChronologyFilter::default())
            .unwrap(),
    ] {
        chronology_shows_amended_values(&entries, &w);
    }
}

/// The prompts' facts are read in their current view: the referral's amended agency name and the
/// escalation's amended agency are what the prompts say.
fn prompts_show_amended_values(prompts: &[Prompt]) {
    let why: Vec<&str> = prompts.iter().map(|p| p.why.as_str()).collect();
    assert!(
        why.iter()
            .any(|w| w.contains("Referral to Northshire Front Door")),
        "{why:#?}"
    );
    assert!(
        why.iter().any(|w| w.contains("with Amended Agency")),
        "{why:#?}"
    );
    assert!(
        why.iter().all(|w| !w.contains("with Testshire Police")),
        "{why:#?}"
    );
    assert!(
        prompts
            .iter()
            .all(|p| p.pupils.iter().all(|(_, n)| n == "Zed Nowak"))
    );
}

/// Every kind's amended value, as a chronology entry shows it (and nothing of the stored one).
fn chronology_shows_amended_values(entries: &[ChronologyEntry], w: &World) {
    let of = |id: Id| entries.iter().find(|e| e.record_id == id).unwrap();
    let field = |id: Id, label: &str| {
        of(id)
            .fields
            .iter()
            .find(|f| f.label == label)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(of(w.concern).categories, vec![Category::Neglect]);
    assert_eq!(of(w.concern).title, "Concern: Neglect");
    assert_eq!(field(w.concern, "Where"), "Dining hall");
    assert_eq!(field(w.concern, "Categories"), "Neglect");
    let oe = entries
        .iter()
        .find(|e| e.kind == RecordKind::EncompassChild)
        .unwrap();
    assert!(oe.text.contains("Amended circumstances."), "{}", oe.text);
    assert!(oe.text.contains("In the garden"), "{}", oe.text);
    assert!(of(w.voice).text.contains("Amended wishes"));
    assert!(of(w.follow_up).text.contains("Amended action"));
    assert_eq!(
        of(w.chased_referral).title,
        "Referral to Northshire Front Door"
    );
    assert_eq!(of(w.decision).text, "Amended notes.");
    assert_eq!(field(w.overdue, "Agency"), "Amended Agency");
    assert!(of(w.answered_stage).text.contains("Amended Worker"));
    assert_eq!(of(w.response).text, "Amended response.");
    assert_eq!(of(w.comment).text, "Amended comment.");
    assert!(entries.iter().all(|e| e.pupil_name == "Zed Nowak"));
}

#[test]
fn a_members_leaving_and_its_reason_show_on_the_pupils_page_and_in_the_childs_file() {
    let (fx, mut s) = new_store();
    let w = world(&mut s);
    s.end_household_member(w.brother, "Moved to live with his father in Leeds")
        .unwrap();
    let file = s.pupil_file(w.zoe).unwrap();
    let brother = file.household.iter().find(|m| m.id == w.brother).unwrap();
    assert!(brother.left);
    let left = brother
        .fields
        .iter()
        .find(|f| f.label == "Left the household")
        .expect("the leaving is one of the member's fields");
    assert!(
        left.value
            .ends_with(": Moved to live with his father in Leeds"),
        "{}",
        left.value
    );
    let dir = fx.dir.parent().unwrap().to_path_buf();
    let pdf = s.child_file_pdf(w.zoe).unwrap();
    let text = squash(&text_of(&dir, "file.pdf", &pdf.bytes));
    assert!(
        text.contains(&squash(&format!("Left the household {}", left.value))),
        "{text}"
    );
}

#[test]
fn the_escalation_history_and_the_prompts_show_amended_values() {
    let (_fx, mut s) = new_store();
    let w = world(&mut s);
    let v = s.escalation(w.answered).unwrap();
    assert_eq!(v.stages[0].with_name, "Amended Worker");
    assert_eq!(v.stages[0].stage_name, "Practitioner to practitioner");
    assert_eq!(v.stages[0].responses[0].text, "Amended response.");
    assert_eq!(v.review_comments[0].text, "Amended comment.");
    let all = s.escalations(true).unwrap();
    assert_eq!(
        all.iter().find(|e| e.id == w.overdue).unwrap().agency,
        "Amended Agency"
    );

    prompts_show_amended_values(&s.prompts().unwrap());
}

/// The window reads Today's prompts, a chronology and the head's review a page at a time: each
/// page is made from the current view, as the whole reads are.
#[test]
fn the_windows_paged_reads_show_amended_values() {
    let (_fx, mut s) = new_store();
    let w = world(&mut s);
    let page = s.prompt_page(&PromptQuery::default()).unwrap();
    assert_eq!(page.total as usize, page.items.len(), "one page holds them");
    prompts_show_amended_values(&page.items);

    for family in [false, true] {
        let page = s
            .chronology_page(w.zoe, family, &ChronologyFilter::default(), 1000)
            .unwrap();
        assert_eq!(page.earlier, 0);
        chronology_shows_amended_values(&page.entries, &w);
        // The newest page alone, too: a page is not made from the stored bodies.
        let newest = s
            .chronology_page(w.zoe, family, &ChronologyFilter::default(), 1)
            .unwrap();
        let whole = page.entries.last().unwrap();
        assert_eq!(newest.entries.len(), 1);
        assert_eq!(newest.entries[0].record_id, whole.record_id);
        assert_eq!(newest.entries[0].text, whole.text);
    }

    let page = s
        .escalation_page(&EscalationQuery {
            include_resolved: true,
            offset: 0,
            limit: 0,
        })
        .unwrap();
    let answered = page.items.iter().find(|e| e.id == w.answered).unwrap();
    assert_eq!(answered.stages[0].with_name, "Amended Worker");
    assert_eq!(answered.stages[0].responses[0].text, "Amended response.");
    assert_eq!(answered.review_comments[0].text, "Amended comment.");
    let overdue = page.items.iter().find(|e| e.id == w.overdue).unwrap();
    assert_eq!(overdue.agency, "Amended Agency");
    assert!(page.items.iter().all(|e| e.pupil_name == "Zed Nowak"));
}

#[test]
fn search_finds_amended_values() {
    let (_fx, mut s) = new_store();
    let w = world(&mut s);
    for (words, id) in [
        ("Dining hall", w.concern),
        ("Amended response", w.response),
        ("Northshire", w.chased_referral),
        ("Amended notes", w.decision),
    ] {
        let hits = s.search(words, 50).unwrap();
        let hit = hits.iter().find(|h| h.record_id == id);
        assert!(hit.is_some(), "{words}: {hits:#?}");
        assert_eq!(
            hit.unwrap().pupil_name.as_deref(),
            Some("Zed Nowak"),
            "{words}"
        );
    }
}

#[test]
fn documents_show_amended_values_and_every_field_of_every_kind() {
    let (fx, mut s) = new_store();
    let w = world(&mut s);
    let dir = fx.dir.parent().unwrap().to_path_buf();

    let referral = s
        .referral_pdf(&ReferralSelection {
            pupil_id: w.zoe,
            ..Default::default()
        })
        .unwrap();
    let text = squash(&text_of(&dir, "referral.pdf", &referral.bytes));
    for amended in [
        "Referral: Zed Nowak",
        "Where: Dining hall",
        "Categories: Neglect",
        "Wishes: Amended wishes",
        "Amended circumstances.",
    ] {
        assert!(
            text.contains(amended),
            "{amended} missing from the referral:\n{text}"
        );
    }

    let esc = s.escalations_pdf(None).unwrap();
    let text = squash(&text_of(&dir, "escalations.pdf", &esc.bytes));
    for amended in [
        "Amended response.",
        "Amended Worker",
        "Amended Agency",
        "Amended comment.",
    ] {
        assert!(
            text.contains(amended),
            "{amended} missing from the escalations:\n{text}"
        );
    }
    assert!(
        !text.contains("Decision stands."),
        "the stored text, not the current one"
    );

    let chronology = s
        .chronology_pdf(w.zoe, false, &ChronologyFilter::default())
        .unwrap();
    let text = squash(&text_of(&dir, "chronology.pdf", &chronology.bytes));
    assert!(text.contains("Where: Dining hall"), "{text}");
    assert!(!text.contains("Where: Hall"), "{text}");

    // The whole file: every field each kind declares, with its current value.
    let file = s.child_file_pdf(w.zoe).unwrap();
    let text = squash(&text_of(&dir, "file.pdf", &file.bytes));
    let entries = s
        .pupil_chronology(w.zoe, &ChronologyFilter::default())
        .unwrap();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for e in &entries {
        let labels: Vec<&str> = e.fields.iter().map(|f| f.label.as_str()).collect();
        let mut declared = shown_labels(e.kind);
        if e.kind == RecordKind::EncompassChild {
            declared = [shown_labels(RecordKind::Encompass), declared].concat();
        }
        assert_eq!(labels, declared, "{:?} lists every declared field", e.kind);
        for f in &e.fields {
            let line = squash(&format!("{}: {}", f.label, f.value));
            assert!(
                text.contains(&line),
                "{:?}: {line:?} missing from the file",
                e.kind
            );
        }
        kinds_seen.insert(e.kind);
    }
    // Nine kinds of entry; the notification's own fields are in its child's entry.
    assert_eq!(kinds_seen.len(), 9, "{kinds_seen:?}");
    // The child and the household: every declared label, and the values given above.
    // (The contents page names the sections first.)
    let parts: Vec<&str> = text.split("Household and family").collect();
    assert_eq!(parts.len(), 3, "the contents and the section");
    let child = parts[1];
    let household = parts[2].split("Chronology").next().unwrap();
    for label in shown_labels(RecordKind::Pupil) {
        assert!(child.contains(label), "the child's {label} is missing");
    }
    for value in ["Zed", "Oak class", "Brook Surgery", "Z000000000001"] {
        assert!(
            child.contains(value),
            "{value} missing from the child's section"
        );
    }
    for label in [
        shown_labels(RecordKind::Household),
        shown_labels(RecordKind::HouseholdMember),
    ]
    .concat()
    {
        assert!(
            household.contains(label),
            "the household's {label} is missing"
        );
    }
    for value in [
        "Amended household",
        "Amended risk",
        "Via mother",
        "Brook Academy",
        "01/05/2012",
    ] {
        assert!(
            household.contains(value),
            "{value} missing from the household"
        );
    }
}

#[test]
fn the_cli_shows_amended_values() {
    let (fx, mut s) = new_store();
    let w = world(&mut s);
    drop(s);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgd"))
        .args(["pupils", fx.dir.to_str().unwrap()])
        .env("SGD_USER", DSL)
        .env("SGD_PASSPHRASE", DSL_PASS)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{}\tZ000000000001\tZed Nowak", w.zoe)),
        "{stdout}"
    );
}

/// The CLI's prompts (text and JSON) and every document it writes show the amended values.
#[test]
fn the_cli_prompts_and_documents_show_amended_values() {
    let (fx, mut s) = new_store();
    let _w = world(&mut s);
    drop(s);
    let dir = fx.dir.parent().unwrap().to_path_buf();
    let sgd = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgd"))
            .args(args)
            .env("SGD_USER", DSL)
            .env("SGD_PASSPHRASE", DSL_PASS)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let store = fx.dir.to_str().unwrap();
    for prompts in [sgd(&["prompts", store]), sgd(&["prompts", store, "--json"])] {
        assert!(prompts.contains("with Amended Agency"), "{prompts}");
        assert!(
            prompts.contains("Referral to Northshire Front Door"),
            "{prompts}"
        );
        assert!(!prompts.contains("with Testshire Police"), "{prompts}");
        assert!(prompts.contains("Zed Nowak"), "{prompts}");
    }

    let pdf_text = |command: &str, extra: &[&str], amended: &[&str], stored: &[&str]| {
        // The CLI never writes over a file: each document gets its own name.
        let out = dir.join(format!("cli-{command}-{}.pdf", extra.len()));
        let mut args = vec![command, store];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        sgd(&args);
        let text = squash(&text_of(
            &dir,
            &format!("{command}-{}.pdf", extra.len()),
            &std::fs::read(&out).unwrap(),
        ));
        for a in amended {
            assert!(text.contains(a), "{command}: {a} missing:\n{text}");
        }
        for o in stored {
            assert!(
                !text.contains(o),
                "{command}: the stored {o} shown:\n{text}"
            );
        }
    };
    let zoe = ["--pupil", "Z000000000001"];
    pdf_text(
        "referral",
        &zoe,
        &[
            "Referral: Zed Nowak",
            "Where: Dining hall",
            "Categories: Neglect",
        ],
        &["Where: Hall"],
    );
    for family in [&zoe[..], &[zoe[0], zoe[1], "--family"][..]] {
        pdf_text(
            "chronology",
            family,
            &["Where: Dining hall", "Amended notes.", "Amended Worker"],
            &["Where: Hall"],
        );
    }
    pdf_text(
        "escalations",
        &[],
        &[
            "Amended response.",
            "Amended Worker",
            "Amended Agency",
            "Amended comment.",
        ],
        &["Decision stands."],
    );
    pdf_text(
        "file",
        &zoe,
        &[
            "Where: Dining hall",
            "Amended household",
            "Amended risk",
            "Amended wishes",
        ],
        &["Where: Hall"],
    );
}

#[test]
fn one_unreadable_record_shows_as_such_and_hides_nothing_else() {
    let (fx, mut s) = new_store();
    let zoe = add_pupil(&mut s, "Zoë", 1);
    s.record_concern(&concern_for(zoe, monday(), "The readable one.", None))
        .unwrap();
    drop(s);
    // A body this build cannot read (an unknown field, as from a newer version's kind).
    let conn = safeguard_core::testing::raw_connection(&fx.dir, DSL, &pass(DSL_PASS)).unwrap();
    let user: String = conn
        .query_row("SELECT id FROM users LIMIT 1", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO concerns (id, device_id, recorded_at, recorded_by, pupil_id, observed_at, body)
         VALUES ('0190b9f0-0000-7000-8000-000000000001', 'x', '2026-11-23T09:00:00Z', ?1, ?2,
                 '2026-11-23T09:00:00Z', '{\"from_the_future\": true}')",
        rusqlite::params![user, zoe.to_string()],
    )
    .unwrap();
    drop(conn);
    let mut s = fx.dsl();
    let entries = s
        .pupil_chronology(zoe, &ChronologyFilter::default())
        .unwrap();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert!(entries.iter().any(|e| e.title == "Concern: Neglect"));
    let bad = entries
        .iter()
        .find(|e| e.title == "A record that could not be read")
        .unwrap();
    assert!(bad.fields.is_empty() && bad.text.contains("Nothing has been changed"));
    assert_eq!(bad.pupil_name, "Zoë Tester");
    // Today still works it out, and says that one record could not be read.
    let page = s.prompt_page(&PromptQuery::default()).unwrap();
    assert_eq!(page.unreadable, 1);
    // A write after it (an amendment of the readable one) is not stopped by it.
    let readable = entries
        .iter()
        .find(|e| e.title == "Concern: Neglect")
        .unwrap();
    s.amend(
        RecordKind::Concern,
        readable.record_id,
        "location",
        json!("Hall"),
        "Checked",
    )
    .unwrap();
    assert_eq!(
        s.prompt_page(&PromptQuery::default()).unwrap().unreadable,
        1
    );
}

#[test]
fn a_concern_that_names_another_child_shows_them_only_that_they_were_named() {
    let (_fx, mut s) = new_store();
    let zoe = add_pupil(&mut s, "Zoë", 1);
    let sam = add_pupil(&mut s, "Sam", 2);
    let mut c = concern_for(zoe, monday(), "Zoë's account of the playground.", None);
    c.other_children = vec![OtherChild {
        pupil_id: Some(sam),
        name: "Sam Tester".into(),
        role: "witness".into(),
    }];
    let id = s.record_concern(&c).unwrap();
    s.amend(
        RecordKind::Concern,
        id,
        "account",
        json!("Zoë's corrected account."),
        "Misheard",
    )
    .unwrap();
    let entries = s
        .pupil_chronology(sam, &ChronologyFilter::default())
        .unwrap();
    let named = entries.iter().find(|e| e.record_id == id).unwrap();
    assert_eq!(
        named.title,
        "Named in a concern about another child, as: witness"
    );
    assert!(named.fields.is_empty(), "{:?}", named.fields);
    assert!(
        named.amendments.is_empty(),
        "the other child's correction is not Sam's"
    );
    assert!(!format!("{named:?}").contains("account"), "{named:?}");
}

/// Every derived table (concern, voice, referral and pupil facts), read whole through raw
/// SQLCipher.
fn derived_tables(dir: &std::path::Path) -> Vec<(&'static str, Vec<Vec<String>>)> {
    let conn = safeguard_core::testing::raw_connection(dir, DSL, &pass(DSL_PASS)).unwrap();
    [
        "concern_facts",
        "voice_facts",
        "referral_facts",
        "pupil_facts",
        "member_facts",
        "chronology_facts",
    ]
    .into_iter()
    .map(|t| {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {t} ORDER BY 1, 2, 3"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                            rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                            v => v.as_str().unwrap().to_owned(),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (t, rows)
    })
    .collect()
}

/// The reads that name a child, list pupils or work out Today read derived rows kept on write.
/// After a record of every kind is amended, those rows hold the current view, and a rebuild from
/// the records (a store from before them) makes exactly the same rows.
#[test]
fn the_derived_facts_kept_on_write_are_the_current_view_and_a_rebuild_makes_the_same() {
    let (f, mut s) = new_store();
    let w = world(&mut s);
    let voice_time = monday() - Duration::days(40);
    s.amend(
        RecordKind::Voice,
        w.voice,
        "spoken_at",
        json!(voice_time),
        "It was last half term",
    )
    .unwrap();
    let page = s.list_pupils(&PupilQuery::default()).unwrap();
    drop(s);

    let kept = derived_tables(&f.dir);
    let table = |t: &str| kept.iter().find(|k| k.0 == t).unwrap().1.clone();
    let zoe = table("pupil_facts")
        .into_iter()
        .find(|r| r[0] == w.zoe.to_string())
        .unwrap();
    assert_eq!(zoe[2], "Zed Nowak", "the amended preferred name");
    assert_eq!(zoe[3], "zed nowak");
    let voice = table("voice_facts")
        .into_iter()
        .find(|r| r[0] == w.voice.to_string())
        .unwrap();
    assert_eq!(voice[3], safeguard_core::time::fmt_utc(voice_time));
    let chased = table("referral_facts")
        .into_iter()
        .find(|r| r[0] == w.chased_referral.to_string())
        .unwrap();
    assert_eq!(
        chased[5], "Northshire Front Door",
        "the amended agency name"
    );
    let concern = table("concern_facts")
        .into_iter()
        .find(|r| r[0] == w.concern.to_string())
        .unwrap();
    assert_eq!(concern[4], r#"["neglect"]"#);
    assert_eq!(page.items[0].name, "Zed Nowak");
    let brother = table("member_facts")
        .into_iter()
        .find(|r| r[0] == w.brother.to_string())
        .unwrap();
    assert_eq!(
        brother[4], "Tom Nowak (Brook Academy)",
        "a sibling at another school, named as the prompts name them"
    );
    assert_eq!(brother[5], "0", "not left");

    // A store whose derived rows are missing gets them back at the next unlock, the same.
    let conn = safeguard_core::testing::raw_connection(&f.dir, DSL, &pass(DSL_PASS)).unwrap();
    for (t, _) in &kept {
        conn.execute(&format!("DELETE FROM {t}"), []).unwrap();
    }
    drop(conn);
    let s = f.unlock(DSL, DSL_PASS).unwrap();
    assert_eq!(
        s.list_pupils(&PupilQuery::default()).unwrap(),
        page,
        "the list reads the rebuilt rows"
    );
    drop(s);
    assert_eq!(
        derived_tables(&f.dir),
        kept,
        "rebuilt from the records, amendments applied"
    );
    let verify = || {
        safeguard_core::verify_store(&f.dir, Some(DSL), &pass(DSL_PASS), &f.opts(), &[]).unwrap()
    };
    assert!(verify().all_ok(), "{:?}", verify().problems());

    // Someone with the raw key makes a concern's categories lie (Today would stop counting it):
    // the rows still account for every record, so no unlock rebuilds them, but verify names it.
    let conn = safeguard_core::testing::raw_connection(&f.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute(
        "UPDATE concern_facts SET categories = '[]' WHERE concern_id = ?1",
        [w.concern.to_string()],
    )
    .unwrap();
    drop(conn);
    let report = verify();
    assert_eq!(report.derived_problems.len(), 1, "{:?}", report.problems());
    assert!(
        report.derived_problems[0].starts_with("1 row(s) of concern_facts differ"),
        "{:?}",
        report.derived_problems
    );
    assert!(
        report.all_ok(),
        "a warning, not a problem: derived rows are not records (a backup still restores)"
    );
    // The DSL makes them again from the records.
    let mut s = f.unlock(DSL, DSL_PASS).unwrap();
    assert!(s.rebuild_derived_tables().unwrap() > 0);
    drop(s);
    assert!(verify().derived_problems.is_empty());
    assert_eq!(derived_tables(&f.dir), kept);

    // Rows made by another version of the derivation are all made again at the next unlock.
    let conn = safeguard_core::testing::raw_connection(&f.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute(
        "UPDATE pupil_facts SET name = 'Old Name' WHERE pupil_id = ?1",
        [w.zoe.to_string()],
    )
    .unwrap();
    conn.execute("UPDATE derived_state SET version = 0", [])
        .unwrap();
    drop(conn);
    drop(f.unlock(DSL, DSL_PASS).unwrap());
    assert_eq!(derived_tables(&f.dir), kept);
}

/// Today's prompts read each concern's time and categories from `concern_facts`, kept on write.
/// What the writes kept must be what a rebuild from the records makes, amendments applied.
#[test]
fn the_concern_facts_kept_on_write_are_the_current_view_and_a_rebuild_makes_the_same() {
    let (f, mut s) = new_store();
    let amy = add_pupil(&mut s, "Amy", 1);
    let ben = add_pupil(&mut s, "Ben", 2);
    let first = s
        .record_concern(&concern_for(amy, monday(), "Bruise on arm", None))
        .unwrap();
    s.record_concern(&concern_for(ben, monday(), "Late again", None))
        .unwrap();
    s.amend(
        RecordKind::Concern,
        first,
        "categories",
        json!(["neglect", "attendance"]),
        "Recorded under the wrong heading",
    )
    .unwrap();
    let retimed = monday() - Duration::days(3);
    s.amend(
        RecordKind::Concern,
        first,
        "observed_at",
        json!(retimed),
        "The time was when it was reported, not seen",
    )
    .unwrap();
    drop(s);

    let read = |dir: &std::path::Path| -> Vec<(String, String, String, String)> {
        let conn = safeguard_core::testing::raw_connection(dir, DSL, &pass(DSL_PASS)).unwrap();
        let mut stmt = conn
            .prepare("SELECT concern_id, pupil_id, observed_at, categories FROM concern_facts ORDER BY concern_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let kept = read(&f.dir);
    assert_eq!(kept.len(), 2);
    let row = kept.iter().find(|r| r.0 == first.to_string()).unwrap();
    assert_eq!(row.2, safeguard_core::time::fmt_utc(retimed));
    assert_eq!(row.3, r#"["neglect","attendance"]"#);

    // A store whose facts are missing (one from before them) gets them back at the next unlock.
    let conn = safeguard_core::testing::raw_connection(&f.dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute("DELETE FROM concern_facts", []).unwrap();
    drop(conn);
    drop(f.unlock(DSL, DSL_PASS).unwrap());
    assert_eq!(
        read(&f.dir),
        kept,
        "rebuilt from the records, amendments applied"
    );
}

#[test]
fn search_finds_a_corrected_record_only_as_it_now_reads() {
    let (_fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Mia", 1);
    let id = s
        .record_concern(&concern_for(
            p,
            monday(),
            "Mia had a bruise on her left arm.",
            Some("I fell off my bike."),
        ))
        .unwrap();
    let found = |s: &mut Session, words: &str| -> usize {
        s.search(words, 50)
            .unwrap()
            .iter()
            .filter(|h| h.record_id == id)
            .count()
    };
    assert_eq!(found(&mut s, "bruise"), 1);
    for (to, reason) in [
        ("Mia had a mark on her left wrist.", "Misheard at first."),
        (
            "Mia had a scratch on her left wrist.",
            "Checked with the teacher.",
        ),
    ] {
        s.amend(RecordKind::Concern, id, "account", json!(to), reason)
            .unwrap();
    }
    assert_eq!(found(&mut s, "bruise"), 0, "the words corrected away");
    assert_eq!(found(&mut s, "mark"), 0, "an intermediate correction");
    assert_eq!(found(&mut s, "scratch"), 1);
    assert_eq!(
        found(&mut s, "scratch bike"),
        1,
        "the current text is whole: the corrected field with the fields not corrected"
    );
    assert_eq!(
        found(&mut s, "misheard"),
        1,
        "a correction's reason is found"
    );
    assert_eq!(
        found(&mut s, "left"),
        1,
        "one hit per record, though its text and its reasons both match"
    );
    let hit = s.search("scratch", 50).unwrap().remove(0);
    assert!(hit.snippet.contains("[scratch]"), "{}", hit.snippet);
}

#[test]
fn search_reads_the_last_year_first_and_every_older_year_below_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let start = monday() - Duration::days(3 * 365);
    let clock = std::sync::Arc::new(safeguard_core::clock::ManualClock::new(start));
    let opts = || safeguard_core::StoreOptions::new(clock.clone());
    let (mut s, _key) =
        safeguard_core::create_store(&dir, &school(), DSL, &pass(DSL_PASS), opts()).unwrap();
    let p = add_pupil(&mut s, "Lena", 1);
    let mut ids = Vec::new();
    for (years_ago, n) in [(3, 3), (0, 2)] {
        clock.set(monday() - Duration::days(years_ago * 365));
        for i in 0..n {
            clock.advance(Duration::minutes(1));
            let at = monday() - Duration::days(years_ago * 365);
            ids.push(
                s.record_concern(&concern_for(
                    p,
                    at,
                    &format!("A lantern, note {years_ago}/{i}."),
                    None,
                ))
                .unwrap(),
            );
        }
    }
    drop(s);
    let unlock = || safeguard_core::unlock(&dir, Some(DSL), &pass(DSL_PASS), opts()).unwrap();
    let in_recent = || {
        let conn = safeguard_core::testing::raw_connection(&dir, DSL, &pass(DSL_PASS)).unwrap();
        conn.execute(
            "INSERT INTO search_recent(search_recent) VALUES ('integrity-check')",
            [],
        )
        .expect("the recent index is whole");
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM search_recent WHERE search_recent MATCH 'lantern'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        n
    };
    let newest_first: Vec<Id> = ids.iter().rev().copied().collect();
    let mut s = unlock();
    let hits: Vec<Id> = s
        .search("lantern", 50)
        .unwrap()
        .iter()
        .map(|h| h.record_id)
        .collect();
    assert_eq!(
        hits, newest_first,
        "all five, newest first, across both indexes"
    );
    let two: Vec<Id> = s
        .search("lant", 2)
        .unwrap()
        .iter()
        .map(|h| h.record_id)
        .collect();
    assert_eq!(two, newest_first[..2]);
    drop(s);
    assert_eq!(
        in_recent(),
        2,
        "the unlock took the older years out of the recent index"
    );

    // Two years on, the last two are old too: still found, from below the floor.
    clock.set(monday() + Duration::days(2 * 365));
    let mut s = unlock();
    let hits: Vec<Id> = s
        .search("lantern", 50)
        .unwrap()
        .iter()
        .map(|h| h.record_id)
        .collect();
    assert_eq!(hits, newest_first);
    drop(s);
    assert_eq!(in_recent(), 0);

    // Put back (a clock corrected): the floor comes down again over the rows of the last year.
    clock.set(monday());
    drop(unlock());
    assert_eq!(in_recent(), 2);
}

#[test]
fn search_keeps_only_the_last_years_rows_recent_whatever_order_they_were_written_in() {
    // The roll entered today, then years of history written after it (a seeded school; a file
    // brought in): a floor on the row order would hold every row "recent".
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let clock = std::sync::Arc::new(safeguard_core::clock::ManualClock::new(monday()));
    let opts = || safeguard_core::StoreOptions::new(clock.clone());
    let (mut s, _key) =
        safeguard_core::create_store(&dir, &school(), DSL, &pass(DSL_PASS), opts()).unwrap();
    let p = add_pupil(&mut s, "Ivo", 1);
    s.record_concern(&concern_for(p, monday(), "A kite today.", None))
        .unwrap();
    for years_ago in [4, 3, 2] {
        let at = monday() - Duration::days(years_ago * 365);
        clock.set(at);
        s.record_concern(&concern_for(
            p,
            at,
            &format!("A kite {years_ago} years ago."),
            None,
        ))
        .unwrap();
    }
    clock.set(monday());
    drop(s);
    let mut s = safeguard_core::unlock(&dir, Some(DSL), &pass(DSL_PASS), opts()).unwrap();
    assert_eq!(s.search("kite", 50).unwrap().len(), 4, "every one found");
    drop(s);
    let conn = safeguard_core::testing::raw_connection(&dir, DSL, &pass(DSL_PASS)).unwrap();
    let recent: i64 = conn
        .query_row(
            "SELECT count(*) FROM search_recent WHERE search_recent MATCH 'kite'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recent, 1, "only today's row is in the recent index");

    // Someone with the key moves the floor back behind the app: the recent index no longer
    // holds every row written since it, and verify says so; a rebuild makes it again.
    conn.execute(
        "UPDATE search_state SET recent_from = '2000-01-01T00:00:00.000Z'",
        [],
    )
    .unwrap();
    drop(conn);
    let mut s = safeguard_core::unlock(&dir, Some(DSL), &pass(DSL_PASS), opts()).unwrap();
    // The unlock finds the index short of the rows since that floor and makes it again
    // (taking out rows it never held would damage it).
    assert_eq!(s.search("kite", 50).unwrap().len(), 4);
    drop(s);
    let conn = safeguard_core::testing::raw_connection(&dir, DSL, &pass(DSL_PASS)).unwrap();
    conn.execute(
        "INSERT INTO search_recent(search_recent) VALUES ('delete-all')",
        [],
    )
    .unwrap();
    drop(conn);
    s = safeguard_core::unlock(&dir, Some(DSL), &pass(DSL_PASS), opts()).unwrap();
    let report = s.verify().unwrap();
    assert!(
        report
            .derived_problems
            .iter()
            .any(|p| p.contains("recent index holds 0 rows for the")),
        "{:?}",
        report.derived_problems
    );
    s.rebuild_derived_tables().unwrap();
    assert!(s.verify().unwrap().derived_problems.is_empty());
    assert_eq!(s.search("kite", 50).unwrap().len(), 4);
}

#[test]
fn search_fills_its_page_with_records_though_one_record_matches_many_times() {
    let (_fx, mut s) = new_store();
    let p = add_pupil(&mut s, "Noor", 1);
    let first = s
        .record_concern(&concern_for(p, monday(), "A lantern at the gate.", None))
        .unwrap();
    let second = s
        .record_concern(&concern_for(p, monday(), "A lantern in the hall.", None))
        .unwrap();
    for i in 0..8 {
        s.amend(
            RecordKind::Concern,
            second,
            "location",
            json!(format!("Hall {i}")),
            &format!("The lantern was moved ({i})."),
        )
        .unwrap();
    }
    let hits: Vec<Id> = s
        .search("lantern", 2)
        .unwrap()
        .iter()
        .map(|h| h.record_id)
        .collect();
    assert_eq!(
        hits,
        vec![second, first],
        "two records, not one found nine times"
    );
}
