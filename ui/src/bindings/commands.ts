// Generated from src-tauri/src/ipc.rs by `cargo test -p safeguard-desk`: do not edit.
// Every command the shell registers, with the types ts-rs generates for it.
import { call } from "../lib/ipc";
import type { AppStatus } from "./AppStatus";
import type { Assignee } from "./Assignee";
import type { ChronologyFilter } from "./ChronologyFilter";
import type { ChronologyPage } from "./ChronologyPage";
import type { ConcernForm } from "./ConcernForm";
import type { CreateStoreRequest } from "./CreateStoreRequest";
import type { CreatedStore } from "./CreatedStore";
import type { Dashboard } from "./Dashboard";
import type { DecisionForm } from "./DecisionForm";
import type { DocumentRequest } from "./DocumentRequest";
import type { Draft } from "./Draft";
import type { EscalationForm } from "./EscalationForm";
import type { EscalationPage } from "./EscalationPage";
import type { EscalationQuery } from "./EscalationQuery";
import type { EscalationView } from "./EscalationView";
import type { FamilyMemberForm } from "./FamilyMemberForm";
import type { FieldView } from "./FieldView";
import type { FlaggedInRecord } from "./FlaggedInRecord";
import type { FollowUpForm } from "./FollowUpForm";
import type { FollowUpList } from "./FollowUpList";
import type { InboxReport } from "./InboxReport";
import type { LanguageFlag } from "./LanguageFlag";
import type { NewUserRequest } from "./NewUserRequest";
import type { NotificationForm } from "./NotificationForm";
import type { OwnConcern } from "./OwnConcern";
import type { PickedFile } from "./PickedFile";
import type { Prompt } from "./Prompt";
import type { PromptPage } from "./PromptPage";
import type { PromptQuery } from "./PromptQuery";
import type { PupilFile } from "./PupilFile";
import type { PupilForm } from "./PupilForm";
import type { PupilPage } from "./PupilPage";
import type { PupilQuery } from "./PupilQuery";
import type { PupilSummary } from "./PupilSummary";
import type { RecordKind } from "./RecordKind";
import type { ReferralForm } from "./ReferralForm";
import type { ReferralSelection } from "./ReferralSelection";
import type { Restored } from "./Restored";
import type { SavedDocument } from "./SavedDocument";
import type { SearchHit } from "./SearchHit";
import type { SessionInfo } from "./SessionInfo";
import type { SettingsForm } from "./SettingsForm";
import type { StageForm } from "./StageForm";
import type { UnlockRequest } from "./UnlockRequest";
import type { UserSummary } from "./UserSummary";
import type { Vocabulary } from "./Vocabulary";
import type { VoiceForm } from "./VoiceForm";

export const commands = {
  /** Where the store is, whether it exists, who may unlock it, and the open session. */
  appStatus: () => call<AppStatus>("app_status"),
  /** The labels and choices the core defines (categories, record kinds, roles, statuses). */
  vocabulary: () => call<Vocabulary>("vocabulary"),
  chooseStoreDir: () => call<AppStatus>("choose_store_dir"),
  /** Async so the key derivation runs off the window's thread. */
  createStore: (request: CreateStoreRequest) => call<CreatedStore>("create_store", { request }),
  /** Async so the key derivation runs off the window's thread and the window can show progress. */
  unlock: (request: UnlockRequest) => call<SessionInfo>("unlock", { request }),
  /** Drops the session and with it the data key. */
  lock: () => call<void>("lock"),
  /** The person did something in the window (reported at most every few seconds). */
  activity: () => call<void>("activity"),
  /** What filing the staff inbox did when this DSL or deputy unlocked. */
  inboxReport: () => call<InboxReport>("inbox_report"),
  /** A member of staff's own concerns, newest first (waiting, or filed by the team). */
  myConcerns: () => call<Array<OwnConcern>>("my_concerns"),
  dashboard: () => call<Dashboard>("dashboard"),
  /** The open practice prompts, in Today's order. */
  prompts: () => call<Array<Prompt>>("prompts"),
  /** Today's prompts: a page, ranked by urgency, with counts by rule, filtered by rule and year. */
  promptPage: (query: PromptQuery) => call<PromptPage>("prompt_page", { query }),
  /** Dismisses a prompt with a reason; returns the prompts still open. */
  dismissPrompt: (key: string, reason: string) => call<Array<Prompt>>("dismiss_prompt", { key, reason }),
  listPupils: (query: PupilQuery) => call<PupilPage>("list_pupils", { query }),
  pupilSummary: (pupilId: string) => call<PupilSummary>("pupil_summary", { pupilId }),
  pupilFile: (pupilId: string) => call<PupilFile>("pupil_file", { pupilId }),
  /** The newest `newest` entries of a child's chronology, or with `family` the family's (siblings merged), that match, and how many older ones do; with no `newest`, all of them. Staff see only what they wrote, about this child. */
  chronology: (pupilId: string, family: boolean, filter: ChronologyFilter, newest: number | null) => call<ChronologyPage>("chronology", { pupilId, family, filter, newest }),
  pupilPrompts: (pupilId: string) => call<Array<Prompt>>("pupil_prompts", { pupilId }),
  recordConcern: (form: ConcernForm) => call<string>("record_concern", { form }),
  recordVoice: (form: VoiceForm) => call<string>("record_voice", { form }),
  recordReferral: (form: ReferralForm) => call<string>("record_referral", { form }),
  recordDecision: (referralId: string, form: DecisionForm) => call<string>("record_decision", { referralId, form }),
  /** The one step for a sibling not on a notification: add them to it (with their own follow-up; presence and words "not known" until amended). Returns the prompts still open. */
  addSiblingToNotification: (notificationId: string, pupilId: string) => call<Array<Prompt>>("add_sibling_to_notification", { notificationId, pupilId }),
  /** The factual-language check of a text as it is typed (no store needed, nothing recorded). */
  checkLanguage: (text: string) => call<Array<LanguageFlag>>("check_language", { text }),
  search: (text: string) => call<Array<SearchHit>>("search", { text }),
  followUps: () => call<FollowUpList>("follow_ups"),
  assignees: () => call<Array<Assignee>>("assignees"),
  addFollowUp: (form: FollowUpForm) => call<string>("add_follow_up", { form }),
  completeFollowUp: (id: string, outcome: string) => call<void>("complete_follow_up", { id, outcome }),
  reassignFollowUp: (id: string, ownerId: string) => call<void>("reassign_follow_up", { id, ownerId }),
  /** Records an Operation Encompass notification; the core creates each child's follow-up. */
  recordNotification: (form: NotificationForm) => call<string>("record_notification", { form }),
  /** Escalations a page at a time, newest first: open ones, or all (the head's review). */
  escalationPage: (query: EscalationQuery) => call<EscalationPage>("escalation_page", { query }),
  pupilEscalations: (pupilId: string) => call<Array<EscalationView>>("pupil_escalations", { pupilId }),
  escalation: (id: string) => call<EscalationView>("escalation", { id }),
  openEscalation: (form: EscalationForm) => call<string>("open_escalation", { form }),
  advanceEscalation: (id: string, stage: StageForm) => call<string>("advance_escalation", { id, stage }),
  escalationResponse: (id: string, text: string) => call<string>("escalation_response", { id, text }),
  resolveEscalation: (id: string, text: string) => call<string>("resolve_escalation", { id, text }),
  addReviewComment: (id: string, text: string) => call<string>("add_review_comment", { id, text }),
  amendableFields: (kind: RecordKind, recordId: string) => call<Array<FieldView>>("amendable_fields", { kind, recordId }),
  amend: (kind: RecordKind, recordId: string, field: string, typed: string, reason: string) => call<string>("amend", { kind, recordId, field, typed, reason }),
  /** Opens the system's file dialog; returns tokens for the files picked (never paths). */
  pickAttachments: (multiple: boolean) => call<Array<PickedFile>>("pick_attachments", { multiple }),
  /** Attaches a file picked with `pick_attachments` (its token is used up). */
  attachFile: (recordId: string, token: string) => call<string>("attach_file", { recordId, token }),
  saveDraft: (form: string, body: string) => call<void>("save_draft", { form, body }),
  draft: (form: string) => call<Draft | null>("draft", { form }),
  discardDraft: (form: string) => call<void>("discard_draft", { form }),
  settings: () => call<SettingsForm>("settings"),
  /** Saves the settings; returns them as stored. */
  saveSettings: (form: SettingsForm) => call<SettingsForm>("save_settings", { form }),
  users: () => call<Array<UserSummary>>("users"),
  /** Async: wrapping the new key slot derives a key (Argon2id), off the window's thread. */
  addUser: (request: NewUserRequest) => call<Array<UserSummary>>("add_user", { request }),
  /** Sets another user's passphrase (DSL): a new key slot for them. */
  setPassphrase: (name: string, passphrase: string) => call<Array<UserSummary>>("set_passphrase", { name, passphrase }),
  /** Removes a user: their key slot goes and the data key is changed (re-encrypting the store). */
  removeUser: (name: string) => call<Array<UserSummary>>("remove_user", { name }),
  /** Whether the window should suggest rotating the recovery key (a DSL was removed since). */
  recoveryRotationSuggested: () => call<boolean>("recovery_rotation_suggested"),
  /** A new recovery key (DSL): the database moves to a new key; the key is shown once. */
  rotateRecoveryKey: () => call<string>("rotate_recovery_key"),
  addPupil: (form: PupilForm) => call<string>("add_pupil", { form }),
  /** Adds a sibling or another person to the child's household (created the first time). */
  addFamilyMember: (form: FamilyMemberForm) => call<string>("add_family_member", { form }),
  /** Records that someone stopped being a member of a household, with why (shown with them). */
  endHouseholdMember: (memberId: string, reason: string) => call<void>("end_household_member", { memberId, reason }),
  documentFileName: (request: DocumentRequest) => call<string>("document_file_name", { request }),
  /** Flagged terms still in what a referral would quote (shown before generating). */
  referralFlags: (selection: ReferralSelection) => call<Array<FlaggedInRecord>>("referral_flags", { selection }),
  /** Asks where to save the document, generates it and writes it there; with `open`, hands it to the system's viewer to print. None when cancelled. */
  saveDocument: (request: DocumentRequest, open: boolean) => call<SavedDocument | null>("save_document", { request, open }),
  /** Saves the referral PDF and an email draft to the local authority with it attached. */
  saveReferralEmail: (selection: ReferralSelection) => call<SavedDocument | null>("save_referral_email", { selection }),
  /** Asks where to save a backup of the store and writes it there. None when cancelled. */
  backupStore: () => call<string | null>("backup_store"),
  /** Asks for a backup, restores it into a new folder beside the store and opens that. */
  restoreBackup: (userName: string, passphrase: string) => call<Restored | null>("restore_backup", { userName, passphrase }),
};
