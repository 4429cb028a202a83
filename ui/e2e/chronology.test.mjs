// A child's chronology after years of records: the window shows the newest page of entries
// and reads older ones on request, and a referral can still quote every record of the child.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const PASS = "benchmark passphrase";
const PAGE = 100;

const entries = (d) => d.count("[data-testid=chronology] [data-testid=entry]");
const when = (d) => d.exec("return [...document.querySelectorAll('[data-testid=chronology] [data-testid=entry] .when')].map(e => e.textContent);");

test("a long chronology is paged, newest first, and older entries are read on request", { timeout: 300_000 }, async () => {
  assert.ok(app && existsSync(app), `SGD_APP_BINARY must name the built app (got ${app})`);
  assert.ok(cli && existsSync(cli), `SGD_CLI_BINARY must name sgd (got ${cli})`);
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-chronology-")), "school");
  const today = new Date().toISOString().slice(0, 10);
  // Ten years of a small school: most children have more than a page of entries.
  execFileSync(cli, ["seed", store, "--pupils", "30", "--years", "10", "--today", today], {
    env: { ...process.env, SGD_PASSPHRASE: PASS },
    stdio: "ignore",
  });
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  try {
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.type("[data-testid=passphrase]", PASS);
    await d.click("[data-testid=unlock]");
    await d.find("[data-testid=nav-pupils]", 30_000);
    let earlier = 0;
    for (let i = 0; i < 10 && earlier === 0; i++) {
      await d.click("[data-testid=nav-pupils]");
      await d.find("[data-testid=pupil-link]");
      await d.exec(`document.querySelectorAll('[data-testid=pupil-link]')[${i}].click();`);
      await d.find("[data-testid=chronology] [data-testid=entry]", 30_000);
      if ((await d.count("[data-testid=chronology-earlier]")) > 0) {
        earlier = Number((await d.text("[data-testid=chronology-earlier-count]")).match(/^(\d+)/)[1]);
      }
    }
    assert.ok(earlier > 0, "a child with more than a page of entries");
    assert.equal(await entries(d), PAGE, "one page");
    const first = await when(d);
    await d.exec("document.querySelector('[data-testid=chronology-earlier]').scrollIntoView({ block: 'center' });");
    await d.screenshot(shots, "44-chronology-paged");

    await d.click("[data-testid=chronology-earlier]");
    const more = Math.min(PAGE, earlier);
    await d.waitText("[data-testid=chronology]", () => true);
    for (let i = 0; i < 100 && (await entries(d)) !== PAGE + more; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await entries(d), PAGE + more, `${earlier} earlier, ${more} more shown`);
    // The page grew downwards: the newest entries are where they were, older ones below.
    const after = await when(d);
    assert.deepEqual(after.slice(0, PAGE), first);
    if (earlier > PAGE) {
      const left = Number((await d.text("[data-testid=chronology-earlier-count]")).match(/^(\d+)/)[1]);
      assert.equal(left, earlier - PAGE);
    } else {
      assert.equal(await d.count("[data-testid=chronology-earlier]"), 0, "nothing earlier left");
    }

    // The referral chooser offers every concern, voice entry and notification of the child,
    // not only those on the page.
    await d.click("[data-testid=doc-referral]");
    await d.find("[data-testid=referral-chooser]");
    const offered = await d.count("[data-testid=referral-chooser] input[type=checkbox][value]");
    const onPage = await d.exec(
      "return [...document.querySelectorAll('[data-testid=chronology] [data-testid=entry]')].filter(e => /kind-(concern|voice|encompass_child)/.test(e.className)).length;",
    );
    assert.ok(offered > onPage, `every referrable record is offered (${offered}), not only the page's (${onPage})`);
  } finally {
    await d.quit();
  }
});
