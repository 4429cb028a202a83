import { describe, expect, it } from "vitest";
import { latestOnly, STALE } from "../latest";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("latestOnly", () => {
  it("drops a reply that arrives after a newer request was made", async () => {
    const latest = latestOnly();
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = latest(slow.promise);
    const second = latest(fast.promise);
    fast.resolve("Li");
    slow.resolve("L");
    await expect(second).resolves.toBe("Li");
    await expect(first).rejects.toBe(STALE);
  });

  it("passes errors of the newest request through", async () => {
    const latest = latestOnly();
    await expect(latest(Promise.reject(new Error("locked")))).rejects.toThrow("locked");
  });
});
