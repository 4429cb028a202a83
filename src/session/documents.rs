//! Documents from the records: the referral (shaped like a multi-agency referral form), a
//! child's or a family's chronology, escalation histories, and the whole child protection file.
//! Every text is quoted from the records (amendments applied), never paraphrased; an empty field
//! reads "Not known". Each generation is audited (who, which records; not the content).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::chronology::{ChronologyEntry, ChronologyFilter};
use super::escalations::EscalationView;
use super::pupils::PupilFile;
use super::{Session, parse_id};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{ShownField, current, shown_fields};
use crate::language::{self, LanguageFlag};
use crate::pdf::{self, Block, Frame, NOT_KNOWN, Pdf};
use crate::records::*;
use crate::time::{display_date, display_london};

/// What the DSL chose to put in a referral. Empty `record_ids` means every concern, voice entry
/// and Operation Encompass notification of the child; empty `member_ids` the whole household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralSelection {
    pub pupil_id: Id,
    pub record_ids: Vec<Id>,
    pub member_ids: Vec<Id>,
}

/// A flagged term still in a record that would go into the referral.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FlaggedInRecord {
    pub record_id: Id,
    pub record_title: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub flag: LanguageFlag,
}

const REFERRAL_KINDS: [RecordKind; 3] = [
    RecordKind::Concern,
    RecordKind::Voice,
    RecordKind::EncompassChild,
];

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "Yes".into(),
        Some(false) => "No".into(),
        None => NOT_KNOWN.into(),
    }
}

fn or_not_known(v: &Option<String>) -> String {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(NOT_KNOWN)
        .to_owned()
}

fn role_label(r: Role) -> &'static str {
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

impl Session {
    fn frame_parts(&self) -> Result<(String, String, String)> {
        let head = self.chain_head()?;
        Ok((
            display_london(self.now()),
            self.user().name.clone(),
            format!("{}:{}", head.seq, head.hash),
        ))
    }

    fn finish(
        &mut self,
        title: &str,
        action: Action,
        blocks: Vec<Block>,
        ids: &[Uuid],
    ) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let (at, by, chain) = self.frame_parts()?;
        let doc = pdf::build(
            blocks,
            &Frame {
                title,
                generated_at: &at,
                generated_by: &by,
                chain_head: &chain,
            },
        )?;
        self.audit_read(action, ids)?;
        Ok(doc)
    }

    fn child_fields(&self, f: &PupilFile, school: &SchoolDetails) -> Block {
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

    /// The child's most recent referral, as amended: its consent section.
    fn latest_referral(&self, pupil: Id) -> Result<Option<(Id, ReferralDetails)>> {
        let row: Option<(String, String)> = rusqlite::OptionalExtension::optional(self.conn().query_row(
            "SELECT id, body FROM referrals WHERE pupil_id = ?1 ORDER BY made_at DESC, seq DESC LIMIT 1",
            [pupil.to_string()],
            |r| TryFrom::try_from(r),
        ))?;
        row.map(|(id, body)| {
            let id = parse_id(&id)?;
            let d: ReferralDetails = current(&body, &self.amendments_of(id)?)?;
            Ok((id, d))
        })
        .transpose()
    }

    /// The records a referral would quote, in date order, out of the child's chronology.
    fn referral_records(all: &[ChronologyEntry], sel: &ReferralSelection) -> Vec<ChronologyEntry> {
        all.iter()
            .filter(|e| {
                if sel.record_ids.is_empty() {
                    REFERRAL_KINDS.contains(&e.kind) && e.pupil_id == sel.pupil_id
                } else {
                    sel.record_ids.contains(&e.record_id)
                }
            })
            .cloned()
            .collect()
    }

    /// Emotive, judgemental or adultifying terms still in what the referral would quote (the
    /// child's own words are never checked). The window shows these before generating.
    pub fn referral_language_flags(
        &mut self,
        sel: &ReferralSelection,
    ) -> Result<Vec<FlaggedInRecord>> {
        self.require(Role::reads_everything)?;
        let everything =
            self.document_chronology(sel.pupil_id, false, &ChronologyFilter::default())?;
        let records = Self::referral_records(&everything, sel);
        Ok(records
            .iter()
            .filter(|e| e.kind != RecordKind::Voice || !e.text.is_empty())
            .flat_map(|e| {
                language::check(&e.text)
                    .into_iter()
                    .map(|flag| FlaggedInRecord {
                        record_id: e.record_id,
                        record_title: e.title.clone(),
                        at: e.at,
                        flag,
                    })
            })
            .collect())
    }

    /// The referral: referrer, consent, child, household, the concern (with disclosures and
    /// history), the child's voice verbatim, what is going well, what the school has done, other
    /// agencies.
    pub fn referral_pdf(&mut self, sel: &ReferralSelection) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let file = self.pupil_file(sel.pupil_id)?;
        let school = self.school()?;
        let everything =
            self.document_chronology(sel.pupil_id, false, &ChronologyFilter::default())?;
        let records = Self::referral_records(&everything, sel);
        if !sel.record_ids.is_empty() && records.len() != sel.record_ids.len() {
            return Err(Error::NotFound {
                what: "record of this child",
            });
        }
        let name = file.details.display_name();
        let mut b = vec![Block::Title(format!("Referral: {name}"))];

        b.push(Block::Heading("1. Referrer".into()));
        b.push(Block::Fields(vec![
            ("Name".into(), self.user().name.clone()),
            ("Role".into(), role_label(self.user().role).into()),
            ("School".into(), school.name.clone()),
            ("Local authority".into(), school.local_authority.clone()),
            ("Phone".into(), NOT_KNOWN.into()),
            ("Secure email".into(), NOT_KNOWN.into()),
            ("Date and time".into(), display_london(self.now())),
        ]));

        b.push(Block::Heading("2. Consent".into()));
        match self.latest_referral(sel.pupil_id)? {
            Some((_, r)) => b.push(Block::Fields(vec![
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
        b.push(self.child_fields(&file, &school));

        b.push(Block::Heading("4. Household and family".into()));
        let address = file
            .household
            .first()
            .map(|m| m.household_name.clone())
            .unwrap_or_else(|| NOT_KNOWN.into());
        b.push(Block::Fields(vec![("Household".into(), address)]));
        b.push(Self::household_table(&file, &sel.member_ids));
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

        let mut ids: Vec<Uuid> = vec![sel.pupil_id];
        ids.extend(records.iter().map(|e| e.record_id));
        self.finish(
            &format!("Referral — {name}"),
            Action::DocumentReferral,
            b,
            &ids,
        )
    }

    /// A child's chronology, or with `family` the family's (siblings merged), filtered.
    pub fn chronology_pdf(
        &mut self,
        pupil: Id,
        family: bool,
        filter: &ChronologyFilter,
    ) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let file = self.pupil_file(pupil)?;
        let name = file.details.display_name();
        let entries = if family {
            self.document_chronology(pupil, true, filter)?
        } else {
            self.document_chronology(pupil, false, filter)?
        };
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
        b.push(Self::chronology_table(&entries, family));
        let mut ids = vec![pupil];
        ids.extend(entries.iter().map(|e| e.record_id));
        let action = if family {
            Action::DocumentFamilyChronology
        } else {
            Action::DocumentChronology
        };
        self.finish(&title, action, b, &ids)
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

    /// The history of one escalation, or of all of them (for the head and the partnership).
    pub fn escalations_pdf(&mut self, only: Option<Id>) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let list = match only {
            Some(id) => vec![self.escalation(id)?],
            None => self.escalations(true)?,
        };
        let procedure = self.resolution_procedure()?;
        let title = match only {
            Some(_) => format!("Escalation history: {}", list[0].pupil_name),
            None => "Escalation history: all escalations".to_owned(),
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
        for v in &list {
            Self::escalation_blocks(v, &mut b);
        }
        let ids: Vec<Uuid> = list.iter().map(|v| v.id).collect();
        self.finish(&title, Action::DocumentEscalations, b, &ids)
    }

    /// The whole child protection file (a transfer to a new school, a court), with contents.
    pub fn child_file_pdf(&mut self, pupil: Id) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let file = self.pupil_file(pupil)?;
        let school = self.school()?;
        let name = file.details.display_name();
        let entries = self.document_chronology(pupil, false, &ChronologyFilter::default())?;
        let escalations = self.escalations_for_pupil(pupil)?;
        // The whole file: every field the child's record holds, and each household member's.
        let mut body = vec![
            Block::Heading("The child".into()),
            Self::all_fields(shown_fields(&file.details)?),
        ];
        body.push(Block::Heading("Household and family".into()));
        body.push(Self::household_table(&file, &[]));
        for m in file.household.iter().filter(|m| m.pupil_id != Some(pupil)) {
            let left = if m.left {
                " (has left the household)"
            } else {
                ""
            };
            body.push(Block::Subheading(format!("{}{left}", m.name)));
            // The fields the pupil's page shows: the household's, the member's, their leaving.
            body.push(Self::all_fields(m.fields.clone()));
        }
        body.push(Block::Heading("Chronology".into()));
        body.push(Self::chronology_table(&entries, false));
        body.push(Block::Heading("The child's words".into()));
        let words: Vec<&ChronologyEntry> =
            entries.iter().filter(|e| e.child_words.is_some()).collect();
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
        for v in &escalations {
            Self::escalation_blocks(v, &mut body);
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
        let mut ids = vec![pupil];
        ids.extend(entries.iter().map(|e| e.record_id));
        self.finish(
            &format!("Child protection file — {name}"),
            Action::DocumentChildFile,
            blocks,
            &ids,
        )
    }
}

/// A document the window asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum DocumentRequest {
    Referral {
        selection: ReferralSelection,
    },
    Chronology {
        pupil_id: Id,
        family: bool,
        filter: ChronologyFilter,
    },
    Escalations {
        escalation_id: Option<Id>,
    },
    ChildFile {
        pupil_id: Id,
    },
}

/// An email draft with the referral attached, and what to call its files.
pub struct EmailDraft {
    pub eml: Vec<u8>,
    pub pages: usize,
}

impl Session {
    /// Generates the requested document.
    pub fn document(&mut self, req: &DocumentRequest) -> Result<Pdf> {
        match req {
            DocumentRequest::Referral { selection } => self.referral_pdf(selection),
            DocumentRequest::Chronology {
                pupil_id,
                family,
                filter,
            } => self.chronology_pdf(*pupil_id, *family, filter),
            DocumentRequest::Escalations { escalation_id } => self.escalations_pdf(*escalation_id),
            DocumentRequest::ChildFile { pupil_id } => self.child_file_pdf(*pupil_id),
        }
    }

    /// A sensible file name: what it is, whose, and the date (no path).
    pub fn document_file_name(&self, req: &DocumentRequest) -> Result<String> {
        self.require(Role::reads_everything)?;
        let name = |p: Id| self.pupil_summary(p).map(|s| s.name);
        let date = crate::time::london_date(self.now()).format("%Y-%m-%d");
        let what = match req {
            DocumentRequest::Referral { selection } => {
                format!("Referral - {}", name(selection.pupil_id)?)
            }
            DocumentRequest::Chronology {
                pupil_id,
                family: true,
                ..
            } => {
                format!("Family chronology - {}", name(*pupil_id)?)
            }
            DocumentRequest::Chronology { pupil_id, .. } => {
                format!("Chronology - {}", name(*pupil_id)?)
            }
            DocumentRequest::Escalations { .. } => "Escalation history".to_owned(),
            DocumentRequest::ChildFile { pupil_id } => {
                format!("Child protection file - {}", name(*pupil_id)?)
            }
        };
        let clean: String = what
            .chars()
            .map(|c| {
                if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        Ok(format!("{clean} - {date}.pdf"))
    }

    /// The referral as an email draft to the local authority's referral address (Settings).
    pub fn referral_email(&mut self, sel: &ReferralSelection) -> Result<EmailDraft> {
        let req = DocumentRequest::Referral {
            selection: sel.clone(),
        };
        let file_name = self.document_file_name(&req)?;
        let doc = self.referral_pdf(sel)?;
        let school = self.school()?;
        let child = self.pupil_summary(sel.pupil_id)?.name;
        let body = format!(
            "Please find attached a referral from {} about {child}.\n\nThe attachment is OFFICIAL-SENSITIVE. Please confirm receipt and let us know the outcome.\n\n{}\n{}\n",
            school.name,
            self.user().name,
            role_label(self.user().role),
        );
        Ok(EmailDraft {
            eml: pdf::email_draft(
                school.referral_email.as_deref().unwrap_or(""),
                &format!("OFFICIAL-SENSITIVE: Referral — {child}"),
                &body,
                &file_name,
                &doc.bytes,
            ),
            pages: doc.pages,
        })
    }
}
