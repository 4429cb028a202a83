//! Every command the window can call, declared once (see `ipc_macro`): each converts its form
//! with the core's `try_from`, calls the core and maps the error. No SQL, crypto or business
//! rule here. The TypeScript client is generated from this list.

use safeguard_core::Error;
use safeguard_core::fields::FieldView;
use safeguard_core::forms::*;
use safeguard_core::language::LanguageFlag;
use safeguard_core::prompts::Prompt;
use safeguard_core::records::{
    DecisionDetails, EncompassChild, Id, MemberDetails, NewConcern, NewEncompass, NewEscalation,
    NewFollowUp, NewReferral, NewVoice, PupilDetails, RecordKind, StageDetails,
};
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{
    Assignee, ChronologyFilter, ChronologyPage, Dashboard, DocumentRequest, Draft, EscalationPage,
    EscalationQuery, EscalationView, FlaggedInRecord, FollowUpList, InboxReport, OwnConcern,
    PromptPage, PromptQuery, PupilFile, PupilPage, PupilQuery, PupilSummary, ReferralSelection,
    SearchHit, Settings, UserSummary,
};
use safeguard_core::vocabulary::Vocabulary;

use crate::commands::{self, with_either, with_session};
use crate::dialogs::{self, PickedFile};
use crate::dto::*;
use crate::ipc_macro::commands;

commands! {
    /// Where the store is, whether it exists, who may unlock it, and the open session.
    fn app_status[state]() -> AppStatus { commands::app_status_of(&state) }

    /// The labels and choices the core defines (categories, record kinds, roles, statuses).
    fn vocabulary[]() -> Vocabulary { Ok(Vocabulary::get()) }

    async fn choose_store_dir[window, state]() -> AppStatus { dialogs::choose_store_dir(window, state) }

    /// Async so the key derivation runs off the window's thread.
    async fn create_store[app, state](request: CreateStoreRequest) -> CreatedStore {
        commands::create_store(app, state, request)
    }

    /// Async so the key derivation runs off the window's thread and the window can show progress.
    async fn unlock[app, state](request: UnlockRequest) -> SessionInfo { commands::unlock(app, state, request) }

    /// Drops the session and with it the data key.
    fn lock[state]() -> () { state.lock_now().map(|_| ()) }

    /// The person did something in the window (reported at most every few seconds).
    fn activity[state]() -> () { state.activity() }

    /// What filing the staff inbox did when this DSL or deputy unlocked.
    fn inbox_report[state]() -> InboxReport { with_session(&state, |s| s.inbox_report()) }

    /// A member of staff's own concerns, newest first (waiting, or filed by the team).
    fn my_concerns[state]() -> Vec<OwnConcern> {
        with_either(&state, |_| Err(Error::Forbidden), |s| s.my_concerns())
    }

    fn dashboard[state]() -> Dashboard { with_session(&state, |s| s.dashboard()) }

    /// The open practice prompts, in Today's order.
    fn prompts[state]() -> Vec<Prompt> { with_session(&state, |s| s.prompts()) }

    /// Today's prompts: a page, ranked by urgency, with counts by rule, filtered by rule and year.
    fn prompt_page[state](query: PromptQuery) -> PromptPage { with_session(&state, |s| s.prompt_page(&query)) }

    /// Dismisses a prompt with a reason; returns the prompts still open.
    fn dismiss_prompt[state](key: String, reason: String) -> Vec<Prompt> {
        with_session(&state, |s| s.dismiss_prompt(&key, &reason))
    }

    fn list_pupils[state](query: PupilQuery) -> PupilPage {
        with_either(&state, |s| s.list_pupils(&query), |s| s.list_pupils(&query))
    }

    fn pupil_summary[state](pupil_id: Id) -> PupilSummary {
        with_either(&state, |s| s.pupil_summary(pupil_id), |s| s.pupil_summary(pupil_id))
    }

    fn pupil_file[state](pupil_id: Id) -> PupilFile { with_session(&state, |s| s.pupil_file(pupil_id)) }

    /// The newest `newest` entries of a child's chronology, or with `family` the family's
    /// (siblings merged), that match, and how many older ones do; with no `newest`, all of
    /// them. Staff see only what they wrote, about this child.
    fn chronology[state](pupil_id: Id, family: bool, filter: ChronologyFilter, newest: Option<u32>) -> ChronologyPage {
        let newest = newest.map_or(usize::MAX, |n| n as usize);
        with_either(
            &state,
            |s| s.chronology_page(pupil_id, family, &filter, newest),
            |s| s.chronology(pupil_id).map(|entries| ChronologyPage { entries, earlier: 0 }),
        )
    }

    fn pupil_prompts[state](pupil_id: Id) -> Vec<Prompt> { with_session(&state, |s| s.prompts_for_pupil(pupil_id)) }

    fn record_concern[state](form: ConcernForm) -> Id {
        let concern = NewConcern::try_from(form)?;
        with_either(&state, |s| s.record_concern(&concern), |s| s.record_concern(&concern))
    }

    fn record_voice[state](form: VoiceForm) -> Id {
        let voice = NewVoice::try_from(form)?;
        with_session(&state, |s| s.record_voice(&voice))
    }

    fn record_referral[state](form: ReferralForm) -> Id {
        let referral = NewReferral::try_from(form)?;
        with_session(&state, |s| s.record_referral(&referral))
    }

    fn record_decision[state](referral_id: Id, form: DecisionForm) -> Id {
        let decision = DecisionDetails::try_from(form)?;
        with_session(&state, |s| s.record_decision(referral_id, &decision))
    }

    /// The one step for a sibling not on a notification: add them to it (with their own
    /// follow-up; presence and words "not known" until amended). Returns the prompts still open.
    fn add_sibling_to_notification[state](notification_id: Id, pupil_id: Id) -> Vec<Prompt> {
        let child = EncompassChild::not_yet_known(pupil_id);
        with_session(&state, |s| {
            s.add_encompass_child(notification_id, &child)?;
            s.prompts()
        })
    }

    /// The factual-language check of a text as it is typed (no store needed, nothing recorded).
    fn check_language[](text: String) -> Vec<LanguageFlag> { Ok(safeguard_core::language::check(&text)) }

    fn search[state](text: String) -> Vec<SearchHit> {
        with_either(&state, |s| s.search(&text, 50), |s| s.search(&text, 50))
    }

    fn follow_ups[state]() -> FollowUpList { with_session(&state, |s| s.follow_ups()) }

    fn assignees[state]() -> Vec<Assignee> { with_session(&state, |s| s.assignees()) }

    fn add_follow_up[state](form: FollowUpForm) -> Id {
        let f = NewFollowUp::try_from(form)?;
        with_session(&state, |s| s.add_follow_up(&f))
    }

    fn complete_follow_up[state](id: Id, outcome: String) -> () {
        with_session(&state, |s| s.complete_follow_up(id, &outcome))
    }

    fn reassign_follow_up[state](id: Id, owner_id: Id) -> () {
        with_session(&state, |s| s.reassign_follow_up(id, owner_id))
    }

    /// Records an Operation Encompass notification; the core creates each child's follow-up.
    fn record_notification[state](form: NotificationForm) -> Id {
        let n = NewEncompass::try_from(form)?;
        with_session(&state, |s| s.record_encompass(&n))
    }

    /// Escalations a page at a time, newest first: open ones, or all (the head's review).
    fn escalation_page[state](query: EscalationQuery) -> EscalationPage {
        with_session(&state, |s| s.escalation_page(&query))
    }

    fn pupil_escalations[state](pupil_id: Id) -> Vec<EscalationView> {
        with_session(&state, |s| s.escalations_for_pupil(pupil_id))
    }

    fn escalation[state](id: Id) -> EscalationView { with_session(&state, |s| s.escalation(id)) }

    fn open_escalation[state](form: EscalationForm) -> Id {
        let e = NewEscalation::try_from(form)?;
        with_session(&state, |s| s.open_escalation(&e))
    }

    fn advance_escalation[state](id: Id, stage: StageForm) -> Id {
        let st = StageDetails::try_from(stage)?;
        with_session(&state, |s| s.advance_escalation(id, &st))
    }

    fn escalation_response[state](id: Id, text: String) -> Id {
        with_session(&state, |s| s.record_escalation_response(id, &text))
    }

    fn resolve_escalation[state](id: Id, text: String) -> Id {
        with_session(&state, |s| s.resolve_escalation(id, &text))
    }

    fn add_review_comment[state](id: Id, text: String) -> Id {
        with_session(&state, |s| s.add_review_comment(id, &text))
    }

    fn amendable_fields[state](kind: RecordKind, record_id: Id) -> Vec<FieldView> {
        with_session(&state, |s| s.amendable_fields(kind, record_id))
    }

    fn amend[state](kind: RecordKind, record_id: Id, field: String, typed: String, reason: String) -> Id {
        with_session(&state, |s| s.amend_typed(kind, record_id, &field, &typed, &reason))
    }

    /// Opens the system's file dialog; returns tokens for the files picked (never paths).
    async fn pick_attachments[window, state](multiple: bool) -> Vec<PickedFile> {
        dialogs::pick_attachments(window, state, multiple)
    }

    /// Attaches a file picked with `pick_attachments` (its token is used up).
    fn attach_file[state](record_id: Id, token: String) -> Id { dialogs::attach_file(state, record_id, token) }

    fn save_draft[state](form: String, body: String) -> () {
        with_either(&state, |s| s.save_draft(&form, &body), |s| s.save_draft(&form, &body))
    }

    fn draft[state](form: String) -> Option<Draft> {
        with_either(&state, |s| s.draft(&form), |s| s.draft(&form))
    }

    fn discard_draft[state](form: String) -> () {
        with_either(&state, |s| s.discard_draft(&form), |s| s.discard_draft(&form))
    }

    fn settings[state]() -> SettingsForm { with_session(&state, |s| s.settings().map(SettingsForm::from)) }

    /// Saves the settings; returns them as stored.
    fn save_settings[state](form: SettingsForm) -> SettingsForm {
        let next = Settings::try_from(form)?;
        with_session(&state, |s| {
            s.save_settings(&next)?;
            s.settings().map(SettingsForm::from)
        })
    }

    fn users[state]() -> Vec<UserSummary> { with_session(&state, |s| s.users()) }

    /// Async: wrapping the new key slot derives a key (Argon2id), off the window's thread.
    async fn add_user[state](request: NewUserRequest) -> Vec<UserSummary> {
        let passphrase = Passphrase::new(request.passphrase);
        with_session(&state, |s| {
            s.add_user(&request.name, request.role, &passphrase)?;
            s.users()
        })
    }

    /// Sets another user's passphrase (DSL): a new key slot for them.
    async fn set_passphrase[state](name: String, passphrase: String) -> Vec<UserSummary> {
        let passphrase = Passphrase::new(passphrase);
        with_session(&state, |s| {
            s.change_passphrase(&name, &passphrase)?;
            s.users()
        })
    }

    /// Removes a user: their key slot goes and the data key is changed (re-encrypting the store).
    async fn remove_user[state](name: String) -> Vec<UserSummary> {
        with_session(&state, |s| {
            s.remove_user(&name)?;
            s.users()
        })
    }

    /// Whether the window should suggest rotating the recovery key (a DSL was removed since).
    fn recovery_rotation_suggested[state]() -> bool { with_session(&state, |s| s.recovery_rotation_suggested()) }

    /// A new recovery key (DSL): the database moves to a new key; the key is shown once.
    async fn rotate_recovery_key[state]() -> String {
        with_session(&state, |s| s.rotate_recovery_key().map(|k| k.expose_grouped().to_string()))
    }

    fn add_pupil[state](form: PupilForm) -> Id {
        let details = PupilDetails::try_from(form)?;
        with_session(&state, |s| s.add_pupil(&details))
    }

    /// Adds a sibling or another person to the child's household (created the first time).
    fn add_family_member[state](form: FamilyMemberForm) -> Id {
        let details = MemberDetails::try_from(&form)?;
        with_session(&state, |s| s.add_family_member(form.pupil_id, form.member_pupil_id, &details))
    }

    /// Records that someone stopped being a member of a household, with why (shown with them).
    fn end_household_member[state](member_id: Id, reason: String) -> () {
        with_session(&state, |s| s.end_household_member(member_id, &reason))
    }

    fn document_file_name[state](request: DocumentRequest) -> String {
        with_session(&state, |s| s.document_file_name(&request))
    }

    /// Flagged terms still in what a referral would quote (shown before generating).
    fn referral_flags[state](selection: ReferralSelection) -> Vec<FlaggedInRecord> {
        with_session(&state, |s| s.referral_language_flags(&selection))
    }

    /// Asks where to save the document, generates it and writes it there; with `open`, hands it
    /// to the system's viewer to print. None when cancelled.
    async fn save_document[app, window, state](request: DocumentRequest, open: bool) -> Option<SavedDocument> {
        dialogs::save_document(app, window, state, request, open)
    }

    /// Saves the referral PDF and an email draft to the local authority with it attached.
    async fn save_referral_email[app, window, state](selection: ReferralSelection) -> Option<SavedDocument> {
        dialogs::save_referral_email(app, window, state, selection)
    }

    /// Asks where to save a backup of the store and writes it there. None when cancelled.
    async fn backup_store[window, state]() -> Option<String> { dialogs::backup_store(window, state) }

    /// Asks for a backup, restores it into a new folder beside the store and opens that.
    async fn restore_backup[app, window, state](user_name: String, passphrase: String) -> Option<Restored> {
        dialogs::restore_backup(app, window, state, user_name, passphrase)
    }
}

#[cfg(test)]
mod tests {
    /// The client the UI calls: written on `cargo test` (the test script then checks it is the
    /// committed one, like every generated binding).
    #[test]
    fn the_typescript_client_is_the_generated_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
        let text = super::typescript();
        for name in [
            "appStatus: ()",
            "unlock: (request: UnlockRequest)",
            "pupilId: string",
        ] {
            assert!(text.contains(name), "{name} missing from the client");
        }
        std::fs::write(dir.join("commands.ts"), text).expect("write the client");
    }
}
