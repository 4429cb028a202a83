// The first unlock of a store made by an earlier version, in the real window: the store is
// brought up to this version (its derived tables made from every record, minutes on a store of
// decades) and the progress panel says so while it happens, then Today opens as usual.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
// tests/fixtures/store-schema12: made by commit 9b1ac06's own `sgd demo --today 2026-12-01`.
const FIXTURE = resolve("../tests/fixtures/store-schema12");
const PASS = "fixture passphrase 9b1ac06";

/** Records every text the progress panel shows from now on (it may be up for a moment only). */
const WATCH_PROGRESS = `
  window.__progress = [];
  new MutationObserver(() => {
    const p = document.querySelector("[data-testid=progress]");
    if (p && window.__progress.at(-1) !== p.textContent) window.__progress.push(p.textContent.trim());
  }).observe(document.body, { subtree: true, childList: true, characterData: true });`;

test("a store from an earlier version is prepared at its first unlock, with its progress shown", { timeout: 120_000 }, async () => {
  assert.ok(app && existsSync(app), `SGD_APP_BINARY must name the built app (got ${app})`);
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-upgrade-")), "store");
  cpSync(FIXTURE, store, { recursive: true });
  rmSync(join(store, "README.md"));
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  try {
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.exec(WATCH_PROGRESS);
    await d.unlockAs("Rachel Adeyemi", PASS);
    await d.find("[data-testid=today]", 30_000);
    const shown = await d.exec("return window.__progress;");
    assert.ok(
      shown.some((t) => t.startsWith("Preparing the store for this version") && t.includes("chronology")),
      `the chronology step shown: ${JSON.stringify(shown)}`,
    );
    assert.ok(shown.at(-1).startsWith("Finished"), `it ends: ${JSON.stringify(shown)}`);
    await d.screenshot(shots, "60-upgraded-store-today");
  } finally {
    await d.quit();
  }
});
