//! The IPC boundary: what crosses to the webview, generated as TypeScript by ts-rs. Errors cross
//! as `{ code, message }`, with the core's closed set of codes and its content-free messages.

use safeguard_core::records::{
    Agency, BodyMark, Category, ConcernDetails, Consent, DecisionDetails, DecisionOutcome, Id,
    NewConcern, NewReferral, NewVoice, OtherChild, ReferralDetails, ReferralMethod, VoiceDetails,
};
use safeguard_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AppStatus {
    pub store_dir: String,
    pub store_exists: bool,
    /// Names on the unlock screen (from the keyring; empty when there is no store).
    pub users: Vec<String>,
    pub session: Option<SessionInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SessionInfo {
    pub user: safeguard_core::session::User,
    pub school: String,
    pub idle_lock_minutes: u32,
}

/// Holds a passphrase: no Debug, so it cannot be logged by accident; it becomes a core
/// `Passphrase` (zeroized on drop) at once.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct CreateStoreRequest {
    pub school_name: String,
    pub local_authority: String,
    pub user_name: String,
    pub passphrase: String,
}

/// Holds the recovery key on its way to the screen: no Debug.
#[derive(Serialize, TS)]
#[ts(export)]
pub struct CreatedStore {
    pub session: SessionInfo,
    /// Shown once, in groups; never stored by the app.
    pub recovery_key: String,
}

/// Holds a passphrase: no Debug.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct UnlockRequest {
    pub user_name: String,
    pub passphrase: String,
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
    type Error = IpcError;

    fn try_from(f: ConcernForm) -> Result<Self, IpcError> {
        let observed_at =
            safeguard_core::time::parse_london_local("observed at", &f.observed_at_local)?;
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

fn some_text(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

impl TryFrom<VoiceForm> for NewVoice {
    type Error = IpcError;

    fn try_from(f: VoiceForm) -> Result<Self, IpcError> {
        Ok(NewVoice {
            pupil_id: f.pupil_id,
            details: VoiceDetails {
                spoken_at: safeguard_core::time::parse_london_local(
                    "spoken at",
                    &f.spoken_at_local,
                )?,
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
    type Error = IpcError;

    fn try_from(f: ReferralForm) -> Result<Self, IpcError> {
        Ok(NewReferral {
            pupil_id: f.pupil_id,
            details: ReferralDetails {
                made_at: safeguard_core::time::parse_london_local("made at", &f.made_at_local)?,
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
    type Error = IpcError;

    fn try_from(f: DecisionForm) -> Result<Self, IpcError> {
        Ok(DecisionDetails {
            received_on: safeguard_core::time::parse_uk_date("received on", &f.received_on)?,
            outcome: f.outcome,
            decided_by: some_text(f.decided_by),
            notes: f.notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("observed at"), "{}", err.message);
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
}

/// A step of a long operation (a rekey, a backup, a restore), sent to the window as the
/// `sgd-progress` event while the command runs.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProgressEvent {
    /// What the operation is ("Changing the database key").
    pub operation: String,
    /// The step now under way ("checking the new copy").
    pub step: String,
    pub done: bool,
}

impl From<safeguard_core::store::Progress> for ProgressEvent {
    fn from(p: safeguard_core::store::Progress) -> Self {
        ProgressEvent {
            operation: p.operation().into(),
            step: p.describe().into(),
            done: matches!(
                p,
                safeguard_core::store::Progress::Done | safeguard_core::store::Progress::Failed
            ),
        }
    }
}

/// A backup restored into a new folder, which the window then opens.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct Restored {
    pub folder: String,
    /// Audit events the restored copy's chain holds, all verified.
    pub events: u32,
}
