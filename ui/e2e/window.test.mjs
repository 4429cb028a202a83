// E2E smoke test of the real window (WebKitGTK through tauri-driver, under Xvfb):
// first run creates an encrypted store through the core, shows the recovery key once, opens
// Today; lock, a wrong passphrase's message, unlock again. Screenshots go to e2e-artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const SCHOOL = "Hillside Primary (E2E)";
const PASS = "e2e correct horse battery";

test("first run, lock, wrong passphrase, unlock, the idle lock with the window frozen", { timeout: 300_000 }, async () => {
  assert.ok(app && existsSync(app), `SGD_APP_BINARY must name the built app (got ${app})`);
  assert.ok(cli && existsSync(cli), `SGD_CLI_BINARY must name sgd (got ${cli})`);
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-")), "store");
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  try {
    await d.waitText("h1", (t) => t.includes("Set up Safeguard Desk"));
    assert.equal(await d.text("[data-testid=store-dir]"), store);
    await d.type("#school", SCHOOL);
    await d.type("#la", "Testshire County Council");
    await d.type("#name", "Erin Example");
    await d.type("#pass", "short");
    await d.type("#confirm", "short");
    await d.screenshot(shots, "01-first-run");
    await d.click("[data-testid=create]");
    const err = await d.waitText("[data-testid=error]", (t) => t.length > 0);
    assert.match(err, /passphrase/i, "a short passphrase is refused with a clear message");
    assert.ok(!existsSync(join(store, "keyring.json")), "nothing is written when the core refuses");

    await d.type("#pass", PASS);
    await d.type("#confirm", PASS);
    await d.click("[data-testid=create]");
    const key = await d.waitText("[data-testid=recovery-key]", (t) => /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/.test(t.trim()));
    await d.screenshot(shots, "02-recovery-key");
    const files = readdirSync(store);
    assert.ok(files.includes("keyring.json") && files.includes("records.db"), `store files: ${files}`);
    for (const f of files) {
      const bytes = readFileSync(join(store, f));
      assert.ok(!bytes.includes(Buffer.from(SCHOOL)), `school name in plaintext in ${f}`);
      assert.ok(!bytes.includes(Buffer.from(key.trim())), `recovery key written to ${f}`);
    }
    await d.click("[data-testid=stored-safely]");
    await d.click("[data-testid=continue]");
    await d.waitText("[data-testid=school]", (t) => t === SCHOOL);
    assert.match(await d.text("[data-testid=who]"), /Erin Example · DSL/);
    await d.waitText("[data-testid=today]", (t) => t.includes("follow-ups overdue"));
    await d.screenshot(shots, "03-today");

    await d.click("[data-testid=lock]");
    await d.waitText("h1", (t) => t.includes("Unlock Safeguard Desk"));
    await d.type("[data-testid=passphrase]", "not the passphrase");
    await d.click("[data-testid=unlock]");
    const wrong = await d.waitText("[data-testid=error]", (t) => t.length > 0);
    assert.match(wrong, /passphrase is not right/);
    await d.screenshot(shots, "04-wrong-passphrase");
    await d.type("[data-testid=passphrase]", PASS);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=school]", (t) => t === SCHOOL);
    await d.screenshot(shots, "05-unlocked-again");

    // The idle lock lives in the shell: with the window frozen (its script busy, reporting no
    // activity and unable to hear anything), the key is still dropped after the idle time.
    await d.click("[data-testid=nav-settings]");
    await d.find("[data-testid=settings-form]");
    await d.type("[data-testid=idle-minutes]", "1");
    await d.click("[data-testid=save-settings]");
    await d.waitText("[data-testid=saved]", (t) => t.includes("saved"));
    await d.click("[data-testid=lock]");
    await d.waitText("h1", (t) => t.includes("Unlock Safeguard Desk"));
    await d.type("[data-testid=passphrase]", PASS);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=school]", (t) => t === SCHOOL);
    await d.exec("setTimeout(() => { const t = Date.now(); while (Date.now() - t < 75000) {} }, 0);");
    await new Promise((r) => setTimeout(r, 67_000));
    // While the window is still frozen: the shell has let go of the store (a second program
    // may open it now), so the key is gone.
    const out = execFileSync(cli, ["stats", store], {
      env: { ...process.env, SGD_PASSPHRASE: PASS, SGD_USER: "Erin Example" },
    }).toString();
    assert.match(out, /pupils/, "sgd opened the store: the window's session was dropped");
    await d.waitText("h1", (t) => t.includes("Unlock Safeguard Desk"), 60_000);
    await d.screenshot(shots, "06-idle-locked-by-the-shell");
  } finally {
    await d.quit();
  }
});

test("demo school: every practice prompt on Today, dismiss with a reason, none for staff", { timeout: 180_000 }, async () => {
  assert.ok(cli && existsSync(cli), `SGD_CLI_BINARY must name sgd (got ${cli})`);
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-demo-")), "demo");
  const demoPass = "e2e demo passphrase";
  execFileSync(cli, ["demo", store], { env: { ...process.env, SGD_PASSPHRASE: demoPass }, stdio: "ignore" });
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  try {
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.select("[data-testid=user]", "Rachel Adeyemi");
    await d.type("[data-testid=passphrase]", demoPass);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=school]", (t) => t.includes("FICTIONAL DEMO"));
    await d.find("[data-testid=prompts]");
    const rules = await d.exec("return [...document.querySelectorAll('[data-testid=prompt]')].map(e => e.dataset.rule);");
    // Today's order: most urgent rule first (the same order as `sgd prompts`).
    const order = [
      "encompass_overdue",
      "escalation_stage_overdue",
      "nfa_while_concerns_continue",
      "referral_without_decision",
      "encompass_siblings",
      "accumulating_concerns",
      "childs_voice_absent",
    ];
    for (const rule of order) assert.ok(rules.includes(rule), `the demo triggers ${rule} (got ${rules})`);
    const ranks = rules.map((r) => order.indexOf(r));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `prompts in rule order: ${rules}`);
    const whyText = await d.text("[data-testid=prompt] .why");
    assert.match(whyText, /start of the next school day/, "each prompt says why");
    await d.screenshot(shots, "06-demo-today-prompts");

    const before = await d.count("[data-testid=prompt]");
    await d.click("[data-testid=dismiss]");
    await d.type("[data-testid=dismiss-reason]", "Both children seen at 08:40 by the Key Adult; recorded on paper, to be entered.");
    await d.screenshot(shots, "07-dismiss-with-reason");
    await d.click("[data-testid=dismiss-confirm]");
    for (let i = 0; i < 50 && (await d.count("[data-testid=prompt]")) !== before - 1; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await d.count("[data-testid=prompt]"), before - 1, "the dismissed prompt is gone");

    // One step per sibling: Ava and Noah are not on the notification about Liam.
    assert.equal(await d.count("[data-testid=add-sibling]"), 2);
    for (const expected of [1, 0]) {
      await d.click("[data-testid=add-sibling]");
      for (let i = 0; i < 50 && (await d.count("[data-testid=add-sibling]")) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await d.count("[data-testid=add-sibling]"), expected);
    }
    const siblingPrompt = await d.exec("return [...document.querySelectorAll('[data-testid=prompt][data-rule=encompass_siblings] .why')].map(e => e.textContent).join(' ');");
    assert.match(siblingPrompt, /Kyle Brennan \(Westmere Academy, Year 8\)/, "the reminder about the sibling at another school stays");
    assert.doesNotMatch(siblingPrompt, /Noah Brennan and Ava Brennan at this school/);

    // Every line on Today opens its record: the escalation stage due opens the escalation.
    await d.click("[data-testid=today-escalation]");
    await d.waitText("[data-testid=esc-status]", (t) => t.includes("Open at stage 2"));
    assert.match(await d.text("[data-testid=stage-tracker]"), /Practitioner to practitioner/);
    await d.screenshot(shots, "07b-escalation-from-today");

    await d.click("[data-testid=lock]");
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.select("[data-testid=user]", "Daniel Okoro");
    await d.type("[data-testid=passphrase]", demoPass);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=who]", (t) => t.includes("Daniel Okoro · Staff"));
    // Staff hold no database key: their home is what they recorded, here filed by the DSL.
    const mine = await d.waitText("[data-testid=my-concerns]", (t) => t.includes("Amir"));
    assert.match(mine, /filed by Rachel Adeyemi/);
    assert.equal(await d.count("[data-testid=today]"), 0, "staff see no dashboard");
    assert.equal(await d.count("[data-testid=prompts]"), 0, "staff see no prompts");
    await d.screenshot(shots, "08-staff-today");
  } finally {
    await d.quit();
  }
});

test("the desk: pupils, a child's chronology, recording a concern with the child's words, staff see only their own", { timeout: 240_000 }, async () => {
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-desk-")), "demo");
  const demoPass = "e2e demo passphrase";
  execFileSync(cli, ["demo", store], { env: { ...process.env, SGD_PASSPHRASE: demoPass }, stdio: "ignore" });
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  const unlockAs = (user) => d.unlockAs(user, demoPass);
  try {
    await unlockAs("Rachel Adeyemi");
    await d.click("[data-testid=nav-pupils]");
    await d.type("[data-testid=pupil-search]", "Liam");
    await d.waitText("[data-testid=pupil-list]", (t) => t.includes("Liam Brennan") && !t.includes("Zoë"));
    await d.screenshot(shots, "09-pupils");
    await d.click("[data-testid=pupil-link]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Liam Brennan");
    const chron = await d.waitText("[data-testid=chronology]", (t) => t.includes("There wasn't any food"));
    assert.match(chron, /Referral decision: no further action/);
    assert.match(await d.text("[data-testid=household]"), /Kyle Brennan \(Westmere Academy, Year 8\)/);
    await d.screenshot(shots, "10-pupil-page");

    // Record a concern from the child's page.
    await d.click("[data-testid=record-concern-for]");
    await d.find("[data-testid=concern-form]");
    await d.type("[data-testid=location]", "Year 3 classroom");
    await d.click("[data-testid=category-neglect]");
    await d.type("[data-testid=account]", "Liam arrived at 08:55 with no coat. He was clearly upset and ate two breakfasts.");
    await d.type("[data-testid=child-words-input]", "Mum said I'm streetwise so I can walk on my own.");
    const flags = await d.waitText("[data-testid=language-flags-account]", (t) => t.includes("clearly"));
    assert.match(flags, /Instead: State the evidence/);
    assert.equal(await d.count("[data-testid=language-flags-child-words]"), 0, "the child's words are never checked");
    await d.type("[data-testid=immediate-action]", "Breakfast given; DSL informed at 09:10.");
    await d.screenshot(shots, "11-record-concern");
    await d.click("[data-testid=save-concern]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Liam Brennan");
    const after = await d.waitText("[data-testid=chronology]", (t) => t.includes("ate two breakfasts"));
    assert.match(after, /In the child's words: “Mum said I'm streetwise so I can walk on my own\.”/);

    // The family view merges the three Brennan children.
    await d.click("[data-testid=family-toggle]");
    const fam = await d.waitText("[data-testid=chronology]", (t) => t.includes("Ava Brennan") && t.includes("Noah Brennan"));
    assert.match(fam, /Liam Brennan/);
    await d.screenshot(shots, "12-family-chronology");

    // The child's voice for Noah: his "voice missing" prompt clears.
    await d.exec("[...document.querySelectorAll('[data-testid=household] button')].find(b => b.textContent.includes('Noah Brennan')).click();");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Noah Brennan");
    await d.waitText("#pupil-prompts", (t) => t.includes("Prompts about this child"));
    assert.equal(await d.exec("return [...document.querySelectorAll('[data-testid=prompt]')].filter(p => p.dataset.rule === 'childs_voice_absent').length;"), 1);
    await d.click("[data-testid=record-voice-for]");
    await d.find("[data-testid=voice-form]");
    await d.type("[data-testid=voice-present]", "Noah and Rachel Adeyemi (DSL), in the library");
    await d.type("[data-testid=voice-words]", "I like Lego. Mummy is always tired and I make my own breakfast.");
    await d.type("[data-testid=voice-non-verbal]", "He was clearly anxious and held his sleeves.");
    await d.waitText("[data-testid=language-flags-non-verbal]", (t) => t.includes("clearly"));
    await d.screenshot(shots, "13a-voice");
    await d.click("[data-testid=save-voice]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Noah Brennan");
    await d.waitText("[data-testid=chronology]", (t) => t.includes("I make my own breakfast"));
    // Noah's other prompts (the family's neglect) load in the same section: wait for them.
    await d.waitText("#pupil-prompts", (t) => t.includes("Prompts about this child"));
    await d.waitText("[data-testid=prompts]", (t) => t.includes("Neglect indicators accumulating"));
    assert.equal(await d.exec("return document.querySelectorAll('[data-rule=childs_voice_absent]').length;"), 0, "the voice prompt clears");

    // A referral for Noah: without consent a reason is required (what was typed is kept);
    // then the decision, and the chronology shows both.
    await d.click("[data-testid=record-referral-for]");
    await d.find("[data-testid=referral-form]");
    await d.type("[data-testid=what-shared]", "Noah (5) said he makes his own breakfast; neglect concerns across the three siblings.");
    await d.select("[data-testid=consent]", "not_sought");
    await d.click("[data-testid=save-referral]");
    const refused = await d.waitText("[data-testid=error]", (t) => t.length > 0);
    assert.match(refused, /without consent/i);
    assert.match(await d.exec("return document.querySelector('[data-testid=what-shared]').value;"), /makes his own breakfast/, "a failed save keeps what was typed");
    await d.type("[data-testid=no-consent-reason]", "Telling the parents first could place the children at risk of harm.");
    await d.screenshot(shots, "13b-referral");
    await d.click("[data-testid=save-referral]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Noah Brennan");
    await d.waitText("[data-testid=awaiting-decisions]", (t) => t.includes("Referrals awaiting a decision"));
    await d.click("[data-testid=record-decision]");
    await d.select("[data-testid=decision-outcome]", "child_and_family_assessment");
    await d.type("[data-testid=decision-notes]", "Allocated for a child and family assessment.");
    await d.click("[data-testid=save-decision]");
    await d.waitText("[data-testid=chronology]", (t) => t.includes("Referral decision: child and family assessment"));
    assert.equal(await d.count("[data-testid=awaiting-decisions]"), 0, "nothing left awaiting a decision");

    // Search (Ctrl+K) finds the new concern.
    await d.click("[data-testid=nav-search]");
    await d.type("[data-testid=search-input]", "breakfasts");
    await d.waitText("[data-testid=search-hits]", (t) => t.includes("Liam Brennan"));
    await d.screenshot(shots, "13-search");
    await d.exec("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));");

    // A member of staff records a concern and sees only their own.
    await d.click("[data-testid=lock]");
    await unlockAs("Daniel Okoro");
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await d.select("[data-testid=concern-pupil]", await d.exec("return [...document.querySelectorAll('[data-testid=concern-pupil] option')].find(o => o.textContent.startsWith('Liam Brennan')).value;"));
    await d.click("[data-testid=category-attendance]");
    await d.type("[data-testid=account]", "Liam was absent this morning; no call from home by 10:00.");
    await d.click("[data-testid=save-concern]");
    const own = await d.waitText("[data-testid=chronology]", (t) => t.includes("no call from home by 10:00"));
    assert.doesNotMatch(own, /ate two breakfasts/, "staff do not see the DSL's concern");
    assert.equal(await d.count("[data-testid=entry]"), 1, "only the staff member's own concern");
    assert.equal(await d.count("[data-testid=pupil-details]"), 0, "staff see no pupil details");
    assert.match(own, /Waiting for the safeguarding team to open it/);
    await d.screenshot(shots, "14-staff-own-concern");

    // The DSL's next unlock files it from the inbox: a record with Daniel as its author.
    await d.click("[data-testid=lock]");
    await unlockAs("Rachel Adeyemi");
    await d.waitText("[data-testid=inbox-report]", (t) => t.includes("1 record from staff filed"));
    await d.screenshot(shots, "15-dsl-inbox-filed");
    await d.click("[data-testid=nav-search]");
    await d.type("[data-testid=search-input]", "no call from home");
    await d.waitText("[data-testid=search-hits]", (t) => t.includes("Liam Brennan"));
    await d.exec("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));");
    // And Daniel sees it as filed.
    await d.click("[data-testid=lock]");
    await unlockAs("Daniel Okoro");
    await d.waitText("[data-testid=my-concerns]", (t) => t.includes("Liam Brennan") && t.includes("filed by Rachel Adeyemi"));
    await d.screenshot(shots, "16-staff-sees-filed");
  } finally {
    await d.quit();
  }
});
