import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { DEFAULT_POLICY } from "../../dist/policy/defaults.js";
import { DATA_PLACES } from "../../dist/policy/load.js";
import { createContext } from "../../dist/runtime/context.js";
import { toErrorStatus } from "../../dist/runtime/error-status.js";
import * as ops from "../../dist/runtime/operations.js";
import { runCheck } from "../../dist/runtime/run-check.js";
import { hostileText, queueProblem, refusalProblem } from "./lib/edges.ts";
import { makeSandbox, queuePath, removeSandboxes, seedFromEnv } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import { sha } from "./lib/queue-fixtures.ts";

/**
 * Issue 16, "Done when": the workspace's config is written by whoever can write the workspace.
 * Whatever it holds — any JSON value, a policy-shaped object with hostile values, bytes that
 * are no YAML or JSON5 at all — a check either answers an ERROR that names the config file
 * (and leaves the queue byte for byte as it was) or a normal status, and the queue still reads.
 */
const SEED = seedFromEnv();
const RUNS = Number(process.env.TM_EDGE_RUNS) || 500;
const quiet = { info() {}, warn() {}, error() {} };

afterAll(removeSandboxes);

/** Every place a config is read from, each parsed its own way (src/policy/load.ts). */
const PLACES = DATA_PLACES.map(([place]) => place);

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText(100),
  fc.double(),
  fc.constantFrom(1e300, -1, 0, -0, 1e15, 2 ** 53, "", "0", null, [], {}, "../../etc/passwd"),
);

/** A policy with some keys (top level and one level down) given hostile values. */
const shapedPolicy = fc
  .array(
    fc.tuple(
      fc.constantFrom(...Object.keys(DEFAULT_POLICY).filter((k) => k !== "store")),
      fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      hostileValue,
    ),
    { maxLength: 6 },
  )
  .map((entries) => {
    const policy: Record<string, unknown> = { loadThreshold: 1000, minFreeMemoryMB: 0 };
    for (const [key, sub, value] of entries) {
      const inner = (DEFAULT_POLICY as Record<string, unknown>)[key];
      const subKey =
        sub !== undefined && inner && typeof inner === "object" && !Array.isArray(inner)
          ? (Object.keys(inner)[sub.length % Math.max(1, Object.keys(inner).length)] ?? sub)
          : undefined;
      policy[key] = subKey === undefined ? value : { ...(inner as object), [subKey]: value };
    }
    return policy;
  });

const YAML_TRAPS = [
  "a: *nowhere",
  "!!js/function 'function () { process.exit(9) }'",
  "key: !!binary ////",
  "? [\n",
  "&a [*a]",
  "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
  "<<: *x",
  "models:\n  - a\n - b",
  "%YAML 9.9\n---\na: 1",
  "\ufeff{loadThreshold: 1000,}",
  "{/* unclosed",
  "__proto__: {polluted: true}\nloadThreshold: 1000",
  '{"constructor": {"prototype": {"polluted": true}}}',
];

/** The file's bytes. */
const content = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  shapedPolicy.map((p) => JSON.stringify(p)),
  fc.constantFrom(...YAML_TRAPS),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.constant("x: 1\n".repeat(300_000)),
);

describe("config file: any content is refused by name or leaves a readable queue", () => {
  test(`a check over any .taskmanagerrc content, at every data place (${RUNS} runs)`, async () => {
    const s = makeSandbox("edge-config");
    const seed = await createContext({
      workspace: s.workspace,
      deps: { env: s.env, logger: quiet },
    });
    for (let i = 0; i < 3; i++) await ops.addTask(seed, { prompt: `task ${i}` });
    const problems: string[] = [];
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PLACES), content, async (place, bytes) => {
        for (const p of PLACES) rmSync(path.join(s.workspace, p), { force: true });
        const file = path.join(s.workspace, place);
        mkdirSync(path.dirname(file), { recursive: true });
        const text = typeof bytes === "string" ? bytes : bytes.toString("latin1");
        writeFileSync(file, place === "package.json" ? `{"taskmanager": ${text}}` : bytes);
        const before = sha(readFileSync(queuePath(s)));
        let answer: Record<string, unknown>;
        try {
          const ctx = await createContext({
            workspace: s.workspace,
            deps: { env: s.env, logger: quiet, cwd: s.root },
          });
          answer = (await runCheck(ctx)) as unknown as Record<string, unknown>;
          await ops.listTasks(ctx, true);
        } catch (err) {
          answer = toErrorStatus(err) as unknown as Record<string, unknown>;
        }
        const outcome = String(answer.code ?? answer.status);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        let problem: string | null = null;
        if (answer.status === "ERROR") {
          problem = refusalProblem(answer);
          const message = String(answer.message);
          if (!problem && String(answer.code).startsWith("E_CONFIG") && !message.includes(place))
            problem = "a config error that does not name the file";
          if (!problem && sha(readFileSync(queuePath(s))) !== before)
            problem = "the queue changed under a refused config";
        } else if (!["READY", "DEFERRED", "NO_TASKS"].includes(String(answer.status)))
          problem = `status ${String(answer.status)}`;
        problem ??= queueProblem(queuePath(s));
        if (problem)
          problems.push(
            `${place} ${text.slice(0, 200)} → ${problem}: ${JSON.stringify(answer).slice(0, 300)}`,
          );
        // Thrown, so fast-check names the input and the reason (and shrinks it).
        if (problem) throw new Error(problems.at(-1));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await recordFigure("edges-config-file", {
      seed: SEED,
      runs: RUNS,
      failures: problems.length,
      outcomes,
    });
    expect(problems).toEqual([]);
    // Both outcomes happened: configs were refused and configs were read.
    expect(outcomes.E_CONFIG_INVALID ?? 0).toBeGreaterThan(0);
    expect(
      (outcomes.READY ?? 0) + (outcomes.DEFERRED ?? 0) + (outcomes.NO_TASKS ?? 0),
    ).toBeGreaterThan(0);
  }, 120_000);
});
