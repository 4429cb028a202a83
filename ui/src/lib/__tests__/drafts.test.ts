import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const saved: [string, string][] = [];
const discarded: string[] = [];
vi.mock("../api", () => ({
  api: {
    saveDraft: vi.fn(async (form: string, body: string) => {
      saved.push([form, body]);
    }),
    discardDraft: vi.fn(async (form: string) => {
      discarded.push(form);
    }),
    draft: vi.fn(async (form: string) => (form === "concern" ? { form, saved_at: "2026-11-23T10:00:00Z", body: '{"account":"kept"}' } : form === "broken" ? { form, saved_at: "2026-11-23T10:00:00Z", body: "{not json" } : null)),
  },
}));

import { autosaver, flushDrafts, restoreDraft } from "../drafts.svelte";

describe("drafts", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    saved.length = 0;
    discarded.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("saves once, shortly after the last change, with the latest fields", async () => {
    let account = "a";
    const d = autosaver("concern", () => ({ account }), 600);
    d.changed();
    account = "ab";
    d.changed();
    await vi.advanceTimersByTimeAsync(599);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual([["concern", '{"account":"ab"}']]);
  });

  it("a lock flushes a pending save at once, and only once", async () => {
    const d = autosaver("voice:1", () => ({ words: "I was scared" }), 600);
    d.changed();
    await flushDrafts();
    expect(saved).toEqual([["voice:1", '{"words":"I was scared"}']]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saved.length).toBe(1);
  });

  it("saving the record discards the draft and cancels the pending save", async () => {
    const d = autosaver("concern", () => ({ account: "x" }), 600);
    d.changed();
    await d.done();
    await vi.advanceTimersByTimeAsync(1000);
    await flushDrafts();
    expect(saved).toEqual([]);
    expect(discarded).toEqual(["concern"]);
  });

  it("restores a saved draft, and ignores none or a damaged one", async () => {
    expect(await restoreDraft("concern")).toEqual({ fields: { account: "kept" }, savedAt: "2026-11-23T10:00:00Z" });
    expect(await restoreDraft("voice:2")).toBeNull();
    expect(await restoreDraft("broken")).toBeNull();
  });
});
