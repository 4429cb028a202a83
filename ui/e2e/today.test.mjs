// Today at the scale of a real school: a seeded school has hundreds of prompts. Today shows the
// most urgent page of them, counts every rule, filters by rule and by year group and pages the
// rest, and is painted soon after unlocking. With SGD_E2E_LARGE_STORE (a copy of the benchmark
// school, passphrase "benchmark passphrase") the same checks run on 2,000 pupils and the time
// from unlock to Today painted is printed.
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

function seededSchool() {
  if (process.env.SGD_E2E_LARGE_STORE) return process.env.SGD_E2E_LARGE_STORE;
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-today-")), "school");
  const today = new Date().toISOString().slice(0, 10);
  execFileSync(cli, ["seed", store, "--pupils", "300", "--years", "2", "--today", today], {
    env: { ...process.env, SGD_PASSPHRASE: PASS },
    stdio: "ignore",
  });
  return store;
}

// Marks the press of Unlock and the first frame painted after a prompt appears, inside the page
// so WebDriver's polling adds nothing; the window times each command itself (lib/ipc.ts).
const INSTRUMENT = `
  const t = { pressed: 0, painted: 0, calls: [] };
  window.__sgdTiming = t;
  performance.clearMeasures();
  document.querySelector("[data-testid=unlock]").addEventListener("click", () => { t.pressed = performance.now(); }, { capture: true });
  window.__sgdPainted = new Promise((done) => {
    const seen = () => {
      if (!document.querySelector("[data-testid=prompt]")) return false;
      requestAnimationFrame(() => requestAnimationFrame(() => {
        t.painted = performance.now();
        t.calls = performance.getEntriesByType("measure").filter((m) => m.name.startsWith("ipc "))
          .map((m) => ({ cmd: m.name.slice(4), start: m.startTime, end: m.startTime + m.duration }));
        done();
      }));
      return true;
    };
    const watch = new MutationObserver(() => { if (seen()) watch.disconnect(); });
    watch.observe(document.body, { childList: true, subtree: true });
  });
`;

const shown = (d) => d.exec("return [...document.querySelectorAll('[data-testid=prompt]')].map(e => e.dataset.rule);");

test("Today pages a school's prompts: most urgent first, counted by rule, filtered by rule and year", { timeout: 300_000 }, async () => {
  assert.ok(app && existsSync(app), `SGD_APP_BINARY must name the built app (got ${app})`);
  assert.ok(cli && existsSync(cli), `SGD_CLI_BINARY must name sgd (got ${cli})`);
  const store = seededSchool();
  // How many escalations the school holds, as the CLI counts them (before the window holds it).
  const stats = execFileSync(cli, ["stats", store], { env: { ...process.env, SGD_PASSPHRASE: PASS } }).toString();
  const escalationLine = stats.split("\n").find((l) => /escalations?$/i.test(l.trim()));
  assert.ok(escalationLine, stats);
  const escalations = Number(escalationLine.trim().split(/\s+/)[0]);
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  try {
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.type("[data-testid=passphrase]", PASS);
    // Timed inside the page, so WebDriver's polling adds nothing: from the press of Unlock to
    // the frame after the first prompt is in the document, and each command the window called.
    await d.exec(INSTRUMENT);
    await d.click("[data-testid=unlock]");
    await d.find("[data-testid=prompt]", 30_000);
    const timing = await d.exec("return window.__sgdPainted.then(() => window.__sgdTiming);");
    const painted = Math.round(timing.painted - timing.pressed);
    const calls = timing.calls.map((c) => `${c.cmd} ${Math.round(c.start - timing.pressed)}+${Math.round(c.end - c.start)}`).join(", ");
    console.log(`unlock to Today's prompts painted: ${painted} ms (command: started+took ms: ${calls})`);

    const all = Number((await d.text("[data-testid=prompt-count]")).replace(/\D/g, ""));
    assert.ok(all > 30, `a seeded school has more prompts than one page (${all})`);
    const first = await shown(d);
    assert.equal(first.length, 30, "one page of 30");
    const elements = await d.exec("return document.querySelectorAll('a, button, input, select, textarea, summary').length;");
    assert.ok(elements < 600, `the page stays small: ${elements} focusable elements`);
    const groups = await d.exec(
      "return [...document.querySelectorAll('[data-testid=prompt-group]')].map(e => [e.dataset.rule, Number(e.textContent.match(/\\((\\d+)\\)$/)[1])]);",
    );
    assert.equal(groups.reduce((n, [, c]) => n + c, 0), all, `the counts add up: ${JSON.stringify(groups)}`);
    // The most urgent rule leads, and the page is in rule order.
    assert.equal(first[0], groups[0][0]);
    const order = groups.map(([r]) => r);
    const ranks = first.map((r) => order.indexOf(r));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `in rule order: ${first}`);
    await d.screenshot(shots, "40-today-at-scale");

    // The next page carries on from the first.
    await d.click("[data-testid=prompt-next]");
    await d.waitText("[data-testid=prompt-range]", (t) => t.startsWith("Showing 31–"));
    const second = await shown(d);
    assert.ok(second.length > 0 && order.indexOf(second[0]) >= order.indexOf(first[29]), `${second}`);

    // One rule only: every prompt shown is that rule's, as many as its count says (up to a page).
    const [rule, count] = groups[groups.length - 1];
    await d.click(`[data-testid=prompt-group][data-rule=${rule}]`);
    for (let i = 0; i < 50; i++) {
      const now = await shown(d);
      if (now.length && now.every((r) => r === rule)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const only = await shown(d);
    assert.ok(only.every((r) => r === rule), `only ${rule}: ${only}`);
    assert.equal(only.length, Math.min(count, 30));
    await d.screenshot(shots, "41-today-one-rule");

    // A year group: the counts are of that year's children only (which child is in which year
    // the core decides; tests/prompts.rs checks each prompt names one).
    const years = await d.exec("return [...document.querySelectorAll('[data-testid=prompt-year] option')].map(o => o.value).filter(Boolean);");
    assert.ok(years.length >= 2, `year groups offered: ${years}`);
    const sum = () =>
      d.exec("return [...document.querySelectorAll('[data-testid=prompt-group]')].reduce((n, e) => n + Number(e.textContent.match(/\\((\\d+)\\)$/)[1]), 0);");
    await d.select("[data-testid=prompt-year]", years[0]);
    let inYear = all;
    for (let i = 0; i < 50 && inYear === all; i++) {
      await new Promise((r) => setTimeout(r, 100));
      inYear = await sum();
    }
    assert.ok(inYear > 0 && inYear < all, `${years[0]} has some of the ${all} prompts (${inYear})`);
    await d.screenshot(shots, "42-today-one-year");

    // The escalations of years, a page at a time (resolved ones too), newest first.
    await d.click("[data-testid=nav-escalations]");
    await d.find("[data-testid=escalations]");
    await d.click("[data-testid=include-resolved]");
    const rows = () => d.exec("return document.querySelectorAll('[data-testid=escalations] tbody tr').length;");
    if (escalations > 25) {
      await d.waitText("[data-testid=escalation-range]", (t) => t === `Showing 1–25 of ${escalations}`, 30_000);
      assert.equal(await rows(), 25);
      await d.screenshot(shots, "43-escalations-paged");
      await d.click("[data-testid=escalation-next]");
      await d.waitText("[data-testid=escalation-range]", (t) => t.startsWith("Showing 26–"));
      assert.equal(await rows(), Math.min(25, escalations - 25));
    } else {
      for (let i = 0; i < 50 && (await rows()) !== escalations; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await rows(), escalations, "every escalation on the one page");
    }
  } finally {
    await d.quit();
  }
});
