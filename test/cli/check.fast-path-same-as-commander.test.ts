import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseFastCheck } from "../../src/cli/fast-path.js";
import { CLI, ROOT, runCli, tempDir } from "../helpers/cli.js";

let ws: { dir: string; cleanup: () => void };
beforeEach(() => (ws = tempDir()));
afterEach(() => ws.cleanup());

/** The same check through commander (program.ts), bypassing main.ts's fast path. */
function viaCommander(args: string[]) {
  const program = path.join(ROOT, "dist/cli/program.js");
  const script = `const { main } = await import(${JSON.stringify(program)}); await main(["node", "task-manager", ...JSON.parse(process.argv[1])]);`;
  const r = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", script, JSON.stringify(args)],
    {
      env: { PATH: process.env.PATH, HOME: path.join(ws.dir, "nohost") },
      encoding: "utf8",
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// retry_at is "now + 60 s" and `load` is read each run: both differ by when each run happened.
const stable = (stdout: string): string =>
  stdout.replace(/"retry_at":"[^"]*"/g, '"retry_at":"…"').replace(/"load":[0-9.]+/g, '"load":…');

describe("`check` without commander answers exactly as with it", () => {
  it("takes only the plain forms and leaves everything else to commander", () => {
    expect(parseFastCheck(["check"])).toEqual({ workspace: undefined });
    expect(parseFastCheck(["check", "-w", "/ws", "--json"])).toEqual({ workspace: "/ws" });
    expect(parseFastCheck(["check", "--workspace=/a", "--workspace", "/b"])).toEqual({
      workspace: "/b",
    });
    for (const args of [
      ["list"],
      ["check", "--help"],
      ["check", "-w"],
      ["check", "-w", "--json"],
      ["check", "-w", ""],
      ["check", "extra"],
      ["check", "-w/ws"],
      ["--json", "check"],
    ]) {
      expect(parseFastCheck(args)).toBeNull();
    }
  });

  const cases: Array<[string, () => string[], (dir: string) => void]> = [
    ["empty workspace", () => ["check", "-w", ws.dir], () => undefined],
    // Paused, so both runs answer the same whatever the machine's load (a READY would claim the
    // task and the second run would see it claimed).
    [
      "a queued task",
      () => ["check", "--workspace", ws.dir, "--json"],
      (dir) => {
        runCli(["add", "resume me", "-w", dir], { env: { HOME: path.join(dir, "nohost") } });
        runCli(["pause", "-w", dir], { env: { HOME: path.join(dir, "nohost") } });
      },
    ],
    [
      "a bad rc file",
      () => ["check", `--workspace=${ws.dir}`],
      (dir) => writeFileSync(path.join(dir, ".taskmanagerrc"), '{"maxConcurent": 2}'),
    ],
    ["a missing workspace", () => ["check", "-w", path.join(ws.dir, "nope")], () => undefined],
  ];
  for (const [name, args, setup] of cases) {
    it(name, () => {
      setup(ws.dir);
      const fast = spawnSync(process.execPath, [CLI, ...args()], {
        env: { PATH: process.env.PATH, HOME: path.join(ws.dir, "nohost") },
        encoding: "utf8",
      });
      const slow = viaCommander(args());
      // One comparison of the whole outcome, so a failure shows both sides in full.
      expect({ code: fast.status, stdout: stable(fast.stdout), stderr: fast.stderr }).toEqual({
        code: slow.code,
        stdout: stable(slow.stdout),
        stderr: slow.stderr,
      });
    });
  }
});
