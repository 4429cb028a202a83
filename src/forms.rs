//! The forms the window sends, and the one place typed text becomes values: dates and times as
//! typed (UK) are parsed here, blank optional text becomes "not given", and an impossible date is
//! an input error naming its field. The shell only deserialises a form and calls `try_from`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::calendar::{CalendarConfig, DateRange};
use crate::error::{Error, Result};
use crate::prompts::PromptSettings;
use crate::records::{
    Agency, BodyMark, Category, ConcernDetails, Consent, DecisionDetails, DecisionOutcome,
    EncompassChild, EncompassDetails, EscalationDetails, FollowUpDetails, Id, MemberDetails,
    NewConcern, NewEncompass, NewEscalation, NewFollowUp, NewReferral, NewVoice, OtherChild,
    PupilDetails, ReferralDetails, ReferralMethod, ResolutionProcedure, SchoolDetails,
    StageDetails, SupportType, VoiceDetails,
};
use crate::session::Settings;
use crate::time::{display_date, parse_clock_time, parse_london_local, parse_uk_date};

/// Blank optional text is "not given".
fn some_text(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// The concern form as the window sends it: the observed time is wall-clock UK time, converted
/// by the core (an impossible date is an input error, not a guess).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct ConcernForm {
    pub pupil_id: Id,
    pub reporter_name: String,
    pub reporter_role: String,
    /// `dd/mm/yyyy HH:MM` (or ISO), UK time.
    pub observed_at_local: String,
    pub location: String,
    pub categories: Vec<Category>,
    pub account: String,
    pub child_words: Option<String>,
    pub immediate_action: String,
    pub other_children: Vec<OtherChild>,
    /// Marks on the body map (front and back outlines), each with its description.
    pub body_marks: Vec<BodyMark>,
}

impl TryFrom<ConcernForm> for NewConcern {
    type Error = Error;

    fn try_from(f: ConcernForm) -> Result<Self, Error> {
        let observed_at = crate::time::parse_london_local("observed at", &f.observed_at_local)?;
        let child_words = some_text(f.child_words);
        Ok(NewConcern {
            pupil_id: f.pupil_id,
            details: ConcernDetails {
                reporter_name: f.reporter_name,
                reporter_role: f.reporter_role,
                observed_at,
                location: f.location,
                categories: f.categories,
                account: f.account,
                child_words,
                immediate_action: f.immediate_action,
                body_marks: f.body_marks,
            },
            other_children: f.other_children,
        })
    }
}

/// The child's-voice form as the window sends it (time as typed, UK).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct VoiceForm {
    pub pupil_id: Id,
    /// `dd/mm/yyyy HH:MM` (or ISO), UK time.
    pub spoken_at_local: String,
    pub words: String,
    pub wishes: Option<String>,
    pub feelings: Option<String>,
    pub non_verbal: Option<String>,
    pub who_was_present: String,
    pub context: Option<String>,
}

impl TryFrom<VoiceForm> for NewVoice {
    type Error = Error;

    fn try_from(f: VoiceForm) -> Result<Self, Error> {
        Ok(NewVoice {
            pupil_id: f.pupil_id,
            details: VoiceDetails {
                spoken_at: crate::time::parse_london_local("spoken at", &f.spoken_at_local)?,
                words: f.words,
                wishes: some_text(f.wishes),
                feelings: some_text(f.feelings),
                non_verbal: some_text(f.non_verbal),
                who_was_present: f.who_was_present,
                context: some_text(f.context),
            },
        })
    }
}

/// The referral form (time as typed, UK).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct ReferralForm {
    pub pupil_id: Id,
    /// `dd/mm/yyyy HH:MM` (or ISO), UK time.
    pub made_at_local: String,
    pub agency: Agency,
    pub agency_name: Option<String>,
    pub method: ReferralMethod,
    pub reference: Option<String>,
    pub contact_name: Option<String>,
    pub parents_aware: Option<bool>,
    pub consent: Consent,
    pub no_consent_reason: Option<String>,
    pub child_view: Option<String>,
    pub what_was_shared: String,
}

impl TryFrom<ReferralForm> for NewReferral {
    type Error = Error;

    fn try_from(f: ReferralForm) -> Result<Self, Error> {
        Ok(NewReferral {
            pupil_id: f.pupil_id,
            details: ReferralDetails {
                made_at: crate::time::parse_london_local("made at", &f.made_at_local)?,
                agency: f.agency,
                agency_name: some_text(f.agency_name),
                method: f.method,
                reference: some_text(f.reference),
                contact_name: some_text(f.contact_name),
                parents_aware: f.parents_aware,
                consent: f.consent,
                no_consent_reason: some_text(f.no_consent_reason),
                child_view: some_text(f.child_view),
                what_was_shared: f.what_was_shared,
                written_confirmation_sent_on: None,
            },
        })
    }
}

/// A referral's decision as the window sends it.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct DecisionForm {
    /// `dd/mm/yyyy`.
    pub received_on: String,
    pub outcome: DecisionOutcome,
    pub decided_by: Option<String>,
    pub notes: String,
}

impl TryFrom<DecisionForm> for DecisionDetails {
    type Error = Error;

    fn try_from(f: DecisionForm) -> Result<Self, Error> {
        Ok(DecisionDetails {
            received_on: crate::time::parse_uk_date("received on", &f.received_on)?,
            outcome: f.outcome,
            decided_by: some_text(f.decided_by),
            notes: f.notes,
        })
    }
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct FollowUpForm {
    pub pupil_id: Id,
    pub source_id: Option<Id>,
    /// Empty: the person recording it.
    pub owner_id: Option<Id>,
    /// `dd/mm/yyyy`.
    pub due_on: String,
    pub action: String,
}

impl TryFrom<FollowUpForm> for NewFollowUp {
    type Error = Error;

    fn try_from(f: FollowUpForm) -> Result<Self, Error> {
        Ok(NewFollowUp {
            pupil_id: f.pupil_id,
            source_id: f.source_id,
            owner_id: f.owner_id,
            due_on: parse_uk_date("due on", &f.due_on)?,
            details: FollowUpDetails { action: f.action },
        })
    }
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct NotificationChildForm {
    pub pupil_id: Id,
    /// `None`: the police did not say.
    pub present: Option<bool>,
    pub where_during: Option<String>,
    pub spoken_to: Option<bool>,
    pub what_they_said: Option<String>,
}

/// An Operation Encompass notification for one or more children (times as typed, UK).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct NotificationForm {
    pub received_at_local: String,
    pub police_force: String,
    pub officer: String,
    pub police_reference: String,
    pub incident_at_local: String,
    pub incident_location: String,
    pub circumstances: String,
    pub other_information: Option<String>,
    pub support: SupportType,
    pub children: Vec<NotificationChildForm>,
}

impl TryFrom<NotificationForm> for NewEncompass {
    type Error = Error;

    fn try_from(f: NotificationForm) -> Result<Self, Error> {
        Ok(NewEncompass {
            details: EncompassDetails {
                received_at: parse_london_local("received at", &f.received_at_local)?,
                police_force: f.police_force,
                officer: f.officer,
                police_reference: f.police_reference,
                incident_at: parse_london_local("incident at", &f.incident_at_local)?,
                incident_location: f.incident_location,
                circumstances: f.circumstances,
                other_information: some_text(f.other_information),
                support: f.support,
            },
            children: f
                .children
                .into_iter()
                .map(|c| EncompassChild {
                    pupil_id: c.pupil_id,
                    present: c.present,
                    where_during: some_text(c.where_during),
                    spoken_to: c.spoken_to,
                    what_they_said: some_text(c.what_they_said),
                })
                .collect(),
        })
    }
}

/// One stage of an escalation: who it is raised with, the disagreement and the evidence.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct StageForm {
    /// `dd/mm/yyyy`.
    pub raised_on: String,
    pub with_name: String,
    pub with_role: String,
    pub with_agency: String,
    pub disagreement: String,
    pub evidence: String,
}

impl TryFrom<StageForm> for StageDetails {
    type Error = Error;

    fn try_from(f: StageForm) -> Result<Self, Error> {
        Ok(StageDetails {
            stage_name: String::new(),
            raised_on: parse_uk_date("raised on", &f.raised_on)?,
            with_name: f.with_name,
            with_role: f.with_role,
            with_agency: f.with_agency,
            disagreement: f.disagreement,
            evidence: f.evidence,
        })
    }
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct EscalationForm {
    pub pupil_id: Id,
    pub referral_id: Option<Id>,
    pub agency: String,
    pub subject: String,
    pub stage: StageForm,
}

impl TryFrom<EscalationForm> for NewEscalation {
    type Error = Error;

    fn try_from(f: EscalationForm) -> Result<Self, Error> {
        Ok(NewEscalation {
            pupil_id: f.pupil_id,
            referral_id: f.referral_id,
            details: EscalationDetails {
                agency: f.agency,
                subject: f.subject,
            },
            first_stage: f.stage.try_into()?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HolidayForm {
    /// `dd/mm/yyyy`.
    pub start: String,
    pub end: String,
    pub label: String,
}

/// The settings screen: the core's `Settings` with the calendar's dates as typed.
#[derive(Debug, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingsForm {
    pub school: SchoolDetails,
    pub procedure: ResolutionProcedure,
    pub school_holidays: Vec<HolidayForm>,
    /// `dd/mm/yyyy` each.
    pub inset_days: Vec<String>,
    pub extra_bank_holidays: Vec<String>,
    /// `HH:MM`.
    pub school_day_starts: String,
    pub idle_lock_minutes: u32,
    pub referral_decision_working_days: u32,
    pub prompts: PromptSettings,
}

impl From<Settings> for SettingsForm {
    fn from(s: Settings) -> Self {
        SettingsForm {
            school: s.school,
            procedure: s.procedure,
            school_holidays: s
                .calendar
                .school_holidays
                .iter()
                .map(|h| HolidayForm {
                    start: display_date(h.start),
                    end: display_date(h.end),
                    label: h.label.clone(),
                })
                .collect(),
            inset_days: s
                .calendar
                .inset_days
                .iter()
                .map(|d| display_date(*d))
                .collect(),
            extra_bank_holidays: s
                .calendar
                .extra_bank_holidays
                .iter()
                .map(|d| display_date(*d))
                .collect(),
            school_day_starts: s.calendar.school_day_starts.format("%H:%M").to_string(),
            idle_lock_minutes: s.idle_lock_minutes,
            referral_decision_working_days: s.referral_decision_working_days,
            prompts: s.prompts,
        }
    }
}

impl TryFrom<SettingsForm> for Settings {
    type Error = Error;

    fn try_from(f: SettingsForm) -> Result<Self, Error> {
        let dates = |field: &'static str, v: &[String]| -> Result<Vec<_>> {
            v.iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_uk_date(field, s))
                .collect()
        };
        let school_holidays = f
            .school_holidays
            .iter()
            .map(|h| {
                Ok(DateRange {
                    start: parse_uk_date("holiday start", &h.start)?,
                    end: parse_uk_date("holiday end", &h.end)?,
                    label: h.label.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Settings {
            school: SchoolDetails {
                referral_email: some_text(f.school.referral_email),
                dfe_number: some_text(f.school.dfe_number),
                ..f.school
            },
            procedure: f.procedure,
            calendar: CalendarConfig {
                extra_bank_holidays: dates("extra bank holiday", &f.extra_bank_holidays)?,
                school_holidays,
                inset_days: dates("INSET day", &f.inset_days)?,
                school_day_starts: parse_clock_time("school day starts", &f.school_day_starts)?,
            },
            idle_lock_minutes: f.idle_lock_minutes,
            referral_decision_working_days: f.referral_decision_working_days,
            prompts: f.prompts,
        })
    }
}

/// A new pupil (usually from the MIS; this form is for a child not there yet).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct PupilForm {
    pub legal_first_name: String,
    pub legal_last_name: String,
    pub preferred_name: Option<String>,
    /// `dd/mm/yyyy`.
    pub date_of_birth: String,
    pub gender: String,
    pub upn: Option<String>,
    pub year_group: String,
    pub first_language: Option<String>,
    pub religion: Option<String>,
    pub ethnicity: Option<String>,
}

impl TryFrom<PupilForm> for PupilDetails {
    type Error = Error;

    fn try_from(f: PupilForm) -> Result<Self, Error> {
        let dob = parse_uk_date("date of birth", &f.date_of_birth)?;
        Ok(PupilDetails {
            preferred_name: some_text(f.preferred_name),
            gender: f.gender,
            upn: some_text(f.upn),
            first_language: some_text(f.first_language),
            religion: some_text(f.religion),
            ethnicity: some_text(f.ethnicity),
            ..PupilDetails::new(&f.legal_first_name, &f.legal_last_name, dob, &f.year_group)
        })
    }
}

/// Someone added to a child's household: a pupil here (`member_pupil_id`) or a named person.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct FamilyMemberForm {
    pub pupil_id: Id,
    pub member_pupil_id: Option<Id>,
    pub full_name: Option<String>,
    pub relationship: String,
    pub is_child: bool,
    /// `dd/mm/yyyy`, or empty.
    pub date_of_birth: Option<String>,
    pub parental_responsibility: bool,
    pub lives_in_household: bool,
    pub school_or_setting: Option<String>,
    pub known_risks: Option<String>,
    pub contact: Option<String>,
}

impl TryFrom<&FamilyMemberForm> for MemberDetails {
    type Error = Error;

    fn try_from(f: &FamilyMemberForm) -> Result<Self, Error> {
        let dob = some_text(f.date_of_birth.clone())
            .map(|d| parse_uk_date("date of birth", &d))
            .transpose()?;
        Ok(MemberDetails {
            full_name: if f.member_pupil_id.is_some() {
                None
            } else {
                some_text(f.full_name.clone())
            },
            relationship: f.relationship.clone(),
            is_child: f.is_child || f.member_pupil_id.is_some(),
            date_of_birth: dob,
            parental_responsibility: f.parental_responsibility,
            lives_in_household: f.lives_in_household,
            school_or_setting: some_text(f.school_or_setting.clone()),
            known_risks: some_text(f.known_risks.clone()),
            contact: some_text(f.contact.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn form(when: &str, words: Option<&str>) -> ConcernForm {
        ConcernForm {
            pupil_id: Id::nil(),
            reporter_name: "A".into(),
            reporter_role: "Teacher".into(),
            observed_at_local: when.into(),
            location: "Hall".into(),
            categories: vec![Category::Neglect],
            account: "Facts".into(),
            child_words: words.map(Into::into),
            immediate_action: String::new(),
            other_children: vec![],
            body_marks: vec![],
        }
    }

    #[test]
    fn an_impossible_date_is_an_input_error_naming_the_field() {
        let err = NewConcern::try_from(form("30/02/2026 09:00", None)).expect_err("refused");
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(
            err.to_string().contains("observed at"),
            "{}",
            err.to_string()
        );
    }

    #[test]
    fn uk_time_and_blank_child_words_convert() {
        let c = NewConcern::try_from(form("01/07/2026 09:30", Some("   "))).expect("valid");
        assert_eq!(
            c.details.observed_at.to_rfc3339(),
            "2026-07-01T08:30:00+00:00"
        );
        assert_eq!(c.details.child_words, None);
    }

    fn settings_form() -> SettingsForm {
        SettingsForm::from(Settings {
            school: SchoolDetails {
                name: "S".into(),
                local_authority: "LA".into(),
                dfe_number: None,
                referral_email: None,
            },
            procedure: ResolutionProcedure::default(),
            calendar: CalendarConfig::default(),
            idle_lock_minutes: 5,
            referral_decision_working_days: 1,
            prompts: PromptSettings::default(),
        })
    }

    #[test]
    fn settings_round_trip_through_the_form_with_uk_dates() {
        let mut f = settings_form();
        f.inset_days = vec!["04/01/2027".into(), "  ".into()];
        f.school_holidays.push(HolidayForm {
            start: "21/12/2026".into(),
            end: "01/01/2027".into(),
            label: "Christmas".into(),
        });
        let s = Settings::try_from(f).unwrap();
        assert_eq!(s.calendar.inset_days.len(), 1, "blank lines are ignored");
        let back = SettingsForm::from(s);
        assert_eq!(back.inset_days, vec!["04/01/2027".to_string()]);
        assert_eq!(back.school_holidays[0].end, "01/01/2027");
        assert_eq!(back.school_day_starts, "08:30");
    }

    #[test]
    fn an_impossible_date_or_time_in_settings_names_its_field() {
        let mut f = settings_form();
        f.inset_days = vec!["30/02/2027".into()];
        let e = Settings::try_from(f).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput);
        assert!(e.to_string().contains("INSET day"), "{}", e.to_string());
        let mut f = settings_form();
        f.school_day_starts = "25:00".into();
        assert!(
            Settings::try_from(f)
                .unwrap_err()
                .to_string()
                .contains("school day starts")
        );
    }

    #[test]
    fn a_notification_with_an_impossible_incident_time_is_refused() {
        let f = NotificationForm {
            received_at_local: "23/11/2026 07:30".into(),
            police_force: "P".into(),
            officer: "O".into(),
            police_reference: "R".into(),
            incident_at_local: "29/03/2026 01:30".into(), // the clocks went forward
            incident_location: "Home".into(),
            circumstances: "c".into(),
            other_information: Some(" ".into()),
            support: SupportType::Silent,
            children: vec![],
        };
        let e = NewEncompass::try_from(f).unwrap_err();
        assert!(e.to_string().contains("incident at"), "{}", e.to_string());
    }
}
