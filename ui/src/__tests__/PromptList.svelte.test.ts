// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import type { Prompt } from "../bindings/Prompt";

const prompt = (key: string, pupil: string): Prompt => ({
  key,
  rule: "accumulating_concerns",
  title: `Prompt ${key}`,
  why: "Four neglect concerns in twelve weeks.",
  action: "Consider a referral.",
  pupils: [[pupil, `Child ${pupil}`]],
  since: "2026-11-20T09:00:00Z",
  records: [],
});
// The whole school's prompts after a dismissal: this child's remaining one and another child's.
const dismissed: string[][] = [];
vi.mock("../lib/api", () => ({
  AppError: class extends Error {},
  api: {
    dismissPrompt: vi.fn(async (key: string, reason: string) => {
      dismissed.push([key, reason]);
      return [prompt("b", "ava"), prompt("z", "other")];
    }),
  },
}));

import PromptList from "../PromptList.svelte";

afterEach(cleanup);

describe("PromptList", () => {
  it("on a child's page, a dismissal needs a reason and keeps to that child's prompts", async () => {
    const props = $state({ prompts: [prompt("a", "ava"), prompt("b", "ava")], canDismiss: true, aboutOnly: true });
    const r = render(PromptList, { props });
    await fireEvent.click(r.getAllByTestId("dismiss")[0]);
    await fireEvent.input(r.getByTestId("dismiss-reason"), { target: { value: "Seen by the DSL; plan in place" } });
    await fireEvent.submit(r.getByTestId("dismiss-reason").closest("form")!);
    await waitFor(() => expect(props.prompts.map((p) => p.key)).toEqual(["b"]));
    expect(dismissed).toEqual([["a", "Seen by the DSL; plan in place"]]);
  });

  it("on Today, the school's list is taken as it comes back", async () => {
    const props = $state({ prompts: [prompt("a", "ava"), prompt("b", "ava")], canDismiss: true });
    const r = render(PromptList, { props });
    await fireEvent.click(r.getAllByTestId("dismiss")[0]);
    await fireEvent.input(r.getByTestId("dismiss-reason"), { target: { value: "Reason" } });
    await fireEvent.submit(r.getByTestId("dismiss-reason").closest("form")!);
    await waitFor(() => expect(props.prompts.map((p) => p.key)).toEqual(["b", "z"]));
  });

  it("staff and the head see prompts without the dismiss button", () => {
    const r = render(PromptList, { props: { prompts: [prompt("a", "ava")], canDismiss: false } });
    expect(r.queryAllByTestId("dismiss")).toHaveLength(0);
    expect(r.getByTestId("prompt").textContent).toContain("Four neglect concerns");
  });
});
