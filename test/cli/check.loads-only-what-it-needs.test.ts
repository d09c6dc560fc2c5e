import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

/** Every module (and builtin) the CLI loads, recorded by a module hook in the same process. */
function modulesLoadedBy(args: string[]): string[] {
  const hook = path.join(t.dir, "hook.mjs");
  const log = path.join(t.dir, "modules.log");
  writeFileSync(
    hook,
    `import { registerHooks } from "node:module"; import { appendFileSync } from "node:fs";
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); appendFileSync(${JSON.stringify(log)}, r.url + "\\n"); return r; } });
const real = process.getBuiltinModule; process.getBuiltinModule = (id) => (appendFileSync(${JSON.stringify(log)}, "builtin:" + id + "\\n"), real(id));`,
  );
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", hook, CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: path.join(t.dir, "home") },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

/**
 * The heartbeat runs `check` in a fresh process every tick, and an idle check must stay near
 * the cost of starting Node. These are the heavy modules it has no use for; the benchmark
 * shows the time, this test keeps the reason from creeping back.
 */
describe("an idle heartbeat check loads none of the heavy modules", () => {
  const heavy = [
    /node_modules\/zod\//,
    /node_modules\/commander\//,
    /node_modules\/cosmiconfig\//,
    /node_modules\/js-yaml\//,
    /node_modules\/json5\//,
    /node_modules\/proper-lockfile\//,
    /node_modules\/write-file-atomic\//,
    /node_modules\/croner\//,
    /(^|:)crypto$/,
  ];

  it("with queued tasks it cannot start (paused), no config file, no host", () => {
    runCli(["add", "waiting", "-w", t.dir]);
    runCli(["pause", "-w", t.dir]);
    const loaded = modulesLoadedBy(["check", "-w", t.dir]);
    expect(loaded.some((m) => m.includes("dist/bin/"))).toBe(true);
    for (const pattern of heavy) expect(loaded.filter((m) => pattern.test(m))).toEqual([]);
  });

  it("the probe does see them where they are used: commander for `list`, zod when a config file exists", () => {
    expect(
      modulesLoadedBy(["list", "-w", t.dir]).some((m) => /node_modules\/commander\//.test(m)),
    ).toBe(true);
    writeFileSync(path.join(t.dir, ".taskmanagerrc.json"), JSON.stringify({ maxConcurrent: 2 }));
    expect(modulesLoadedBy(["check", "-w", t.dir]).some((m) => /node_modules\/zod\//.test(m))).toBe(
      true,
    );
  });
});
