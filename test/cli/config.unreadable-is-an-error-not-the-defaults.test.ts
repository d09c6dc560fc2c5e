import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, cliJson, nobodyCanRunCli, tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 4: an unreadable `.taskmanagerrc` (EACCES) or one that is a directory was
 * passed over and the default policy applied — a user's model whitelist gone without a word.
 * Any config that exists but cannot be read is an ERROR naming it.
 */
let t: { dir: string; cleanup: () => void };
beforeEach(() => {
  t = tempDir();
  chmodSync(t.dir, 0o755);
});
afterEach(() => t.cleanup());

const check = (ws: string) =>
  cliJson<{ status: string; code: string; message: string }>(["check", "-w", ws], {
    env: { HOME: path.join(t.dir, "home") },
  });

describe("a config that exists but cannot be read is an ERROR naming it", () => {
  for (const place of [".taskmanagerrc", ".taskmanagerrc.json", ".config/taskmanagerrc.yaml"]) {
    it(`${place} is a directory`, () => {
      mkdirSync(path.join(t.dir, place), { recursive: true });
      const r = check(t.dir);
      expect(r.code).toBe(1);
      expect(r.body).toMatchObject({ status: "ERROR", code: "E_CONFIG_UNREADABLE" });
      expect(r.body.message).toContain(path.join(t.dir, place));
    });
  }

  it(".taskmanagerrc is a FIFO: refused at once, the check does not hang on it", () => {
    const fifo = path.join(t.dir, ".taskmanagerrc");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const r = check(t.dir);
    expect(r.body).toMatchObject({ code: "E_CONFIG_UNREADABLE" });
    expect(r.body.message).toContain(fifo);
  });

  it("a config of more than 1 MiB is refused, not parsed", () => {
    writeFileSync(
      path.join(t.dir, ".taskmanagerrc.json"),
      `{"models": [${'"a/b",'.repeat(200_000)}"a/c"]}`,
    );
    expect(check(t.dir).body).toMatchObject({ code: "E_CONFIG_UNREADABLE" });
  });

  it("without read permission (EACCES, as a non-root user): ERROR naming the file, not the defaults", (ctx) => {
    // Needs root to run the CLI as another user, and a checkout that user can reach.
    if (!nobodyCanRunCli()) ctx.skip();
    const ws = path.join(t.dir, "ws");
    mkdirSync(ws, { mode: 0o777 });
    chmodSync(ws, 0o777);
    const rc = path.join(ws, ".taskmanagerrc.json");
    writeFileSync(rc, JSON.stringify({ models: ["cheap/only-this-one"] }), { mode: 0o600 });
    const home = path.join(t.dir, "nobody-home");
    mkdirSync(home, { mode: 0o777 });
    chmodSync(home, 0o777);
    // Root reads everything: the check runs as `nobody`, to whom the root-owned 0600 file is closed.
    const r = spawnSync(process.execPath, [CLI, "check", "-w", ws], {
      uid: 65534,
      gid: 65534,
      env: { PATH: process.env.PATH, HOME: home },
      cwd: home,
      encoding: "utf8",
    });
    const body = JSON.parse(r.stdout) as { status: string; code: string; message: string };
    expect(body, r.stderr).toMatchObject({ status: "ERROR", code: "E_CONFIG_UNREADABLE" });
    expect(body.message).toContain(rc);
    expect(body.message).toMatch(/EACCES/);
  });
});
