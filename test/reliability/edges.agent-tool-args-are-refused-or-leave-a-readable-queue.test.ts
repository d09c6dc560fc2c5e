import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { queueTool } from "../../dist/plugin/surfaces.js";
import { createContext } from "../../dist/runtime/context.js";
import * as ops from "../../dist/runtime/operations.js";
import {
  acceptedTaskProblem,
  hostileText,
  priorityValue,
  queueProblem,
  refusalProblem,
} from "./lib/edges.ts";
import { makeSandbox, queuePath, removeSandboxes, seedFromEnv } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

/**
 * Issue 16, "Done when": the agent tool's arguments are written by a model, and a host need not
 * enforce the tool's JSON schema. Whatever object it passes, the tool answers with a task, a
 * list, a status — or an ERROR with a clear code — and the queue file still reads.
 */
const SEED = seedFromEnv();
const RUNS = Number(process.env.TM_EDGE_RUNS) || 300;
const quiet = { info() {}, warn() {}, error() {} };

afterAll(removeSandboxes);

const anyValue = fc.oneof(
  fc.jsonValue(),
  hostileText(300),
  fc.double(),
  fc.constantFrom(1e300, -1, 0, 1001, 1.5, 1e23, "5", true, null, [], {}),
);

/** Arguments shaped like the tool's schema, every field hostile, plus keys it does not have. */
const shaped = fc.record(
  {
    action: fc.oneof(fc.constantFrom("add", "list", "status"), anyValue),
    prompt: fc.oneof(hostileText(300), anyValue),
    priority: fc.oneof(priorityValue, anyValue),
    key: fc.oneof(hostileText(600), anyValue),
    source: anyValue,
    metadata: anyValue,
    state: fc.constantFrom("done", "running", "dead"),
  },
  { requiredKeys: [] },
);

const args = fc.oneof(
  shaped,
  shaped.map((a) => ({ ...a, action: "add" })),
  // Near-valid adds: only the text and the priority hostile, so accepted adds happen too.
  fc.record(
    { action: fc.constant("add"), prompt: hostileText(300), priority: priorityValue },
    { requiredKeys: ["action", "prompt"] },
  ),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue()),
  // Not an object at all: a host may pass on whatever the model wrote.
  fc.jsonValue(),
);

describe("agent tool: any arguments are refused with a clear error or leave a readable queue", () => {
  test(`execute() with any arguments object (${RUNS} runs)`, async () => {
    const s = makeSandbox("edge-tool");
    const ctx = await createContext({
      workspace: s.workspace,
      deps: { env: s.env, logger: quiet },
    });
    const tool = queueTool({
      agents: () => ["main"],
      context: async () => ctx,
      service: () => null,
    });
    const problems: string[] = [];
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(args, async (params) => {
        const shown = JSON.stringify(params).slice(0, 300);
        let details: unknown;
        try {
          details = (await tool.execute("call", params as Record<string, unknown>)).details;
        } catch (err) {
          problems.push(`${shown} → threw ${(err as Error).message}`);
          throw new Error(problems.at(-1));
        }
        const d = details as { status?: string; code?: string; tasks?: unknown; task?: unknown };
        const outcome = d.code ?? d.status ?? (d.tasks ? "LIST" : "SNAPSHOT");
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const problem =
          (d.status === "ERROR" || d.code !== undefined
            ? refusalProblem(d)
            : acceptedTaskProblem(d.task)) ?? queueProblem(queuePath(s));
        if (problem) problems.push(`${shown} → ${problem}: ${JSON.stringify(d).slice(0, 300)}`);
        // Thrown, so fast-check names the input and the reason (and shrinks it).
        if (problem) throw new Error(problems.at(-1));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await recordFigure("edges-agent-tool", {
      seed: SEED,
      runs: RUNS,
      failures: problems.length,
      outcomes,
    });
    expect(problems).toEqual([]);
    const fresh = await createContext({
      workspace: s.workspace,
      deps: { env: s.env, logger: quiet },
    });
    await expect(ops.listTasks(fresh, true)).resolves.toBeInstanceOf(Array);
    // Both outcomes happened: the property saw refusals and accepted adds.
    expect(outcomes.E_INVALID_INPUT ?? 0).toBeGreaterThan(0);
    expect(outcomes.ADDED ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
