//! Documents from the records: what each one is made from is loaded here (amendments applied),
//! the role checked, the blocks made by the pure builders in `crate::documents`, and the PDF
//! framed with who made it, when and the audit chain's head. Each generation is audited (who,
//! which records; not the content).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::chronology::{ChronologyEntry, ChronologyFilter};
use super::{Session, parse_id};
use crate::audit::Action;
use crate::documents::{self, role_label};
use crate::error::{Error, Result};
use crate::kinds::current;
use crate::language::{self, LanguageFlag};
use crate::pdf::{self, Block, Frame, Pdf};
use crate::records::*;
use crate::time::display_london;

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
        let latest = self.latest_referral(sel.pupil_id)?.map(|(_, r)| r);
        let name = file.details.display_name();
        let b = documents::referral(&documents::ReferralData {
            referrer: self.user().name.clone(),
            referrer_role: self.user().role,
            at: self.now(),
            school: &school,
            file: &file,
            everything: &everything,
            records: &records,
            latest_referral: latest.as_ref(),
            member_ids: &sel.member_ids,
        });
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
        let entries = self.document_chronology(pupil, family, filter)?;
        let (title, b) = documents::chronology(&file, &entries, family);
        let mut ids = vec![pupil];
        ids.extend(entries.iter().map(|e| e.record_id));
        let action = if family {
            Action::DocumentFamilyChronology
        } else {
            Action::DocumentChronology
        };
        self.finish(&title, action, b, &ids)
    }

    /// The history of one escalation, or of all of them (for the head and the partnership).
    pub fn escalations_pdf(&mut self, only: Option<Id>) -> Result<Pdf> {
        self.require(Role::reads_everything)?;
        let list = match only {
            Some(id) => vec![self.escalation(id)?],
            None => self.escalations(true)?,
        };
        let procedure = self.resolution_procedure()?;
        let (title, b) = documents::escalations(&list, &procedure, only.is_some());
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
        let blocks = documents::child_file(&file, &school, &entries, &escalations)?;
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
