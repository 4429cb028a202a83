//! Commands of the desk's tracked work and housekeeping: follow-ups, notifications, escalations
//! and the head's review, amendments, attachments, drafts, settings and users. Each converts its
//! form, calls one core function and maps the error.

use safeguard_core::fields::FieldView;
use safeguard_core::records::{
    Id, NewEncompass, NewEscalation, NewFollowUp, RecordKind, StageDetails,
};
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{
    Assignee, Draft, EscalationView, FollowUpList, Settings, UserSummary,
};
use tauri::State;

use crate::commands::{AppState, with_either, with_session};
use crate::dto::IpcResult;
use crate::forms::*;

#[tauri::command]
pub fn follow_ups(state: State<'_, AppState>) -> IpcResult<FollowUpList> {
    with_session(&state, |s| s.follow_ups())
}

#[tauri::command]
pub fn assignees(state: State<'_, AppState>) -> IpcResult<Vec<Assignee>> {
    with_session(&state, |s| s.assignees())
}

#[tauri::command]
pub fn add_follow_up(state: State<'_, AppState>, form: FollowUpForm) -> IpcResult<Id> {
    let f = NewFollowUp::try_from(form)?;
    with_session(&state, |s| s.add_follow_up(&f))
}

#[tauri::command]
pub fn complete_follow_up(state: State<'_, AppState>, id: Id, outcome: String) -> IpcResult<()> {
    with_session(&state, |s| s.complete_follow_up(id, &outcome))
}

#[tauri::command]
pub fn reassign_follow_up(state: State<'_, AppState>, id: Id, owner_id: Id) -> IpcResult<()> {
    with_session(&state, |s| s.reassign_follow_up(id, owner_id))
}

/// Records an Operation Encompass notification; the core creates each child's follow-up.
#[tauri::command]
pub fn record_notification(state: State<'_, AppState>, form: NotificationForm) -> IpcResult<Id> {
    let n = NewEncompass::try_from(form)?;
    with_session(&state, |s| s.record_encompass(&n))
}

#[tauri::command]
pub fn escalations(
    state: State<'_, AppState>,
    include_resolved: bool,
) -> IpcResult<Vec<EscalationView>> {
    with_session(&state, |s| s.escalations(include_resolved))
}

#[tauri::command]
pub fn pupil_escalations(
    state: State<'_, AppState>,
    pupil_id: Id,
) -> IpcResult<Vec<EscalationView>> {
    with_session(&state, |s| s.escalations_for_pupil(pupil_id))
}

#[tauri::command]
pub fn escalation(state: State<'_, AppState>, id: Id) -> IpcResult<EscalationView> {
    with_session(&state, |s| s.escalation(id))
}

#[tauri::command]
pub fn open_escalation(state: State<'_, AppState>, form: EscalationForm) -> IpcResult<Id> {
    let e = NewEscalation::try_from(form)?;
    with_session(&state, |s| s.open_escalation(&e))
}

#[tauri::command]
pub fn advance_escalation(state: State<'_, AppState>, id: Id, stage: StageForm) -> IpcResult<Id> {
    let st = StageDetails::try_from(stage)?;
    with_session(&state, |s| s.advance_escalation(id, &st))
}

#[tauri::command]
pub fn escalation_response(state: State<'_, AppState>, id: Id, text: String) -> IpcResult<Id> {
    with_session(&state, |s| s.record_escalation_response(id, &text))
}

#[tauri::command]
pub fn resolve_escalation(state: State<'_, AppState>, id: Id, text: String) -> IpcResult<Id> {
    with_session(&state, |s| s.resolve_escalation(id, &text))
}

#[tauri::command]
pub fn add_review_comment(state: State<'_, AppState>, id: Id, text: String) -> IpcResult<Id> {
    with_session(&state, |s| s.add_review_comment(id, &text))
}

#[tauri::command]
pub fn amendable_fields(
    state: State<'_, AppState>,
    kind: RecordKind,
    record_id: Id,
) -> IpcResult<Vec<FieldView>> {
    with_session(&state, |s| s.amendable_fields(kind, record_id))
}

#[tauri::command]
pub fn amend(
    state: State<'_, AppState>,
    kind: RecordKind,
    record_id: Id,
    field: String,
    typed: String,
    reason: String,
) -> IpcResult<Id> {
    with_session(&state, |s| {
        s.amend_typed(kind, record_id, &field, &typed, &reason)
    })
}

#[tauri::command]
pub fn save_draft(state: State<'_, AppState>, form: String, body: String) -> IpcResult<()> {
    with_either(
        &state,
        |s| s.save_draft(&form, &body),
        |s| s.save_draft(&form, &body),
    )
}

#[tauri::command]
pub fn draft(state: State<'_, AppState>, form: String) -> IpcResult<Option<Draft>> {
    with_either(&state, |s| s.draft(&form), |s| s.draft(&form))
}

#[tauri::command]
pub fn discard_draft(state: State<'_, AppState>, form: String) -> IpcResult<()> {
    with_either(
        &state,
        |s| s.discard_draft(&form),
        |s| s.discard_draft(&form),
    )
}

#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> IpcResult<SettingsForm> {
    with_session(&state, |s| s.settings().map(SettingsForm::from))
}

/// Saves the settings; returns them as stored.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, form: SettingsForm) -> IpcResult<SettingsForm> {
    let next = Settings::try_from(form)?;
    with_session(&state, |s| {
        s.save_settings(&next)?;
        s.settings().map(SettingsForm::from)
    })
}

#[tauri::command]
pub fn users(state: State<'_, AppState>) -> IpcResult<Vec<UserSummary>> {
    with_session(&state, |s| s.users())
}

/// Async: wrapping the new key slot derives a key (Argon2id), off the UI thread.
#[tauri::command]
pub async fn add_user(
    state: State<'_, AppState>,
    request: NewUserRequest,
) -> IpcResult<Vec<UserSummary>> {
    let passphrase = Passphrase::new(request.passphrase);
    with_session(&state, |s| {
        s.add_user(&request.name, request.role, &passphrase)?;
        s.users()
    })
}

/// Sets another user's passphrase (DSL): a new key slot for them.
#[tauri::command]
pub async fn set_passphrase(
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> IpcResult<Vec<UserSummary>> {
    let passphrase = Passphrase::new(passphrase);
    with_session(&state, |s| {
        s.change_passphrase(&name, &passphrase)?;
        s.users()
    })
}

/// Removes a user: their key slot goes and the data key is changed (re-encrypting the store).
#[tauri::command]
pub async fn remove_user(state: State<'_, AppState>, name: String) -> IpcResult<Vec<UserSummary>> {
    with_session(&state, |s| {
        s.remove_user(&name)?;
        s.users()
    })
}

/// Whether the window should suggest rotating the recovery key (a DSL was removed since).
#[tauri::command]
pub fn recovery_rotation_suggested(state: State<'_, AppState>) -> IpcResult<bool> {
    with_session(&state, |s| s.recovery_rotation_suggested())
}

/// A new recovery key (DSL): the database moves to a new key; the key is shown once.
#[tauri::command]
pub async fn rotate_recovery_key(state: State<'_, AppState>) -> IpcResult<String> {
    with_session(&state, |s| {
        s.rotate_recovery_key()
            .map(|k| k.expose_grouped().to_string())
    })
}

#[tauri::command]
pub fn add_pupil(state: State<'_, AppState>, form: PupilForm) -> IpcResult<Id> {
    let details = safeguard_core::records::PupilDetails::try_from(form)?;
    with_session(&state, |s| s.add_pupil(&details))
}

/// Adds a sibling or another person to the child's household (created the first time).
#[tauri::command]
pub fn add_family_member(state: State<'_, AppState>, form: FamilyMemberForm) -> IpcResult<Id> {
    let details = safeguard_core::records::MemberDetails::try_from(&form)?;
    with_session(&state, |s| {
        s.add_family_member(form.pupil_id, form.member_pupil_id, &details)
    })
}

#[tauri::command]
pub fn document_file_name(
    state: State<'_, AppState>,
    request: safeguard_core::session::DocumentRequest,
) -> IpcResult<String> {
    with_session(&state, |s| s.document_file_name(&request))
}

/// Flagged terms still in what a referral would quote (shown before generating).
#[tauri::command]
pub fn referral_flags(
    state: State<'_, AppState>,
    selection: safeguard_core::session::ReferralSelection,
) -> IpcResult<Vec<safeguard_core::session::FlaggedInRecord>> {
    with_session(&state, |s| s.referral_language_flags(&selection))
}
