// Backup and restore in the real window, with the progress of long operations shown: the DSL
// backs the store up through the native save dialog (the progress panel names each step),
// removes the deputy (the store is re-encrypted, with its progress shown), locks, and restores
// the backup from the unlock screen into a new folder, which the window then opens: the
// deputy, removed after the backup was made, is in the restored store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver, answerFileDialog } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const PASS = "e2e backup test passphrase";

/** Records every text the progress panel shows from now on (it may be up for a moment only). */
const WATCH_PROGRESS = `
  window.__progress = [];
  new MutationObserver(() => {
    const p = document.querySelector("[data-testid=progress]");
    if (p && window.__progress.at(-1) !== p.textContent) window.__progress.push(p.textContent.trim());
  }).observe(document.body, { subtree: true, childList: true, characterData: true });`;

test("a backup made and restored in the window, with the progress of each long operation shown", { timeout: 240_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), "sgd-e2e-backup-"));
  const store = join(root, "demo");
  const backup = join(root, "before-removal.sgdbackup");
  const restored = join(root, "restored");
  execFileSync(cli, ["demo", store], { env: { ...process.env, SGD_PASSPHRASE: PASS }, stdio: "ignore" });
  const d = await Driver.start({ application: app, env: { SGD_STORE: store } });
  const unlockAs = (user) => d.unlockAs(user, PASS);
  try {
    await unlockAs("Rachel Adeyemi");
    await d.click("[data-testid=nav-settings]");
    await d.find("[data-testid=backup]");
    await d.exec(WATCH_PROGRESS);
    await d.click("[data-testid=backup]");
    await answerFileDialog("Save the backup", backup);
    await d.waitText("[data-testid=backup-saved]", (t) => t.includes(backup));
    const backingUp = await d.exec("return window.__progress;");
    assert.ok(backingUp.some((t) => t.startsWith("Backing up the store: copying the database")), `backup progress shown: ${JSON.stringify(backingUp)}`);
    assert.ok(backingUp.some((t) => t.includes("writing the backup file")), JSON.stringify(backingUp));
    assert.equal(statSync(backup).mode & 0o777, 0o600, "the backup file is private");
    await d.screenshot(shots, "50-backup-saved");

    // Removing the deputy re-encrypts the store; the panel says so while it runs.
    await d.exec(WATCH_PROGRESS);
    await d.click("[data-testid='remove-Tom Whitfield']");
    await d.click("[data-testid=remove-confirm]");
    await d.waitText("[data-testid=users]", (t) => !t.includes("Tom Whitfield"));
    const rekey = await d.exec("return window.__progress;");
    for (const step of ["writing the database under the new key", "checking the new copy", "putting the new copy in place"]) {
      assert.ok(rekey.some((t) => t.startsWith("Changing the database key") && t.includes(step)), `rekey step "${step}" shown: ${JSON.stringify(rekey)}`);
    }
    await d.click("[data-testid=lock]");

    // Restore from the unlock screen into a new folder named in the save dialog.
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.exec(WATCH_PROGRESS);
    await d.click("[data-testid=restore] summary");
    await d.type("[data-testid=restore-user]", "Rachel Adeyemi");
    await d.type("[data-testid=restore-passphrase]", PASS);
    await d.click("[data-testid=restore-choose]");
    await answerFileDialog("Choose the backup to restore", backup);
    await answerFileDialog("Name the new folder for the restored store", restored);
    await d.waitText("[data-testid=restored]", (t) => t.includes(restored));
    const restoring = await d.exec("return window.__progress;");
    for (const step of ["unpacking the backup", "checking every record and the audit trail", "putting the restored store in its folder"]) {
      assert.ok(restoring.some((t) => t.startsWith("Restoring a backup") && t.includes(step)), `restore step "${step}" shown: ${JSON.stringify(restoring)}`);
    }
    assert.ok(existsSync(join(restored, "keyring.json")));
    assert.equal(statSync(restored).mode & 0o777, 0o700, "the restored folder is private");
    await d.waitText("main", (t) => t.includes(restored), 5000);
    await d.screenshot(shots, "51-restored");
    await unlockAs("Rachel Adeyemi");
    await d.click("[data-testid=nav-settings]");
    await d.waitText("[data-testid=users]", (t) => t.includes("Tom Whitfield"));
    // The panel goes once the operation is over.
    let left = 1;
    for (let i = 0; i < 40 && left; i++) {
      left = await d.count("[data-testid=progress]");
      if (left) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(left, 0, "the progress panel closed after the restore finished");
    await d.screenshot(shots, "52-restored-store-users");
  } finally {
    await d.quit();
  }
});
