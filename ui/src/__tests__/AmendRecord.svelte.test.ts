// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import type { FieldView } from "../bindings/FieldView";

const calls: unknown[][] = [];
let failNext: string | null = null;
const FIELDS: FieldView[] = [
  { field: "location", label: "Where", field_type: "text", current: "Hall", options: [] },
  { field: "observed_at", label: "Seen or heard at", field_type: "date_time", current: "23/11/2026 09:00", options: [] },
  {
    field: "categories",
    label: "Categories",
    field_type: "choices",
    current: "neglect",
    options: [
      { value: "neglect", label: "Neglect" },
      { value: "attendance", label: "Attendance / missing education" },
    ],
  },
];

vi.mock("../lib/api", () => {
  class AppError extends Error {
    constructor(
      readonly code: string,
      readonly detail: string,
    ) {
      super(detail);
    }
    get explanation() {
      return `Something in the form needs correcting. (${this.detail})`;
    }
  }
  return {
    AppError,
    api: {
      amendableFields: vi.fn(async () => FIELDS),
      amend: vi.fn(async (...args: unknown[]) => {
        calls.push(args);
        if (failNext) {
          const e = new AppError("InvalidInput", failNext);
          failNext = null;
          throw e;
        }
        return "amendment-id";
      }),
    },
  };
});

import AmendRecord from "../AmendRecord.svelte";

afterEach(cleanup);
beforeEach(() => {
  calls.length = 0;
});

describe("AmendRecord", () => {
  it("starts from the current value and sends the field, what was typed and the reason", async () => {
    const onamended = vi.fn();
    const r = render(AmendRecord, { props: { kind: "concern", recordId: "c1", onamended, oncancel: () => {} } });
    const value = (await r.findByTestId("amend-value")) as HTMLTextAreaElement;
    expect(value.value).toBe("Hall");
    await fireEvent.input(value, { target: { value: "Year 4 classroom" } });
    await fireEvent.input(r.getByTestId("amend-reason"), { target: { value: "Corrected by the teacher" } });
    await fireEvent.submit(r.getByTestId("amend-form"));
    await waitFor(() => expect(onamended).toHaveBeenCalled());
    expect(calls).toEqual([["concern", "c1", "location", "Year 4 classroom", "Corrected by the teacher"]]);
  });

  it("a choice of several is ticked, and sent joined by commas", async () => {
    const r = render(AmendRecord, { props: { kind: "concern", recordId: "c1", onamended: () => {}, oncancel: () => {} } });
    await r.findByTestId("amend-value");
    await fireEvent.change(r.getByTestId("amend-field"), { target: { value: "categories" } });
    const attendance = (await r.findByLabelText("Attendance / missing education")) as HTMLInputElement;
    expect((r.getByLabelText("Neglect") as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(attendance);
    await fireEvent.input(r.getByTestId("amend-reason"), { target: { value: "Both apply" } });
    await fireEvent.submit(r.getByTestId("amend-form"));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0][2]).toBe("categories");
    expect(calls[0][3]).toBe("neglect,attendance");
  });

  it("a refused amendment shows the core's reason and keeps what was typed", async () => {
    const onamended = vi.fn();
    const r = render(AmendRecord, { props: { kind: "concern", recordId: "c1", onamended, oncancel: () => {} } });
    await r.findByTestId("amend-value");
    await fireEvent.change(r.getByTestId("amend-field"), { target: { value: "observed_at" } });
    const value = (await r.findByDisplayValue("23/11/2026 09:00")) as HTMLInputElement;
    await fireEvent.input(value, { target: { value: "31/11/2026 09:00" } });
    await fireEvent.input(r.getByTestId("amend-reason"), { target: { value: "Typo" } });
    failNext = "value: is not a real date and time";
    await fireEvent.submit(r.getByTestId("amend-form"));
    expect(await r.findByTestId("amend-error")).toHaveProperty("textContent", expect.stringContaining("is not a real date and time"));
    expect(value.value).toBe("31/11/2026 09:00");
    expect(onamended).not.toHaveBeenCalled();
  });
});
