//! Documents as pure builders: the referral (shaped like a multi-agency referral form), a
//! child's or a family's chronology, escalation histories and the whole child protection file,
//! each made as PDF blocks from data already loaded (`session::documents` loads it, checks the
//! role and audits the generation). Every text is quoted from the records (amendments applied),
//! never paraphrased; an empty field reads "Not known".

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::kinds::{ShownField, shown_fields};
use crate::pdf::{self, Block, NOT_KNOWN};
use crate::records::*;
use crate::session::{ChronologyEntry, EscalationView, PupilFile};
use crate::time::{display_date, display_london};

/// What a referral is made from.
pub(crate) struct ReferralData<'a> {
    /// Who makes it, in what role, and when.
    pub referrer: String,
    pub referrer_role: Role,
    pub at: DateTime<Utc>,
    pub school: &'a SchoolDetails,
    pub file: &'a PupilFile,
    /// The child's whole chronology (the history, what the school did, other agencies).
    pub everything: &'a [ChronologyEntry],
    /// The records the referral quotes.
    pub records: &'a [ChronologyEntry],
    /// The child's latest referral, as amended: its consent section.
    pub latest_referral: Option<&'a ReferralDetails>,
    /// The household members to list (empty: all of them).
    pub member_ids: &'a [Id],
}

/// The referral: referrer, consent, child, household, the concern (with disclosures and
/// history), the child's voice verbatim, what is going well, what the school has done, other
/// agencies.
pub(crate) fn referral(d: &ReferralData<'_>) -> Vec<Block> {
    let (file, records, everything, school) = (d.file, d.records, d.everything, d.school);
    let name = file.details.display_name();
    let mut b = vec![Block::Title(format!("Referral: {name}"))];

    b.push(Block::Heading("1. Referrer".into()));
    b.push(Block::Fields(vec![
        ("Name".into(), d.referrer.clone()),
        ("Role".into(), role_label(d.referrer_role).into()),
        ("School".into(), school.name.clone()),
        ("Local authority".into(), school.local_authority.clone()),
        ("Phone".into(), NOT_KNOWN.into()),
        ("Secure email".into(), NOT_KNOWN.into()),
        ("Date and time".into(), display_london(d.at)),
    ]));

    b.push(Block::Heading("2. Consent".into()));
    match d.latest_referral {
        Some(r) => b.push(Block::Fields(vec![
            (
                "Parents aware of the referral".into(),
                yes_no(r.parents_aware),
            ),
            (
                "Consent".into(),
                match r.consent {
                    Consent::Given => "Given",
                    Consent::Refused => "Refused",
                    Consent::NotSought => "Not sought",
                }
                .into(),
            ),
            ("If not, why".into(), or_not_known(&r.no_consent_reason)),
            (
                "The child's view of the referral".into(),
                or_not_known(&r.child_view),
            ),
        ])),
        None => b.push(Block::Fields(vec![
            ("Parents aware of the referral".into(), NOT_KNOWN.into()),
            ("Consent".into(), NOT_KNOWN.into()),
            ("If not, why".into(), NOT_KNOWN.into()),
            ("The child's view of the referral".into(), NOT_KNOWN.into()),
        ])),
    }

    b.push(Block::Heading("3. The child".into()));
    b.push(child_fields(file, d.school));

    b.push(Block::Heading("4. Household and family".into()));
    let address = file
        .household
        .first()
        .map(|m| m.household_name.clone())
        .unwrap_or_else(|| NOT_KNOWN.into());
    b.push(Block::Fields(vec![("Household".into(), address)]));
    b.push(household_table(file, d.member_ids));
    b.push(Block::Note("PR: parental responsibility.".into()));

    b.push(Block::Heading("5. The concern".into()));
    b.push(Block::Subheading("What has happened".into()));
    let concerns: Vec<&ChronologyEntry> = records
        .iter()
        .filter(|e| e.kind != RecordKind::Voice)
        .collect();
    if concerns.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    }
    for e in &concerns {
        b.push(Block::Subheading(entry_heading(e)));
        b.push(Block::Paragraph(e.details_text()));
    }
    b.push(Block::Subheading("Impact on the child".into()));
    b.push(Block::Paragraph(NOT_KNOWN.into()));
    b.push(Block::Subheading(
        "Disclosures: who said what, and when".into(),
    ));
    let disclosures: Vec<&ChronologyEntry> = concerns
        .iter()
        .copied()
        .filter(|e| e.child_words.is_some())
        .collect();
    if disclosures.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    }
    for e in disclosures {
        b.push(Block::Quote {
            label: format!(
                "{name}, {}, as recorded by {}:",
                display_london(e.at),
                e.author
            ),
            text: e.child_words.clone().unwrap_or_default(),
        });
    }
    b.push(Block::Subheading("History".into()));
    let history: Vec<Vec<String>> = everything
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                RecordKind::Referral
                    | RecordKind::Decision
                    | RecordKind::Escalation
                    | RecordKind::EscalationEvent
            ) || (e.kind == RecordKind::Concern
                && !records.iter().any(|r| r.record_id == e.record_id))
        })
        .map(|e| vec![display_london(e.at), e.title.clone()])
        .collect();
    if history.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    } else {
        b.push(Block::Table {
            headers: vec!["When".into(), "What".into()],
            widths: vec![1.0, 4.0],
            rows: history,
        });
    }

    b.push(Block::Heading("6. The child's voice".into()));
    let voices: Vec<&ChronologyEntry> = records
        .iter()
        .filter(|e| e.kind == RecordKind::Voice)
        .collect();
    if voices.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    }
    for e in voices {
        b.push(Block::Quote {
            label: format!(
                "{name}, {}, recorded by {}:",
                display_london(e.at),
                e.author
            ),
            text: e.child_words.clone().unwrap_or_default(),
        });
        b.push(Block::Paragraph(e.details_text()));
    }

    b.push(Block::Heading("7. What is going well".into()));
    b.push(Block::Paragraph(NOT_KNOWN.into()));

    b.push(Block::Heading(
        "8. What the school has done, and with what result".into(),
    ));
    let done: Vec<Vec<String>> = everything
        .iter()
        .filter(|e| e.kind == RecordKind::FollowUp)
        .map(|e| vec![display_london(e.at), e.details_text()])
        .collect();
    if done.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    } else {
        b.push(Block::Table {
            headers: vec!["When".into(), "Action and outcome".into()],
            widths: vec![1.0, 4.0],
            rows: done,
        });
    }

    b.push(Block::Heading("9. Other agencies involved".into()));
    let agencies: Vec<Vec<String>> = everything
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                RecordKind::Referral | RecordKind::Decision | RecordKind::EncompassChild
            )
        })
        .map(|e| vec![display_london(e.at), e.title.clone(), e.details_text()])
        .collect();
    if agencies.is_empty() {
        b.push(Block::Paragraph(NOT_KNOWN.into()));
    } else {
        b.push(Block::Table {
            headers: vec!["When".into(), "Agency and record".into(), "Detail".into()],
            widths: vec![1.0, 1.6, 3.0],
            rows: agencies,
        });
    }
    b
}

/// A child's chronology, or with `family` the family's (siblings merged): its title and blocks.
pub(crate) fn chronology(
    file: &PupilFile,
    entries: &[ChronologyEntry],
    family: bool,
) -> (String, Vec<Block>) {
    let name = file.details.display_name();
    let title = if family {
        format!("Family chronology: {name} and siblings")
    } else {
        format!("Chronology: {name}")
    };
    let mut b = vec![Block::Title(title.clone())];
    b.push(Block::Fields(vec![
        (
            "Child".into(),
            format!("{name}, born {}", display_date(file.details.date_of_birth)),
        ),
        (
            "Siblings included".into(),
            if family {
                let s: Vec<String> = file.siblings.iter().map(|s| s.name.clone()).collect();
                if s.is_empty() {
                    "None recorded".into()
                } else {
                    s.join(", ")
                }
            } else {
                "No (this child only)".into()
            },
        ),
        ("Entries".into(), entries.len().to_string()),
    ]));
    b.push(Block::Heading("Chronology".into()));
    b.push(chronology_table(entries, family));
    (title, b)
}

/// The history of one escalation (`one`), or of all of them, under the local procedure: its
/// title and blocks.
pub(crate) fn escalations(
    list: &[EscalationView],
    procedure: &ResolutionProcedure,
    one: bool,
) -> (String, Vec<Block>) {
    let title = match (one, list.first()) {
        (true, Some(v)) => format!("Escalation history: {}", v.pupil_name),
        _ => "Escalation history: all escalations".to_owned(),
    };
    let mut b = vec![Block::Title(title.clone())];
    b.push(Block::Note(format!(
        "{} resolution procedure: {}.",
        procedure.partnership,
        procedure
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| format!(
                "stage {} {} ({} working days)",
                i + 1,
                s.name,
                s.working_days
            ))
            .collect::<Vec<_>>()
            .join("; ")
    )));
    if list.is_empty() {
        b.push(Block::Paragraph("No escalations recorded.".into()));
    }
    for v in list {
        escalation_blocks(v, &mut b);
    }
    (title, b)
}

/// The whole child protection file (a transfer to a new school, a court), with contents.
pub(crate) fn child_file(
    file: &PupilFile,
    school: &SchoolDetails,
    entries: &[ChronologyEntry],
    escalations: &[EscalationView],
) -> Result<Vec<Block>> {
    let name = file.details.display_name();
    let pupil = file.id;
    // The whole file: every field the child's record holds, and each household member's.
    let mut body = vec![
        Block::Heading("The child".into()),
        all_fields(shown_fields(&file.details)?),
    ];
    body.push(Block::Heading("Household and family".into()));
    body.push(household_table(file, &[]));
    for m in file.household.iter().filter(|m| m.pupil_id != Some(pupil)) {
        let left = if m.left {
            " (has left the household)"
        } else {
            ""
        };
        body.push(Block::Subheading(format!("{}{left}", m.name)));
        // The fields the pupil's page shows: the household's, the member's, their leaving.
        body.push(all_fields(m.fields.clone()));
    }
    body.push(Block::Heading("Chronology".into()));
    body.push(chronology_table(entries, false));
    body.push(Block::Heading("The child's words".into()));
    let words: Vec<&ChronologyEntry> = entries.iter().filter(|e| e.child_words.is_some()).collect();
    if words.is_empty() {
        body.push(Block::Paragraph("None recorded.".into()));
    }
    for e in words {
        body.push(Block::Quote {
            label: format!("{}, {} ({}):", display_london(e.at), e.title, e.author),
            text: e.child_words.clone().unwrap_or_default(),
        });
    }
    body.push(Block::Heading("Escalations".into()));
    if escalations.is_empty() {
        body.push(Block::Paragraph("None.".into()));
    }
    for v in escalations {
        escalation_blocks(v, &mut body);
    }
    // Contents: where each section heading lands, after the contents page(s) themselves.
    let titles: Vec<String> = body
        .iter()
        .filter_map(|b| match b {
            Block::Heading(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let front = |pages: &[usize], offset: usize| {
        vec![
            Block::Title(format!("Child protection file: {name}")),
            Block::Fields(vec![
                ("School".into(), school.name.clone()),
                (
                    "Date of birth".into(),
                    display_date(file.details.date_of_birth),
                ),
                ("UPN".into(), or_not_known(&file.details.upn)),
            ]),
            Block::Subheading("Contents".into()),
            Block::Table {
                headers: vec!["Section".into(), "Page".into()],
                widths: vec![5.0, 1.0],
                rows: titles
                    .iter()
                    .zip(pages.iter().chain(std::iter::repeat(&0)))
                    .map(|(t, p)| vec![t.clone(), (p + offset).to_string()])
                    .collect(),
            },
            Block::PageBreak,
        ]
    };
    let front_pages = pdf::page_count(&front(&[], 0))?;
    let body_pages = pdf::heading_pages(&body)?;
    let mut blocks = front(&body_pages, front_pages);
    blocks.extend(body);
    Ok(blocks)
}

fn yes_no(v: Option<bool>) -> String {
    crate::vocabulary::yes_no_unknown(v).into()
}

fn or_not_known(v: &Option<String>) -> String {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(NOT_KNOWN)
        .to_owned()
}

pub(crate) fn role_label(r: Role) -> &'static str {
    match r {
        Role::Dsl => "Designated Safeguarding Lead",
        Role::Deputy => "Deputy Designated Safeguarding Lead",
        Role::Head => "Headteacher",
        Role::Staff => "Member of staff",
    }
}

fn entry_heading(e: &ChronologyEntry) -> String {
    format!(
        "{} — {} (recorded by {})",
        display_london(e.at),
        e.title,
        e.author
    )
}

fn child_fields(f: &PupilFile, school: &SchoolDetails) -> Block {
    let d = &f.details;
    let other_names = match &d.preferred_name {
        Some(p) if !p.trim().is_empty() => format!("Known as {p}"),
        _ => NOT_KNOWN.into(),
    };
    let status = match d.protection_status {
        ProtectionStatus::None => "None known",
        ProtectionStatus::EarlyHelp => "Early help",
        ProtectionStatus::ChildInNeed => "Child in need plan",
        ProtectionStatus::ChildProtectionPlan => "Child protection plan",
    };
    Block::Fields(vec![
        (
            "Legal name".into(),
            format!("{} {}", d.legal_first_name, d.legal_last_name),
        ),
        ("Other names".into(), other_names),
        ("Date of birth".into(), display_date(d.date_of_birth)),
        ("Gender".into(), d.gender.clone()),
        ("Ethnicity".into(), or_not_known(&d.ethnicity)),
        ("Religion or faith".into(), or_not_known(&d.religion)),
        (
            "First language / interpreter".into(),
            format!(
                "{}{}",
                or_not_known(&d.first_language),
                if d.interpreter_needed {
                    " — interpreter needed"
                } else {
                    ""
                }
            ),
        ),
        ("Address".into(), or_not_known(&d.address)),
        (
            "School".into(),
            format!(
                "{} ({}, {})",
                school.name, d.year_group, school.local_authority
            ),
        ),
        ("UPN".into(), or_not_known(&d.upn)),
        ("NHS number".into(), or_not_known(&d.nhs_number)),
        ("GP".into(), or_not_known(&d.gp)),
        ("SEN or disability".into(), or_not_known(&d.sen_disability)),
        (
            "Status".into(),
            format!(
                "{status}{}{}",
                if d.looked_after { "; looked after" } else { "" },
                if d.young_carer { "; young carer" } else { "" }
            ),
        ),
        (
            "Identity, culture and faith".into(),
            or_not_known(&d.identity_notes),
        ),
    ])
}

fn all_fields(fields: Vec<ShownField>) -> Block {
    Block::Fields(fields.into_iter().map(|f| (f.label, f.value)).collect())
}

fn household_table(f: &PupilFile, member_ids: &[Id]) -> Block {
    let rows = f
        .household
        .iter()
        .filter(|m| !m.left)
        .filter(|m| member_ids.is_empty() || member_ids.contains(&m.id))
        .filter(|m| m.pupil_id != Some(f.id))
        .map(|m| {
            vec![
                m.name.clone(),
                m.details.relationship.clone(),
                m.details
                    .date_of_birth
                    .map(display_date)
                    .unwrap_or_default(),
                if m.details.parental_responsibility {
                    "Yes"
                } else {
                    "No"
                }
                .into(),
                if m.details.lives_in_household {
                    "Yes"
                } else {
                    "No"
                }
                .into(),
                or_not_known(&m.details.school_or_setting),
                or_not_known(&m.details.known_risks),
            ]
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        return Block::Paragraph(NOT_KNOWN.into());
    }
    Block::Table {
        headers: [
            "Name",
            "Relationship",
            "Born",
            "PR",
            "Lives here",
            "School or setting",
            "Known risks",
        ]
        .map(String::from)
        .to_vec(),
        widths: vec![1.9, 1.3, 1.1, 0.5, 0.8, 1.3, 1.9],
        rows,
    }
}

fn chronology_table(entries: &[ChronologyEntry], family: bool) -> Block {
    let rows = entries
        .iter()
        .map(|e| {
            let mut text = format!("{}\n{}", e.title, e.details_text());
            if let Some(w) = &e.child_words {
                text.push_str(&format!("\nIn the child's words: “{w}”"));
            }
            for a in &e.amendments {
                text.push_str(&format!(
                    "\nAmended {} by {}: {} (reason: {})",
                    display_london(a.at),
                    a.by,
                    a.field,
                    a.reason
                ));
            }
            let mut row = vec![display_london(e.at)];
            if family {
                row.push(e.pupil_name.clone());
            }
            row.push(text);
            row.push(e.author.clone());
            row
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        return Block::Paragraph("Nothing recorded.".into());
    }
    let (headers, widths) = if family {
        (
            vec!["When", "Child", "Entry", "Recorded by"],
            vec![1.0, 1.0, 4.0, 1.1],
        )
    } else {
        (vec!["When", "Entry", "Recorded by"], vec![1.0, 5.0, 1.1])
    };
    Block::Table {
        headers: headers.into_iter().map(String::from).collect(),
        widths,
        rows,
    }
}

fn escalation_blocks(v: &EscalationView, b: &mut Vec<Block>) {
    b.push(Block::Heading(format!("{} — {}", v.pupil_name, v.subject)));
    b.push(Block::Fields(vec![
        ("Child".into(), v.pupil_name.clone()),
        ("Agency".into(), v.agency.clone()),
        (
            "Opened".into(),
            format!("{} by {}", display_london(v.opened_at), v.opened_by),
        ),
        (
            "Status".into(),
            match &v.resolution {
                Some(r) => format!("Resolved {} by {}", display_london(r.at), r.by),
                None => format!("Open at stage {}", v.stages.len()),
            },
        ),
    ]));
    let rows = v
        .stages
        .iter()
        .map(|s| {
            let timeliness = match s.on_time {
                None => format!("Waiting ({} working days so far)", s.working_days_taken),
                Some(true) => format!("In time ({} working days)", s.working_days_taken),
                Some(false) => format!("Late ({} working days)", s.working_days_taken),
            };
            vec![
                format!("{}. {}", s.stage_no, s.stage_name),
                display_date(s.raised_on),
                format!("{} ({}, {})", s.with_name, s.with_role, s.with_agency),
                display_date(s.due_on),
                s.responses
                    .iter()
                    .map(|r| format!("{}: {}", display_london(r.at), r.text))
                    .collect::<Vec<_>>()
                    .join("\n"),
                timeliness,
            ]
        })
        .collect();
    b.push(Block::Table {
        headers: ["Stage", "Raised", "With", "Due", "Response", "Timeliness"]
            .map(String::from)
            .to_vec(),
        widths: vec![1.3, 1.1, 1.5, 1.1, 2.3, 1.2],
        rows,
    });
    for s in &v.stages {
        b.push(Block::Subheading(format!(
            "Stage {}: the disagreement and the evidence",
            s.stage_no
        )));
        b.push(Block::Fields(vec![
            ("Disagreement".into(), s.disagreement.clone()),
            ("Evidence".into(), s.evidence.clone()),
            ("Recorded by".into(), s.recorded_by.clone()),
        ]));
    }
    b.push(Block::Subheading("Outcome".into()));
    b.push(Block::Paragraph(v.resolution.as_ref().map_or_else(
        || "Not yet resolved.".into(),
        |r| r.text.clone(),
    )));
    b.push(Block::Subheading("Review comments".into()));
    if v.review_comments.is_empty() {
        b.push(Block::Paragraph("None.".into()));
    }
    for c in &v.review_comments {
        b.push(Block::Paragraph(format!(
            "{} ({}): {}",
            c.by,
            display_london(c.at),
            c.text
        )));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use uuid::Uuid;

    use super::*;

    fn school() -> SchoolDetails {
        SchoolDetails {
            name: "Hollybank Primary".into(),
            local_authority: "Northshire".into(),
            dfe_number: None,
            referral_email: None,
        }
    }

    fn file(name: &str) -> PupilFile {
        PupilFile {
            id: Uuid::now_v7(),
            details: PupilDetails::new(
                name,
                "Brennan",
                NaiveDate::from_ymd_opt(2017, 3, 4).unwrap(),
                "Year 3",
            ),
            fields: vec![],
            created_at: Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).unwrap(),
            amendments: vec![],
            household: vec![],
            siblings: vec![],
        }
    }

    fn entry(pupil: &str, kind: RecordKind, text: &str, words: Option<&str>) -> ChronologyEntry {
        ChronologyEntry {
            at: Utc.with_ymd_and_hms(2026, 11, 3, 10, 15, 0).unwrap(),
            kind,
            record_id: Uuid::now_v7(),
            pupil_id: Uuid::now_v7(),
            pupil_name: pupil.into(),
            title: "Concern".into(),
            text: text.into(),
            child_words: words.map(String::from),
            categories: vec![],
            fields: vec![],
            status: None,
            author: "Tom Okafor".into(),
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 3, 10, 30, 0).unwrap(),
            amendments: vec![],
            attachments: vec![],
            may_amend: false,
            may_attach: false,
        }
    }

    /// The text of every block, in order, to look for what a reader would see.
    fn texts(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .flat_map(|b| match b {
                Block::Title(t)
                | Block::Heading(t)
                | Block::Subheading(t)
                | Block::Paragraph(t)
                | Block::Note(t) => vec![t.clone()],
                Block::Fields(f) => f.iter().map(|(l, v)| format!("{l}: {v}")).collect(),
                Block::Quote { label, text } => vec![format!("{label}: {text}")],
                Block::Table { headers, rows, .. } => std::iter::once(headers.join("|"))
                    .chain(rows.iter().map(|r| r.join("|")))
                    .collect(),
                Block::PageBreak => vec![],
            })
            .collect()
    }

    fn after<'a>(t: &'a [String], heading: &str) -> &'a str {
        let i = t
            .iter()
            .position(|x| x == heading)
            .unwrap_or_else(|| panic!("no {heading}"));
        &t[i + 1]
    }

    #[test]
    fn a_referral_with_nothing_recorded_says_not_known_rather_than_leaving_gaps() {
        let (f, sc) = (file("Liam"), school());
        let b = referral(&ReferralData {
            referrer: "Rachel Adeyemi".into(),
            referrer_role: Role::Dsl,
            at: Utc.with_ymd_and_hms(2026, 11, 4, 9, 0, 0).unwrap(),
            school: &sc,
            file: &f,
            everything: &[],
            records: &[],
            latest_referral: None,
            member_ids: &[],
        });
        let t = texts(&b);
        assert_eq!(t[0], "Referral: Liam Brennan");
        assert!(t.contains(&"School: Hollybank Primary".to_owned()));
        assert!(t.contains(&"Consent: Not known".to_owned()), "{t:?}");
        assert_eq!(after(&t, "What has happened"), NOT_KNOWN);
        assert_eq!(after(&t, "Disclosures: who said what, and when"), NOT_KNOWN);
    }

    #[test]
    fn a_referral_quotes_the_childs_words_verbatim_and_keeps_voice_out_of_what_happened() {
        let (f, sc) = (file("Liam"), school());
        let told = entry(
            "Liam Brennan",
            RecordKind::Concern,
            "Bruise on arm",
            Some("Dad got cross"),
        );
        let voice = entry(
            "Liam Brennan",
            RecordKind::Voice,
            "",
            Some("I like Mrs Hall"),
        );
        let records = [told.clone(), voice];
        let b = referral(&ReferralData {
            referrer: "Rachel Adeyemi".into(),
            referrer_role: Role::Dsl,
            at: Utc.with_ymd_and_hms(2026, 11, 4, 9, 0, 0).unwrap(),
            school: &sc,
            file: &f,
            everything: &records,
            records: &records,
            latest_referral: None,
            member_ids: &[],
        });
        let t = texts(&b);
        let quotes: Vec<&String> = t
            .iter()
            .filter(|x| x.ends_with("Dad got cross") || x.ends_with("I like Mrs Hall"))
            .collect();
        assert_eq!(
            quotes.len(),
            2,
            "both the disclosure and the voice entry quoted: {t:?}"
        );
        let happened = t.iter().position(|x| x == "What has happened").unwrap();
        let impact = t.iter().position(|x| x == "Impact on the child").unwrap();
        assert!(
            t[happened..impact].iter().any(|x| x == "Bruise on arm")
                && !t[happened..impact].iter().any(|x| x.contains("Mrs Hall")),
            "{t:?}"
        );
    }

    #[test]
    fn a_family_chronology_names_the_child_of_each_entry_and_a_childs_own_does_not() {
        let f = file("Liam");
        let entries = [
            entry("Liam Brennan", RecordKind::Concern, "Late again", None),
            entry("Ava Brennan", RecordKind::Concern, "Hungry at lunch", None),
        ];
        let (title, b) = chronology(&f, &entries, true);
        assert_eq!(title, "Family chronology: Liam Brennan and siblings");
        let t = texts(&b);
        assert!(
            t.contains(&"When|Child|Entry|Recorded by".to_owned()),
            "{t:?}"
        );
        assert!(
            t.iter()
                .any(|r| r.ends_with("|Ava Brennan|Concern\nHungry at lunch|Tom Okafor")),
            "{t:?}"
        );
        let (_, own) = chronology(&f, &entries[..1], false);
        let t = texts(&own);
        assert!(t.contains(&"When|Entry|Recorded by".to_owned()), "{t:?}");
        assert!(t.contains(&"Siblings included: No (this child only)".to_owned()));
        let (_, none) = chronology(&f, &[], false);
        assert!(texts(&none).contains(&"Nothing recorded.".to_owned()));
    }

    #[test]
    fn an_empty_escalation_history_says_so_and_names_the_procedure() {
        let procedure = ResolutionProcedure::default();
        let (title, b) = escalations(&[], &procedure, true);
        assert_eq!(title, "Escalation history: all escalations");
        let t = texts(&b);
        assert!(t.contains(&"No escalations recorded.".to_owned()));
        assert!(
            t.iter()
                .any(|x| x.contains("resolution procedure: stage 1")),
            "{t:?}"
        );
    }
}
