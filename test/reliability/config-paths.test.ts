import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { isTaskManagerError } from "../../dist/base/errors.js";
import { createContext } from "../../dist/runtime/context.js";
import * as ops from "../../dist/runtime/operations.js";
import { cli, makeSandbox, seedFromEnv, type Sandbox, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

const SEED = seedFromEnv();
const RUNS = 300;

/** The workspace sits 4 levels inside the sandbox, so any ".." escape (at most 4 deep) lands where we look. */
function deepSandbox(): Sandbox & { ws: string } {
  const s = makeSandbox("paths");
  rmSync(s.workspace, { recursive: true });
  const ws = path.join(s.root, "l1", "l2", "l3", "ws");
  mkdirSync(ws, { recursive: true });
  mkdirSync(path.join(s.root, "outside"));
  symlinkSync(path.join(s.root, "outside"), path.join(ws, "linkout"));
  return { ...s, ws, workspace: ws, env: { ...s.env, TASK_MANAGER_WORKSPACE: ws } };
}

/** Every file under the sandbox but outside the workspace. */
function outsideFiles(s: Sandbox & { ws: string }): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (full === s.ws) continue;
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(s.root, full));
    }
  };
  walk(s.root);
  return out.sort();
}

type Attempt = { refused: string | null; inside: boolean };

/** Configures `queueFile`, then adds a task through the real context and store. */
async function attempt(s: Sandbox & { ws: string }, queueFile: string): Promise<Attempt> {
  writeFileSync(path.join(s.ws, ".taskmanagerrc"), JSON.stringify({ queueFile }));
  try {
    const ctx = await createContext({ workspace: s.ws, deps: { env: s.env } });
    const rel = path.relative(s.ws, ctx.store.location);
    const inside =
      rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
    await ops.addTask(ctx, { prompt: "x" });
    return { refused: null, inside };
  } catch (err) {
    if (!isTaskManagerError(err))
      return { refused: `raw ${(err as NodeJS.ErrnoException).code ?? "error"}`, inside: true };
    return { refused: err.code, inside: true };
  }
}

const HOSTILE = (root: string): string[] => [
  "../escape.json",
  "../../../../escape.json",
  "memory/../../escape.json",
  "./../escape.json",
  "/etc/passwd",
  path.join(root, "outside", "abs.json"),
  path.join(root, "l1", "l2", "l3", "ws-sibling.json"),
  "memory/\0.json",
  ".",
  "",
  "linkout/q.json",
  "linkout/../../escape.json",
];

/** Odd but harmless: they stay inside the workspace, as literal names. */
const LITERAL = [
  "%2e%2e/escape.json",
  "..%2fescape.json",
  "..\\escape.json",
  "..notes/q.json",
  "...",
  "~/q.json",
  "\u2025/q.json",
  "memory//q.json",
  "memory/./q.json",
];

afterAll(removeSandboxes);

describe("queueFile in the config can never point outside the workspace", () => {
  test("table of hostile paths: refused; literal look-alikes stay inside", async () => {
    const s = deepSandbox();
    const rows: Record<string, string> = {};
    for (const p of HOSTILE(s.root)) {
      const r = await attempt(s, p);
      rows[JSON.stringify(p)] = r.refused ?? "accepted";
      expect(["E_UNSAFE_PATH", "E_CONFIG_INVALID"], JSON.stringify(p)).toContain(r.refused);
    }
    for (const p of LITERAL) {
      const r = await attempt(s, p);
      rows[JSON.stringify(p)] = r.refused ?? "accepted (inside)";
      expect(r.inside, p).toBe(true);
      expect(r.refused, p).toBeNull();
    }
    await recordFigure("config-paths-table", { rows, escapes: outsideFiles(s).length });
    expect(outsideFiles(s)).toEqual([]);
  });

  test("through the real CLI: ../ and an absolute path are refused with a message naming the key", async () => {
    const s = deepSandbox();
    for (const p of ["../escape.json", path.join(s.root, "outside", "abs.json")]) {
      writeFileSync(path.join(s.ws, ".taskmanagerrc"), JSON.stringify({ queueFile: p }));
      const e = await cli(s, ["add", "x"]);
      const out = JSON.parse(e.stdout) as { code?: string; message?: string };
      expect(e.code).toBe(1);
      expect(out.code).toBe("E_UNSAFE_PATH");
      expect(out.message).toContain("queueFile");
    }
    expect(outsideFiles(s)).toEqual([]);
  });

  test(`property (${RUNS} paths built from .., ., /, \\, NUL, %2e, ~, absolute prefixes): 0 escapes`, async () => {
    const s = deepSandbox();
    const segment = fc.constantFrom(
      "..",
      ".",
      "memory",
      "a",
      "",
      "%2e%2e",
      "~",
      "\0",
      "..\\",
      "\u2025",
      "linkout",
      "q.json",
    );
    const prefix = fc.constantFrom("", "/", `${s.root}/`, `${s.ws}/`, "./");
    let escapes = 0;
    let runs = 0;
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        prefix,
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        async (pre, parts) => {
          fc.pre(parts.filter((p) => p === "..").length <= 4); // deeper would leave the sandbox we can watch
          runs += 1;
          const r = await attempt(s, pre + parts.join("/"));
          outcomes[r.refused ?? "accepted"] = (outcomes[r.refused ?? "accepted"] ?? 0) + 1;
          if (!r.inside) escapes += 1;
          return r.inside;
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const outside = outsideFiles(s);
    await recordFigure("config-paths-property", {
      seed: SEED,
      runs,
      escapes: escapes + outside.length,
      outcomes,
    });
    expect(escapes).toBe(0);
    expect(outside).toEqual([]);
  }, 120_000);
});
