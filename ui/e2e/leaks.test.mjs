// The webview writes nothing of a record to disk: the window runs under a throwaway HOME, XDG
// folders and TMPDIR; a DSL and a member of staff type marker text into records (a concern, its
// child's words, a search, a draft); after the window has locked and quit, every file under
// those folders (WebKit's profile and caches, recently-used.xbel, thumbnails, temp files) is
// read and none holds a marker. The store itself is elsewhere: it holds them, encrypted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Driver, filesUnder } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const PASS = "e2e leak test passphrase";
const MARKERS = ["QZXLEAKACCOUNT", "QZXLEAKWORDS", "QZXLEAKSEARCH", "QZXLEAKSTAFF", "QZXLEAKDRAFT"];


/** Every file under `root`, and each marker found in one (UTF-8 or UTF-16). */
function scan(root) {
  const files = filesUnder(root);
  const found = [];
  for (const f of files) {
    let bytes;
    try {
      bytes = readFileSync(f);
    } catch {
      continue; // gone between listing and reading (WebKit's own temp files)
    }
    for (const m of MARKERS) {
      for (const enc of ["utf8", "utf16le"]) {
        if (bytes.includes(Buffer.from(m, enc))) found.push(`${m} (${enc}) in ${f}`);
      }
    }
  }
  return { files, found };
}

test("the webview writes nothing of a record outside the store (throwaway HOME, XDG, TMPDIR)", { timeout: 240_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), "sgd-e2e-leaks-"));
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-leak-store-")), "demo");
  const home = join(root, "home");
  const env = {
    HOME: home,
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local/state"),
    XDG_RUNTIME_DIR: join(root, "run"),
    TMPDIR: join(root, "tmp"),
    SGD_STORE: store,
  };
  for (const d of [env.XDG_DATA_HOME, env.XDG_CONFIG_HOME, env.XDG_CACHE_HOME, env.XDG_STATE_HOME, env.XDG_RUNTIME_DIR, env.TMPDIR]) mkdirSync(d, { recursive: true });
  execFileSync(cli, ["demo", store], { env: { ...process.env, SGD_PASSPHRASE: PASS }, stdio: "ignore" });
  const scans = [];
  const d = await Driver.start({ application: app, env });
  const unlockAs = (user) => d.unlockAs(user, PASS);
  const pick = async (name) => d.select("[data-testid=concern-pupil]", await d.exec(`return [...document.querySelectorAll('[data-testid=concern-pupil] option')].find(o => o.textContent.startsWith(${JSON.stringify(name)})).value;`));
  try {
    await unlockAs("Rachel Adeyemi");
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await pick("Liam Brennan");
    await d.click("[data-testid=category-neglect]");
    await d.type("[data-testid=account]", `Liam said he had no breakfast ${MARKERS[0]}.`);
    await d.type("[data-testid=child-words-input]", `I was hungry ${MARKERS[1]}`);
    await d.click("[data-testid=save-concern]");
    await d.waitText("[data-testid=chronology]", (t) => t.includes(MARKERS[0]));
    await d.click("[data-testid=nav-search]");
    await d.type("[data-testid=search-input]", MARKERS[2]);
    await sleep(800);
    await d.exec("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));");
    // A draft left unsaved when the window locks.
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await d.type("[data-testid=account]", `unsaved ${MARKERS[4]}`);
    await sleep(2500); // the autosave
    await d.click("[data-testid=lock]");
    await unlockAs("Daniel Okoro");
    await d.click("[data-testid=nav-concern]");
    await d.find("[data-testid=concern-form]");
    await pick("Amir Haddad");
    await d.click("[data-testid=category-mental_health]");
    await d.type("[data-testid=account]", `Amir cried at lunch ${MARKERS[3]}.`);
    await d.click("[data-testid=save-concern]");
    await d.waitText("[data-testid=chronology]", (t) => t.includes(MARKERS[3]));
    await d.screenshot(shots, "40-leak-test-staff");
    await d.click("[data-testid=lock]");
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await sleep(1000);
    // Read while the window still runs too: its private profile folder goes at exit.
    scans.push(scan(root));
  } finally {
    await d.quit();
  }
  await sleep(1000); // let WebKit's processes flush and exit
  scans.push(scan(root));
  const profile = scans[0].files.filter((f) => f.includes(join(root, "run", "safeguard-desk-webview-")));
  assert.ok(profile.length > 0, "the webview's profile was in its private folder under the throwaway XDG_RUNTIME_DIR (the test looks in the right place)");
  const found = scans.flatMap((s) => s.found);
  assert.deepEqual(found, [], "record text reached the disk outside the store");
});
