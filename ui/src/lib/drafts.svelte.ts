// Autosave of a form's fields into the encrypted store (the core's drafts), so a lock, a crash
// or a closed lid loses nothing. A lock first flushes every pending save.
import { onMount } from "svelte";
import { api } from "./api";

const pending = new Map<string, () => Promise<void>>();

/** Saves `fields()` under `form` shortly after the last change; returns the trigger. */
export function autosaver(form: string, fields: () => unknown, delayMs = 600) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    pending.delete(form);
    await api.saveDraft(form, JSON.stringify(fields())).catch(() => {
      /* Locked or too large: the form itself still holds the text. */
    });
  };
  return {
    changed() {
      clearTimeout(timer);
      pending.set(form, flush);
      timer = setTimeout(flush, delayMs);
    },
    /** After the record is saved: no pending save, and no draft left behind. */
    async done() {
      clearTimeout(timer);
      pending.delete(form);
      await api.discardDraft(form).catch(() => {});
    },
    cancel() {
      clearTimeout(timer);
      pending.delete(form);
    },
  };
}

/** Saves every draft with a change not yet saved (before locking). */
export async function flushDrafts(): Promise<void> {
  await Promise.all([...pending.values()].map((f) => f()));
}

/** A restored draft's fields, or null. */
export async function restoreDraft<T>(form: string): Promise<{ fields: T; savedAt: string } | null> {
  const d = await api.draft(form).catch(() => null);
  if (!d) return null;
  try {
    return { fields: JSON.parse(d.body) as T, savedAt: d.saved_at };
  } catch {
    return null;
  }
}

/**
 * A form's draft, wired up during the component's setup: restores a saved draft once (through
 * `restore`, which may decline it), then autosaves every change of `fields()`. Returns the saver
 * (`done()` after the record is saved).
 */
export function formDraft<T>(form: string, fields: () => T, restore: (saved: T, savedAt: string) => void) {
  const saver = autosaver(form, fields);
  let ready = false;
  $effect(() => {
    JSON.stringify(fields()); // track every field
    if (ready) saver.changed();
  });
  onMount(() => {
    void restoreDraft<T>(form).then((saved) => {
      if (saved) restore(saved.fields, saved.savedAt);
      ready = true;
    });
    return () => saver.cancel();
  });
  return saver;
}
