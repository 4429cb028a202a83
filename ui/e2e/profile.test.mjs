// The window as it runs for a user (no WebDriver automation): its WebKit context is ephemeral,
// so nothing of the web profile reaches the user's folders. The runtime's unused default
// context writes only salts and an empty HSTS database, into a private folder of this run
// under XDG_RUNTIME_DIR; a run that is killed leaves that folder, and the next start removes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { filesUnder } from "./webdriver.mjs";

const app = process.env.SGD_APP_BINARY;
const cli = process.env.SGD_CLI_BINARY;
const shots = resolve(process.env.SGD_E2E_ARTIFACTS ?? "../e2e-artifacts");


/** Starts the window as a user would, and waits until X has mapped it. */
async function startWindow(env) {
  const child = spawn(app, [], { env, stdio: "ignore" });
  for (let i = 0; i < 120; i++) {
    try {
      const id = execFileSync("xdotool", ["search", "--onlyvisible", "--pid", String(child.pid), "--name", "Safeguard Desk"], { encoding: "utf8" }).trim().split("\n")[0];
      if (id) return { child, id };
    } catch {}
    await sleep(250);
  }
  child.kill("SIGKILL");
  throw new Error("the window never appeared");
}

async function stop(child) {
  child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
}

test("the window keeps no web profile in the user's folders, and a killed run's private folder is removed at the next start", { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), "sgd-e2e-profile-"));
  const home = join(root, "home");
  const runtime = join(root, "run");
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local/state"),
    XDG_RUNTIME_DIR: runtime,
    TMPDIR: join(root, "tmp"),
    SGD_STORE: join(root, "store"),
    GSETTINGS_BACKEND: "memory",
  };
  delete env.TAURI_WEBVIEW_AUTOMATION;
  for (const d of [env.XDG_DATA_HOME, env.XDG_CONFIG_HOME, env.XDG_CACHE_HOME, env.XDG_STATE_HOME, env.TMPDIR]) mkdirSync(d, { recursive: true });
  mkdirSync(runtime, { mode: 0o700 });
  execFileSync(cli, ["demo", env.SGD_STORE], { env: { ...process.env, SGD_PASSPHRASE: "e2e profile passphrase" }, stdio: "ignore" });

  const first = await startWindow(env);
  await sleep(3000); // the page loads and WebKit settles what it writes
  mkdirSync(shots, { recursive: true });
  const shot = join(shots, "profile-unlock.png");
  execFileSync("import", ["-window", first.id, shot]);
  const colours = Number(execFileSync("convert", [shot, "-format", "%k", "info:"], { encoding: "utf8" }));
  assert.ok(colours > 20, `the window drew its page (${colours} colours in the screenshot)`);
  const ofRun = (pid) => readdirSync(runtime).filter((n) => n.startsWith(`safeguard-desk-webview-${pid}-`)).map((n) => join(runtime, n));
  const [profile] = ofRun(first.child.pid);
  assert.ok(profile, "the run made its private folder under XDG_RUNTIME_DIR");
  await stop(first.child);

  // Mesa's compiled GPU shaders are the graphics driver's, not the page's (the leak test reads
  // them for record text too); nothing else may be there.
  const inHome = filesUnder(home).map((p) => relative(home, p)).filter((p) => !p.startsWith(".cache/mesa_shader_cache/"));
  assert.deepEqual(inHome, [], "nothing of the web profile was written under HOME or the XDG folders");
  assert.ok(existsSync(profile), "a killed run leaves its private folder");
  assert.equal(statSync(profile).mode & 0o777, 0o700);
  const kept = filesUnder(profile).map((p) => relative(profile, p)).sort();
  const salts = new Set(["hsts-storage.sqlite", "WebKitCache/Version 17/salt", "mediakeys/v1/salt", "storage/salt"]);
  for (const f of kept) assert.ok(salts.has(f) || f.startsWith("hsts-storage.sqlite"), `only the unused default context's salts are kept, not ${f}`);

  const second = await startWindow(env);
  assert.ok(!existsSync(profile), "the next start removed the killed run's folder");
  await stop(second.child);
});
