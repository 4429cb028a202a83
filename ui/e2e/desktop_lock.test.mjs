// The desktop's own lock reaches the store: on a private D-Bus (standing in for both the session
// and the system bus), the screen saver coming on, and then logind's prepare-for-sleep, each end
// at the unlock screen with the key dropped (sgd can open the store at once).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Driver } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");
const PASS = "e2e desktop lock passphrase";

function privateBus() {
  const daemon = spawn("dbus-daemon", ["--session", "--nofork", "--print-address=1"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((ok, fail) => {
    daemon.stdout.once("data", (b) => ok({ address: b.toString().trim(), daemon }));
    daemon.once("error", fail);
  });
}

test("the desktop's screen lock and prepare-for-sleep lock the store (private D-Bus)", { timeout: 180_000 }, async () => {
  const store = join(mkdtempSync(join(tmpdir(), "sgd-e2e-dbus-")), "demo");
  execFileSync(cli, ["demo", store], { env: { ...process.env, SGD_PASSPHRASE: PASS }, stdio: "ignore" });
  const { address, daemon } = await privateBus();
  const busEnv = { DBUS_SESSION_BUS_ADDRESS: address, DBUS_SYSTEM_BUS_ADDRESS: address };
  const signal = (path, member, ...args) =>
    execFileSync("dbus-send", [`--bus=${address}`, "--type=signal", path, member, ...args]);
  const stats = () =>
    execFileSync(cli, ["stats", store], { env: { ...process.env, SGD_PASSPHRASE: PASS, SGD_USER: "Rachel Adeyemi" } }).toString();
  const d = await Driver.start({ application: app, env: { SGD_STORE: store, ...busEnv } });
  const unlock = async () => {
    await d.waitText("h1", (t) => t.includes("Unlock"));
    await d.select("[data-testid=user]", "Rachel Adeyemi");
    await d.type("[data-testid=passphrase]", PASS);
    await d.click("[data-testid=unlock]");
    await d.waitText("[data-testid=who]", (t) => t.startsWith("Rachel Adeyemi"));
  };
  try {
    await unlock();
    assert.throws(stats, "the window holds the store while unlocked");
    signal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", "boolean:true");
    await d.waitText("h1", (t) => t.includes("Unlock"));
    assert.match(stats(), /concerns/, "the key is dropped: sgd opens the store");
    await d.screenshot(shots, "41-locked-by-the-screen-saver");
    await unlock();
    signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:true");
    await d.waitText("h1", (t) => t.includes("Unlock"));
    assert.match(stats(), /concerns/);
    // The screen saver going off does not unlock anything, nor re-lock a fresh session.
    await unlock();
    signal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", "boolean:false");
    await new Promise((r) => setTimeout(r, 1500));
    assert.match(await d.text("[data-testid=who]"), /Rachel Adeyemi/);
  } finally {
    await d.quit();
    daemon.kill();
  }
});
