// The one place the UI calls the shell: the generated client (bindings/commands.ts) calls
// `call`, which turns the shell's `{ code, message }` errors into AppErrors.
import { invoke } from "@tauri-apps/api/core";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { IpcError } from "../bindings/IpcError";

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
  DerivedNotRebuilt:
    "Today's prompts cannot be worked out until the store's working tables are rebuilt. Nothing was lost: free some disk space or close the other program holding the store, then lock and unlock again.",
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
    const specific: ErrorCode[] = ["AlreadyExists", "InvalidInput", "TooLarge", "StoreInUse", "KeyringTampered", "DiskFull", "StoreDamaged", "DerivedNotRebuilt"];
    return specific.includes(this.code) ? `${this.message} (${this.detail})` : this.message;
  }
}

function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Commands timed as User Timing measures ("ipc <command>"), at most this many kept. */
const TIMINGS_KEPT = 200;
let timed = 0;

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const start = performance.now();
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw new AppError(e.code, e.message);
    throw new AppError("Internal", String(e));
  } finally {
    // How long each command took, for the measurement of Today (scripts/measure-today.sh)
    // and for anyone profiling the window: the name only, never the arguments.
    // A timing that cannot be taken must never turn a command's result into an error.
    try {
      if (++timed > TIMINGS_KEPT) {
        performance.clearMeasures();
        timed = 1;
      }
      performance.measure(`ipc ${cmd}`, { start });
    } catch {
      // Measurement is best effort.
    }
  }
}
