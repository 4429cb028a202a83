import { describe, expect, it } from "vitest";
import { isoFromUkDate, londonNowLocal, ukDate, ukDateTime } from "../format";

describe("UK formats", () => {
  it("shows instants in London time, dd/mm/yyyy", () => {
    expect(ukDateTime("2026-07-01T08:00:00.000Z")).toBe("01/07/2026 09:00"); // BST
    expect(ukDateTime("2026-12-01T08:00:00.000Z")).toBe("01/12/2026 08:00"); // GMT
    expect(ukDate("2026-03-04")).toBe("04/03/2026");
  });

  it("defaults a 'when' field to now in London as dd/mm/yyyy HH:MM", () => {
    expect(londonNowLocal(new Date("2026-07-01T23:30:00Z"))).toBe("02/07/2026 00:30");
    expect(londonNowLocal(new Date("2026-01-15T09:05:00Z"))).toBe("15/01/2026 09:05");
  });

  it("turns a typed dd/mm/yyyy into ISO, and refuses anything else", () => {
    expect(isoFromUkDate("1/9/2026")).toBe("2026-09-01");
    expect(isoFromUkDate(" 25/12/2026 ")).toBe("2026-12-25");
    expect(isoFromUkDate("2026-12-25")).toBeNull();
    expect(isoFromUkDate("12/2026")).toBeNull();
  });
});
