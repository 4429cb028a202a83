// A minimal W3C WebDriver client over fetch (Node 20+), enough to drive the Tauri window
// through tauri-driver: no browser download, no extra packages.
import { execFileSync, spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** `n` distinct ports nothing listens on now: all probes stay open until every port is known,
 *  so the OS cannot hand the same port out twice. */
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

export class Driver {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /** Starts tauri-driver and a session; a failed start (not a test step) is retried, logged. */
  static async start(options) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Driver.startOnce(options);
      } catch (e) {
        if (attempt === 3) throw e;
        console.error(`E2E: starting the driver failed (${e.message}); retrying`);
      }
    }
  }

  static async startOnce({ application, port, nativePort, env = {} }) {
    if (port === undefined || nativePort === undefined) [port, nativePort] = await freePorts(2);
    // Its own process group: WebKitWebDriver and the app inherit it, so quit() can make sure
    // nothing of this session outlives it.
    const proc = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      // Ready when both ports accept connections: tauri-driver's own, and WebKitWebDriver's,
      // which it starts alongside and proxies to (asking before it listens is what failed as
      // "fetch failed" now and then).
      for (let i = 0; i < 100 && !((await listening(port)) && (await listening(nativePort))); i++) await sleep(100);
      const res = await fetch(`${base}/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } } }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(`could not start a session: ${JSON.stringify(body)}`);
      const driver = new Driver(base, body.value.sessionId);
      driver.proc = proc;
      return driver;
    } catch (e) {
      // Nothing of a failed start may outlive it (it would hold the test's output open).
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await Promise.race([new Promise((r) => proc.once("exit", r)), sleep(3000)]);
      }
      await endGroup(proc.pid);
      throw e;
    }
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  /** Waits for an element to exist (and be displayed), then returns its id. */
  async find(css, timeoutMs = 15000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        const el = await this.cmd("POST", "/element", { using: "css selector", value: css });
        return el[ELEMENT];
      } catch (e) {
        last = e;
      }
      await sleep(150);
    }
    throw new Error(`no element ${css}: ${last}`);
  }

  async type(css, text) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/clear`, {});
    await this.cmd("POST", `/element/${el}/value`, { text });
  }

  async click(css) {
    const el = await this.find(css);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  async text(css) {
    const el = await this.find(css);
    return this.cmd("GET", `/element/${el}/text`);
  }

  /** Waits until the element's text satisfies `pred`. */
  async waitText(css, pred, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    let t = "";
    while (Date.now() < until) {
      try {
        t = await this.text(css);
        if (pred(t)) return t;
      } catch {
        /* not there yet */
      }
      await sleep(150);
    }
    throw new Error(`timed out waiting on ${css}; last text: ${JSON.stringify(t)}`);
  }

  /** Runs a script in the page and returns its result. */
  async exec(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Chooses an option of a <select> by its value, as a person would. */
  async select(css, value) {
    await this.find(css);
    await this.exec(
      "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));",
      [css, value],
    );
  }

  async count(css) {
    return this.exec("return document.querySelectorAll(arguments[0]).length;", [css]);
  }

  /** A screenshot once the page has painted what the DOM now holds (two animation frames). */
  async screenshot(dir, name) {
    mkdirSync(dir, { recursive: true });
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
      args: [],
    });
    const png = await this.cmd("GET", "/screenshot");
    writeFileSync(`${dir}/${name}.png`, Buffer.from(png, "base64"));
  }

  /** Unlocks as `user` from the unlock screen and waits for their session. */
  async unlockAs(user, passphrase) {
    await this.waitText("h1", (t) => t.includes("Unlock"));
    await this.select("[data-testid=user]", user);
    await this.type("[data-testid=passphrase]", passphrase);
    await this.click("[data-testid=unlock]");
    await this.waitText("[data-testid=who]", (t) => t.startsWith(user));
  }

  async quit() {
    try {
      await fetch(`${this.base}/session/${this.id}`, { method: "DELETE" });
    } finally {
      // SIGTERM, never SIGKILL: only TERM/INT make tauri-driver stop WebKitWebDriver.
      if (this.proc.exitCode === null) {
        this.proc.kill("SIGTERM");
        await Promise.race([new Promise((r) => this.proc.once("exit", r)), sleep(5000)]);
      }
      // Seen once in CI: the app's window outlived its session (the web process gone, the app
      // still running) and held the test's output open until the run timed out.
      await endGroup(this.proc.pid);
    }
  }
}

/** Ends whatever is left of a session's process group. tauri-driver does not always take
 * WebKitWebDriver and the app with it, and a leftover app holds the test's output open (seen in
 * CI: the run hung until its timeout). TERM first; KILL, logged, after two more seconds. */
async function endGroup(pgid) {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 10 && alive(); i++) await sleep(100);
  if (!alive()) return;
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {}
  for (let i = 0; i < 20 && alive(); i++) await sleep(100);
  if (!alive()) return;
  let names = "";
  try {
    names = execFileSync("ps", ["-o", "comm=", "-g", String(pgid)]).toString().trim().split("\n").join(", ");
  } catch {}
  console.error(`E2E: ${names} ignored SIGTERM after the session; killing them`);
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {}
}

/** Answers the native GTK file dialog titled `title` (save or open) by typing `path` into it
 * (xdotool), as a person can. */
export async function answerFileDialog(title, path) {
  let win = "";
  for (let i = 0; i < 100 && !win; i++) {
    try {
      win = execFileSync("xdotool", ["search", "--onlyvisible", "--name", title]).toString().trim().split("\n")[0];
    } catch {
      await sleep(100);
    }
  }
  if (!win) throw new Error(`the "${title}" dialog did not open`);
  await sleep(500); // let GTK finish building the dialog
  execFileSync("xdotool", ["windowfocus", "--sync", win]);
  // Ctrl+L opens the location field in both kinds of dialog (in a save dialog it is the name).
  execFileSync("xdotool", ["key", "--clearmodifiers", "ctrl+l"]);
  execFileSync("xdotool", ["key", "--clearmodifiers", "ctrl+a"]);
  execFileSync("xdotool", ["type", "--delay", "2", path]);
  await sleep(300);
  if (process.env.SGD_E2E_DEBUG) execFileSync("import", ["-window", "root", `${process.env.SGD_E2E_ARTIFACTS ?? "."}/debug-dialog.png`]);
  execFileSync("xdotool", ["key", "Return"]);
}


/** Every file under `dir` (links and other non-folders included), depth first. */
export function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
