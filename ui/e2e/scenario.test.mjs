// The DSL's whole day in the real window, on a store made by the first-run screen:
// pupils and a sibling link → a concern with the child's words and a body map → one Operation
// Encompass notification for two siblings → their follow-ups on Today → a referral → "no
// further action" → escalation stage 1 → stage 2 → resolved → the head's review shows the
// history. Also: a draft kept over lock and unlock (and never in plaintext on disk), a wrong
// passphrase's message, an amendment with its history, staff seeing only their own concern.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver, answerFileDialog } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const PASS = "scenario correct horse battery";
const HEAD_PASS = "head teacher long passphrase";
const STAFF_PASS = "staff member long passphrase";

/** London wall-clock time `hoursAgo` hours ago, as the window expects it typed. */
function londonTyped(hoursAgo) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(Date.now() - hoursAgo * 3600_000))
      .map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("a DSL's day: concern, notification for siblings, referral, NFA, escalation to resolution, the head's review", { timeout: 420_000 }, async () => {
  assert.ok(app && existsSync(app), `SGD_APP_BINARY must name the built app (got ${app})`);
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-day-")), "store");
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  const unlockAs = (user, pass) => d.unlockAs(user, pass);
  // The value of the option starting with `startsWith`, once the list has loaded.
  const optionValue = async (select, startsWith) => {
    for (let i = 0; i < 100; i++) {
      const v = await d.exec(`return [...document.querySelectorAll('${select} option')].find(o => o.textContent.startsWith(arguments[0]))?.value ?? null;`, [startsWith]);
      if (v) return v;
      await sleep(100);
    }
    throw new Error(`no option "${startsWith}" in ${select}`);
  };
  const openPupil = async (name) => {
    await d.click("[data-testid=nav-pupils]");
    await d.type("[data-testid=pupil-search]", name.split(" ")[0]);
    await d.waitText("[data-testid=pupil-list]", (t) => t.includes(name));
    await d.click("[data-testid=pupil-link]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === name);
  };
  try {
    // First run.
    await d.waitText("h1", (t) => t.includes("Set up Safeguard Desk"));
    await d.type("#school", "Brook Lane Primary (E2E)");
    await d.type("#la", "Testshire County Council");
    await d.type("#name", "Erin Example");
    await d.type("#pass", PASS);
    await d.type("#confirm", PASS);
    await d.click("[data-testid=create]");
    await d.find("[data-testid=recovery-key]");
    await d.click("[data-testid=stored-safely]");
    await d.click("[data-testid=continue]");
    await d.waitText("[data-testid=who]", (t) => t.includes("Erin Example · DSL"));

    // Two siblings, added and linked from the window.
    await d.click("[data-testid=nav-pupils]");
    for (const [first, dob, year] of [["Maya", "14/03/2017", "Year 4"], ["Oskar", "02/09/2019", "Year 2"]]) {
      await d.click("[data-testid=add-pupil]");
      await d.type("[data-testid=new-first]", first);
      await d.type("[data-testid=new-last]", "Kowalczyk");
      await d.type("[data-testid=new-dob]", dob);
      await d.type("[data-testid=new-gender]", first === "Maya" ? "Female" : "Male");
      await d.type("[data-testid=new-year]", year);
      if (first === "Maya") await d.screenshot(shots, "20-add-pupil");
      await d.click("[data-testid=save-pupil]");
      await d.waitText("[data-testid=pupil-name]", (t) => t === `${first} Kowalczyk`);
      if (first === "Maya") await d.click("[data-testid=nav-pupils]");
    }
    await d.click("[data-testid=add-family]");
    await d.select("[data-testid=family-pupil]", await optionValue("[data-testid=family-pupil]", "Maya Kowalczyk"));
    await d.type("[data-testid=family-relationship]", "sister");
    await d.click("[data-testid=save-family]");
    await d.waitText("[data-testid=household]", (t) => t.includes("Maya Kowalczyk"));
    await d.click("[data-testid=add-family]");
    await d.click("[data-testid=family-person]");
    await d.type("[data-testid=family-name]", "Anna Kowalczyk");
    await d.type("[data-testid=family-relationship]", "mother");
    await d.click("[data-testid=family-pr]");
    await d.click("[data-testid=save-family]");
    await d.waitText("[data-testid=household]", (t) => t.includes("Anna Kowalczyk"));
    // Her partner, who has since moved out: his leaving and why are kept with him.
    await d.click("[data-testid=add-family]");
    await d.click("[data-testid=family-person]");
    await d.type("[data-testid=family-name]", "Piotr Nowak");
    await d.type("[data-testid=family-relationship]", "mother's partner");
    await d.click("[data-testid=save-family]");
    await d.waitText("[data-testid=household]", (t) => t.includes("Piotr Nowak"));
    await d.click('[data-testid=leave-member][data-member="Piotr Nowak"]');
    await d.type("[data-testid=leave-reason]", "Moved out after the police visit in November.");
    await d.click("[data-testid=save-leave]");
    await d.waitText("[data-testid=household]", (t) => t.includes("Piotr Nowak — has left"));
    await d.click("[data-testid=household] tr.left details summary");
    await d.waitText("[data-testid=household] tr.left details", (t) => t.includes("Moved out after the police visit in November."));
    await d.screenshot(shots, "21-household");

    // A concern about Maya with her words and a body map mark.
    await openPupil("Maya Kowalczyk");
    await d.click("[data-testid=record-concern-for]");
    await d.find("[data-testid=concern-form]");
    await d.type("[data-testid=location]", "Playground");
    await d.click("[data-testid=category-physical_abuse]");
    await d.type("[data-testid=account]", "At 10:40 Maya pulled her sleeve down when asked to roll it up for painting. A purple bruise about 3 cm wide was seen on her left forearm. She was clearly upset.");
    await d.type("[data-testid=child-words-input]", "Daddy grabbed me when I spilled the juice.");
    await d.click("[data-testid=body-front]");
    await d.type("[data-testid=mark-description]", "Purple bruise about 3 cm wide, left forearm");
    await d.type("[data-testid=immediate-action]", "DSL informed at 10:50; Maya stayed with her teacher.");
    await d.screenshot(shots, "22-concern-body-map");
    await d.click("[data-testid=save-concern]");
    await d.waitText("[data-testid=pupil-name]", (t) => t === "Maya Kowalczyk");
    const chron = await d.waitText("[data-testid=chronology]", (t) => t.includes("purple bruise"));
    assert.match(chron, /In the child's words: “Daddy grabbed me when I spilled the juice\.”/);
    assert.match(chron, /Body map:\s*1\. \(front\) Purple bruise about 3 cm wide, left forearm/);

    // Amend the location, with a reason; the history shows it.
    await d.click("[data-testid=amend]");
    await d.select("[data-testid=amend-field]", "location");
    await d.type("[data-testid=amend-value]", "Year 4 classroom (art lesson)");
    await d.type("[data-testid=amend-reason]", "The teacher corrected where it was seen");
    await d.screenshot(shots, "23-amend");
    await d.click("[data-testid=save-amendment]");
    await d.waitText("[data-testid=amendment-history]", (t) => t.includes("Amended 1 time"));

    // The paper form the teacher filled in, attached through the open dialog.
    const scan = resolve("../assets/demo/staff-concern-form.png");
    await d.click("[data-testid=attach]");
    await answerFileDialog("Attach a scanned form or photograph", scan);
    const attached = await d.waitText("[data-testid=attachments]", (t) => t.includes("staff-concern-form.png"));
    assert.match(attached, /SHA-256 [0-9a-f]{12}/);

    // Maya is placed on a child protection plan: a choice, amended with its reason; the pupil
    // list's status filter then finds her and not her brother.
    await d.click("[data-testid=amend-pupil]");
    await d.select("[data-testid=amend-field]", "protection_status");
    await d.select("[data-testid=amend-value]", "child_protection_plan");
    await d.type("[data-testid=amend-reason]", "Initial child protection conference");
    await d.click("[data-testid=save-amendment]");
    await d.waitText("[data-testid=pupil-details]", (t) => t.includes("Child protection plan"));
    await d.click("[data-testid=nav-pupils]");
    await d.select("[data-testid=pupil-flag]", "child_protection_plan");
    const onPlan = await d.waitText("[data-testid=pupil-list]", (t) => t.includes("Maya Kowalczyk") && !t.includes("Oskar"));
    assert.match(onPlan, /CP plan/);
    await d.screenshot(shots, "23b-pupils-on-a-plan");

    // One Operation Encompass notification for both siblings: Oskar is suggested as Maya's sibling.
    await d.click("[data-testid=nav-notification]");
    await d.find("[data-testid=notification-form]");
    await d.type("[data-testid=received-at]", londonTyped(1));
    await d.type("[data-testid=police-force]", "Testshire Police");
    await d.type("[data-testid=officer]", "PC 4411 Hughes");
    await d.type("[data-testid=police-reference]", "TP/26/118842");
    await d.type("[data-testid=incident-at]", londonTyped(9));
    await d.type("[data-testid=incident-location]", "Family home");
    await d.type("[data-testid=circumstances]", "Police called by a neighbour to a verbal argument between adults; father left the address.");
    await d.select("[data-testid=notification-pupil]", await optionValue("[data-testid=notification-pupil]", "Maya Kowalczyk"));
    await d.click("[data-testid=add-child]");
    await d.waitText("[data-testid=sibling-suggestions]", (t) => t.includes("Oskar Kowalczyk"));
    await d.click("[data-testid=add-sibling]");
    for (let i = 0; i < 50 && (await d.count("[data-testid=notification-child]")) < 2; i++) await sleep(100);
    assert.equal(await d.count("[data-testid=notification-child]"), 2, "both siblings on one notification");
    await d.screenshot(shots, "24-notification");
    await d.click("[data-testid=save-notification]");
    await d.waitText("[data-testid=today]", (t) => t.includes("Operation Encompass"));
    const fus = await d.waitText("[data-testid=follow-ups]", (t) => t.includes("Maya Kowalczyk") && t.includes("Oskar Kowalczyk"));
    assert.match(fus, /Operation Encompass/i, "each child has a follow-up from the notification");
    await d.screenshot(shots, "25-today-follow-ups");

    // Complete Oskar's follow-up with an outcome.
    await d.click("[data-testid=nav-follow-ups]");
    await d.waitText("[data-testid=open-follow-ups]", (t) => t.includes("Oskar Kowalczyk"));
    assert.equal(await d.count("[data-testid=follow-up]"), 2);
    await d.exec("[...document.querySelectorAll('[data-testid=follow-up]')].find(r => r.textContent.includes('Oskar')).querySelector('[data-testid=complete]').click();");
    await d.type("[data-testid=outcome]", "Seen at the classroom door at 08:45; settled; silent support in place.");
    await d.screenshot(shots, "26-follow-ups");
    await d.click("[data-testid=save-outcome]");
    await d.waitText("[data-testid=completed-follow-ups]", (t) => t.includes("silent support in place"));
    assert.equal(await d.count("[data-testid=follow-up]"), 1);

    // A referral for Maya and its decision: no further action.
    await openPupil("Maya Kowalczyk");
    await d.click("[data-testid=record-referral-for]");
    await d.find("[data-testid=referral-form]");
    await d.type("[data-testid=what-shared]", "Bruise on Maya's left forearm and her words about her father; police notification for the household last night.");
    await d.select("[data-testid=consent]", "given");
    await d.click("[data-testid=save-referral]");
    await d.waitText("[data-testid=awaiting-decisions]", (t) => t.includes("Referrals awaiting a decision"));
    await d.click("[data-testid=record-decision]");
    await d.select("[data-testid=decision-outcome]", "no_further_action");
    await d.type("[data-testid=decision-notes]", "Threshold not met; advice to school.");
    await d.click("[data-testid=save-decision]");
    await d.waitText("[data-testid=chronology]", (t) => t.includes("Referral decision: no further action"));

    // Challenge it: escalation stage 1, their response, stage 2, resolved.
    await d.click("[data-testid=escalate-referral]");
    await d.find("[data-testid=open-escalation-form]");
    await d.type("[data-testid=esc-subject]", "No further action despite a disclosure and a domestic abuse notification");
    await d.type("[data-testid=stage-with-name]", "Sam Patel");
    await d.type("[data-testid=stage-with-role]", "Social worker");
    await d.type("[data-testid=stage-disagreement]", "The decision does not weigh Maya's disclosure or the police notification.");
    await d.type("[data-testid=stage-evidence]", "Concern and body map, referral, Operation Encompass notification TP/26/118842.");
    await d.screenshot(shots, "27-open-escalation");
    await d.click("[data-testid=save-escalation]");
    await d.waitText("[data-testid=esc-status]", (t) => t.includes("Open at stage 1"));
    await d.click("[data-testid=esc-response]");
    await d.type("[data-testid=esc-text]", "The team manager will review the decision.");
    await d.click("[data-testid=esc-save]");
    await d.waitText("[data-testid=response]", (t) => t.includes("will review"));
    await d.click("[data-testid=esc-advance]");
    await d.find("[data-testid=advance-form]");
    await d.type("[data-testid=next-with-name]", "Jo Reid");
    await d.type("[data-testid=next-with-role]", "Team manager");
    await d.click("[data-testid=esc-save]");
    await d.waitText("[data-testid=esc-status]", (t) => t.includes("Open at stage 2"));
    await d.screenshot(shots, "28-escalation-stage-2");
    await d.click("[data-testid=esc-resolve]");
    await d.type("[data-testid=esc-text]", "Decision changed: child and family assessment allocated.");
    await d.click("[data-testid=esc-save]");
    await d.waitText("[data-testid=esc-status]", (t) => t.includes("Resolved"));
    assert.equal(await d.count("[data-testid=stage]"), 2);

    // The referral PDF from Maya's page: flagged language is shown first; the file goes where
    // the native save dialog is told (answered with xdotool, as a person would type a path).
    const out = mkdtempSync(join(tmpdir(), "sgd-e2e-docs-"));
    await openPupil("Maya Kowalczyk");
    await d.click("[data-testid=doc-referral]");
    const flagged = await d.waitText("[data-testid=referral-flags]", (t) => t.includes("clearly"));
    assert.match(flagged, /Instead:/);
    await d.exec("document.querySelector('[data-testid=referral-chooser]').scrollIntoView();");
    await d.screenshot(shots, "28b-referral-flags");
    await d.click("[data-testid=save-referral-pdf]");
    await answerFileDialog("Save the document", join(out, "Referral - Maya.pdf"));
    const saved = await d.waitText("[data-testid=doc-message]", (t) => t.startsWith("Saved"));
    const pdfPath = join(out, "Referral - Maya.pdf");
    assert.ok(saved.includes(pdfPath) && existsSync(pdfPath), saved);
    const pdfText = execFileSync("pdftotext", ["-raw", pdfPath, "-"]).toString();
    for (const expected of ["OFFICIAL-SENSITIVE", "Referral: Maya Kowalczyk", "1. Referrer", "Erin Example", "Daddy grabbed me when I spilled the juice.", "6. The child's voice", "Page 1 of"]) {
      assert.ok(pdfText.includes(expected), `the referral PDF says "${expected}"`);
    }
    await d.click("[data-testid=doc-chronology]");
    await answerFileDialog("Save the document", join(out, "chronology.pdf"));
    await d.waitText("[data-testid=doc-message]", (t) => t.includes("chronology.pdf"));
    assert.match(execFileSync("pdftotext", ["-raw", join(out, "chronology.pdf"), "-"]).toString(), /Chronology: Maya Kowalczyk/);
    await d.exec("document.querySelector('[data-testid=documents]').scrollIntoView();");
    await d.screenshot(shots, "28c-documents");

    // Settings: an impossible INSET date is refused by name and nothing is saved; then the
    // thresholds, the idle lock and an INSET day are saved together.
    await d.click("[data-testid=nav-settings]");
    await d.find("[data-testid=settings-form]");
    await d.type("[data-testid=inset-days]", "30/02/2027");
    await d.type("[data-testid=nfa-concerns]", "2");
    await d.click("[data-testid=save-settings]");
    assert.match(await d.waitText("[data-testid=error]", (t) => t.length > 0), /INSET day/);
    await d.click("[data-testid=nav-today]");
    await d.click("[data-testid=nav-settings]");
    await d.find("[data-testid=settings-form]");
    assert.equal(await d.exec("return document.querySelector('[data-testid=nfa-concerns]').value;"), "3", "nothing of a refused save is kept");
    await d.type("[data-testid=inset-days]", "04/01/2027");
    await d.type("[data-testid=nfa-concerns]", "2");
    await d.type("[data-testid=idle-minutes]", "10");
    await d.click("[data-testid=save-settings]");
    await d.waitText("[data-testid=saved]", (t) => t.includes("saved"));
    await d.exec("window.scrollTo(0, 0);");
    await d.screenshot(shots, "29a-settings-top");
    assert.equal(await d.exec("return document.querySelector('[data-testid=nfa-concerns]').value;"), "2");
    assert.equal(await d.exec("return document.querySelector('[data-testid=inset-days]').value;"), "04/01/2027");

    // The head and a member of staff.
    for (const [name, role, pass] of [["Hana Head", "head", HEAD_PASS], ["Sam Staff", "staff", STAFF_PASS]]) {
      await d.type("[data-testid=new-user-name]", name);
      await d.select("[data-testid=new-user-role]", role);
      await d.type("[data-testid=new-user-pass]", pass);
      await d.type("[data-testid=new-user-confirm]", pass);
      await d.click("[data-testid=save-user]");
      await d.waitText("[data-testid=users]", (t) => t.includes(name), 60_000);
    }
    await d.screenshot(shots, "29b-settings-users");

    // A new recovery key: confirmed, the store re-encrypted, the key shown once.
    await d.click("[data-testid=rotate-recovery]");
    await d.click("[data-testid=rotate-recovery-confirm]");
    await d.waitText("[data-testid=new-recovery-key]", (t) => /([0-9A-Z]{4}-){7}[0-9A-Z]{4}/.test(t), 60_000);
    await d.screenshot(shots, "29c-settings-recovery-key");

    // A draft survives a lock: typed, locked, unlocked, restored — and never plaintext on disk.
    const marker = "DRAFTMARKER Oskar said his tummy hurt";
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await d.type("[data-testid=account]", marker);
    await sleep(1000);
    await d.click("[data-testid=lock]");
    await d.waitText("h1", (t) => t.includes("Unlock"));
    assert.equal(await d.count("[data-testid=concern-form]"), 0, "locking clears the screen");
    for (const f of readdirSync(store)) {
      assert.ok(!readFileSync(join(store, f)).includes(Buffer.from("DRAFTMARKER")), `draft in plaintext in ${f}`);
    }
    await d.select("[data-testid=user]", "Erin Example");
    await d.type("[data-testid=passphrase]", "not my passphrase");
    await d.click("[data-testid=unlock]");
    assert.match(await d.waitText("[data-testid=error]", (t) => t.length > 0), /passphrase is not right/);
    await d.type("[data-testid=passphrase]", PASS);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=draft-restored]", (t) => t.includes("restored"));
    assert.equal(await d.exec("return document.querySelector('[data-testid=account]').value;"), marker);
    await d.screenshot(shots, "30-draft-restored");

    // The head's review: the whole history, read-only, with a review comment.
    await d.click("[data-testid=lock]");
    await unlockAs("Hana Head", HEAD_PASS);
    await d.click("[data-testid=nav-escalations]");
    await d.waitText("[data-testid=escalations]", (t) => t.includes("No further action despite"));
    await d.screenshot(shots, "31-head-escalation-list");
    await d.click("[data-testid=open-escalation]");
    await d.waitText("[data-testid=esc-status]", (t) => t.includes("Resolved"));
    const history = await d.text("main");
    for (const expected of ["Stage 1: Practitioner to practitioner", "Stage 2: Line manager to line manager", "Sam Patel", "Jo Reid", "The team manager will review the decision.", "Decision changed: child and family assessment allocated."]) {
      assert.ok(history.includes(expected), `the head sees "${expected}"`);
    }
    assert.equal(await d.count("[data-testid=esc-response]") + (await d.count("[data-testid=esc-advance]")) + (await d.count("[data-testid=esc-resolve]")), 0, "read-only for the head");
    await d.type("[data-testid=review-comment]", "Reviewed: the challenge was timely and changed the outcome.");
    await d.click("[data-testid=save-review]");
    await d.waitText("[data-testid=review-comments]", (t) => t.includes("changed the outcome"));
    await d.screenshot(shots, "32-head-review");

    // Staff: record a concern about Oskar; Maya's page shows none of the DSL's records.
    await d.click("[data-testid=lock]");
    await unlockAs("Sam Staff", STAFF_PASS);
    assert.equal(await d.count("[data-testid=nav-escalations]") + (await d.count("[data-testid=nav-settings]")), 0, "staff see no escalations or settings");
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await d.select("[data-testid=concern-pupil]", await optionValue("[data-testid=concern-pupil]", "Oskar Kowalczyk"));
    await d.click("[data-testid=category-neglect]");
    await d.type("[data-testid=account]", "Oskar had no packed lunch and said he was hungry at 12:10.");
    await d.click("[data-testid=save-concern]");
    await d.waitText("[data-testid=chronology]", (t) => t.includes("no packed lunch"));
    assert.equal(await d.count("[data-testid=entry]"), 1);
    await openPupil("Maya Kowalczyk");
    await sleep(500);
    assert.equal(await d.count("[data-testid=entry]"), 0, "a staff user cannot see another's concern");
    assert.doesNotMatch(await d.text("main"), /purple bruise/);
    await d.screenshot(shots, "33-staff-sees-own-only");
  } finally {
    await d.quit();
  }
});
