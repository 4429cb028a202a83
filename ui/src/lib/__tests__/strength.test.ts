import { describe, expect, it } from "vitest";
import { strength } from "../strength";

describe("passphrase strength meter", () => {
  it("calls anything under 10 characters too short", () => {
    expect(strength("Tr0ub4d!").score).toBe(0);
  });
  it("penalises common words", () => {
    expect(strength("password1234").score).toBeLessThan(strength("velvet harbour cactus 42").score);
  });
  it("rates several unrelated words as strong", () => {
    expect(strength("velvet harbour cactus lantern 42").score).toBe(4);
  });
});
