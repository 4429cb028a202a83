// The one place the UI talks to the shell. Types come from Rust (ts-rs), not written twice.
import { invoke } from "@tauri-apps/api/core";
import type { AppStatus } from "../bindings/AppStatus";
import type { CreatedStore } from "../bindings/CreatedStore";
import type { CreateStoreRequest } from "../bindings/CreateStoreRequest";
import type { Dashboard } from "../bindings/Dashboard";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { IpcError } from "../bindings/IpcError";
import type { Prompt } from "../bindings/Prompt";
import type { PromptPage } from "../bindings/PromptPage";
import type { PromptQuery } from "../bindings/PromptQuery";
import type { ChronologyEntry } from "../bindings/ChronologyEntry";
import type { ChronologyFilter } from "../bindings/ChronologyFilter";
import type { ConcernForm } from "../bindings/ConcernForm";
import type { LanguageFlag } from "../bindings/LanguageFlag";
import type { PupilFile } from "../bindings/PupilFile";
import type { PupilPage } from "../bindings/PupilPage";
import type { PupilQuery } from "../bindings/PupilQuery";
import type { PupilSummary } from "../bindings/PupilSummary";
import type { SearchHit } from "../bindings/SearchHit";
import type { VoiceForm } from "../bindings/VoiceForm";
import type { ReferralForm } from "../bindings/ReferralForm";
import type { DecisionForm } from "../bindings/DecisionForm";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { UnlockRequest } from "../bindings/UnlockRequest";
import type { Assignee } from "../bindings/Assignee";
import type { Draft } from "../bindings/Draft";
import type { EscalationForm } from "../bindings/EscalationForm";
import type { EscalationView } from "../bindings/EscalationView";
import type { FieldView } from "../bindings/FieldView";
import type { FollowUpForm } from "../bindings/FollowUpForm";
import type { FollowUpList } from "../bindings/FollowUpList";
import type { NewUserRequest } from "../bindings/NewUserRequest";
import type { NotificationForm } from "../bindings/NotificationForm";
import type { RecordKind } from "../bindings/RecordKind";
import type { SettingsForm } from "../bindings/SettingsForm";
import type { StageForm } from "../bindings/StageForm";
import type { UserSummary } from "../bindings/UserSummary";
import type { PupilForm } from "../bindings/PupilForm";
import type { FamilyMemberForm } from "../bindings/FamilyMemberForm";
import type { DocumentRequest } from "../bindings/DocumentRequest";
import type { FlaggedInRecord } from "../bindings/FlaggedInRecord";
import type { ProgressEvent } from "../bindings/ProgressEvent";
import type { Restored } from "../bindings/Restored";
import type { ReferralSelection } from "../bindings/ReferralSelection";
import type { SavedDocument } from "../bindings/SavedDocument";
import type { InboxReport } from "../bindings/InboxReport";
import type { OwnConcern } from "../bindings/OwnConcern";
import type { PickedFile } from "../bindings/PickedFile";

export type { ProgressEvent, Restored };
export type {
  DocumentRequest,
  FlaggedInRecord,
  ReferralSelection,
  SavedDocument,
  PickedFile,
  Assignee,
  EscalationView,
  FieldView,
  FollowUpList,
  RecordKind,
  SettingsForm,
  UserSummary,
  AppStatus,
  ChronologyEntry,
  ChronologyFilter,
  ConcernForm,
  CreatedStore,
  Dashboard,
  LanguageFlag,
  Prompt,
  PromptPage,
  PromptQuery,
  PupilFile,
  PupilPage,
  SearchHit,
  SessionInfo,
};

/** What a person is told for each of the core's error codes. */
const MESSAGES: Record<ErrorCode, string> = {
  WrongPassphrase: "That passphrase is not right for this user. Check Caps Lock and try again.",
  Forbidden: "Your role does not allow this.",
  InvalidInput: "Something in the form needs correcting.",
  NotFound: "That record could not be found.",
  StoreDamaged: "The store is damaged. Do not write to it; ask your IT technician to run `sgd verify` and restore a backup.",
  TooLarge: "That is too large to save.",
  NewerStore: "This store was made by a newer version of Safeguard Desk. Update the app to open it.",
  AlreadyExists: "That is already there: choose another name or an empty folder (or unlock the store that is there).",
  NoStore: "There is no store in that folder.",
  WeakKdfParameters: "This store's key settings are below the safe minimum and cannot be used.",
  Conflict: "That conflicts with what is already recorded.",
  Io: "The computer could not read or write the store's folder.",
  Internal: "Something went wrong inside the app. Nothing was saved.",
  Locked: "The store is locked. Unlock it to continue.",
  KeyringTampered:
    "The store's keyring has been changed by someone without the authority to change it. Nothing was unlocked. Ask the DSL or your IT technician to restore the keyring from a backup.",
  StoreInUse: "This store is open in another Safeguard Desk program on this computer. Close it there first.",
  StoreBusy: "Another program holds the store's database open, so its key could not be changed. Nothing was lost: close it and try again.",
  DiskFull: "There is not enough free disk space for this. Nothing was changed: free some space and try again.",
  PassphraseResetNeeded: "Your passphrase was set before this version of Safeguard Desk and cannot be trusted on its own. Ask the DSL to set you a new one.",
  NotReady: "This store was made by an older version of Safeguard Desk. The DSL must open it once with this version before staff can use it.",
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
  ) {
    super(MESSAGES[code] ?? detail);
  }
  /** The friendly message, plus the core's specific one where it names a field or a limit. */
  get explanation(): string {
    const specific: ErrorCode[] = ["AlreadyExists", "InvalidInput", "TooLarge", "StoreInUse", "KeyringTampered", "DiskFull", "StoreDamaged"];
    return specific.includes(this.code) ? `${this.message} (${this.detail})` : this.message;
  }
}

function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw new AppError(e.code, e.message);
    throw new AppError("Internal", String(e));
  }
}

export const api = {
  status: () => call<AppStatus>("app_status"),
  chooseStoreDir: () => call<AppStatus>("choose_store_dir"),
  createStore: (request: CreateStoreRequest) => call<CreatedStore>("create_store", { request }),
  unlock: (request: UnlockRequest) => call<SessionInfo>("unlock", { request }),
  lock: () => call<void>("lock"),
  activity: () => call<void>("activity"),
  dashboard: () => call<Dashboard>("dashboard"),
  prompts: () => call<Prompt[]>("prompts"),
  promptPage: (query: PromptQuery) => call<PromptPage>("prompt_page", { query }),
  dismissPrompt: (key: string, reason: string) => call<Prompt[]>("dismiss_prompt", { key, reason }),
  listPupils: (query: PupilQuery) => call<PupilPage>("list_pupils", { query }),
  pupilSummary: (pupilId: string) => call<PupilSummary>("pupil_summary", { pupilId }),
  pupilFile: (pupilId: string) => call<PupilFile>("pupil_file", { pupilId }),
  chronology: (pupilId: string, family: boolean, filter: ChronologyFilter) =>
    call<ChronologyEntry[]>("chronology", { pupilId, family, filter }),
  pupilPrompts: (pupilId: string) => call<Prompt[]>("pupil_prompts", { pupilId }),
  recordConcern: (form: ConcernForm) => call<string>("record_concern", { form }),
  recordVoice: (form: VoiceForm) => call<string>("record_voice", { form }),
  recordReferral: (form: ReferralForm) => call<string>("record_referral", { form }),
  recordDecision: (referralId: string, form: DecisionForm) => call<string>("record_decision", { referralId, form }),
  addSiblingToNotification: (notificationId: string, pupilId: string) =>
    call<Prompt[]>("add_sibling_to_notification", { notificationId, pupilId }),
  checkLanguage: (text: string) => call<LanguageFlag[]>("check_language", { text }),
  search: (text: string) => call<SearchHit[]>("search", { text }),
  inboxReport: () => call<InboxReport>("inbox_report"),
  myConcerns: () => call<OwnConcern[]>("my_concerns"),
  followUps: () => call<FollowUpList>("follow_ups"),
  assignees: () => call<Assignee[]>("assignees"),
  addFollowUp: (form: FollowUpForm) => call<string>("add_follow_up", { form }),
  completeFollowUp: (id: string, outcome: string) => call<void>("complete_follow_up", { id, outcome }),
  reassignFollowUp: (id: string, ownerId: string) => call<void>("reassign_follow_up", { id, ownerId }),
  recordNotification: (form: NotificationForm) => call<string>("record_notification", { form }),
  escalations: (includeResolved: boolean) => call<EscalationView[]>("escalations", { includeResolved }),
  pupilEscalations: (pupilId: string) => call<EscalationView[]>("pupil_escalations", { pupilId }),
  escalation: (id: string) => call<EscalationView>("escalation", { id }),
  openEscalation: (form: EscalationForm) => call<string>("open_escalation", { form }),
  advanceEscalation: (id: string, stage: StageForm) => call<string>("advance_escalation", { id, stage }),
  escalationResponse: (id: string, text: string) => call<string>("escalation_response", { id, text }),
  resolveEscalation: (id: string, text: string) => call<string>("resolve_escalation", { id, text }),
  addReviewComment: (id: string, text: string) => call<string>("add_review_comment", { id, text }),
  amendableFields: (kind: RecordKind, recordId: string) => call<FieldView[]>("amendable_fields", { kind, recordId }),
  amend: (kind: RecordKind, recordId: string, field: string, typed: string, reason: string) =>
    call<string>("amend", { kind, recordId, field, typed, reason }),
  pickAttachments: (multiple: boolean) => call<PickedFile[]>("pick_attachments", { multiple }),
  attachFile: (recordId: string, token: string) => call<string>("attach_file", { recordId, token }),
  saveDraft: (form: string, body: string) => call<void>("save_draft", { form, body }),
  draft: (form: string) => call<Draft | null>("draft", { form }),
  discardDraft: (form: string) => call<void>("discard_draft", { form }),
  settings: () => call<SettingsForm>("settings"),
  saveSettings: (form: SettingsForm) => call<SettingsForm>("save_settings", { form }),
  users: () => call<UserSummary[]>("users"),
  addUser: (request: NewUserRequest) => call<UserSummary[]>("add_user", { request }),
  removeUser: (name: string) => call<UserSummary[]>("remove_user", { name }),
  setPassphrase: (name: string, passphrase: string) => call<UserSummary[]>("set_passphrase", { name, passphrase }),
  recoveryRotationSuggested: () => call<boolean>("recovery_rotation_suggested"),
  rotateRecoveryKey: () => call<string>("rotate_recovery_key"),
  addPupil: (form: PupilForm) => call<string>("add_pupil", { form }),
  addFamilyMember: (form: FamilyMemberForm) => call<string>("add_family_member", { form }),
  documentFileName: (request: DocumentRequest) => call<string>("document_file_name", { request }),
  referralFlags: (selection: ReferralSelection) => call<FlaggedInRecord[]>("referral_flags", { selection }),
  saveDocument: (request: DocumentRequest, open: boolean) => call<SavedDocument | null>("save_document", { request, open }),
  saveReferralEmail: (selection: ReferralSelection) => call<SavedDocument | null>("save_referral_email", { selection }),
  backupStore: () => call<string | null>("backup_store"),
  restoreBackup: (userName: string, passphrase: string) => call<Restored | null>("restore_backup", { userName, passphrase }),
};
