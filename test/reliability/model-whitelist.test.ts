import { writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { runCheckTransform } from "../../dist/core/check.js";
import { isTaskManagerError } from "../../dist/base/errors.js";
import { TASK_STATES, type Queue, type Task } from "../../dist/core/queue-model.js";
import { policySchema, type Policy } from "../../dist/policy/schema.js";
import { createContext } from "../../dist/runtime/context.js";
import { dispatchOnce, type SpawnRequest } from "../../dist/runtime/dispatch.js";
import * as ops from "../../dist/runtime/operations.js";
import { encodeQueue } from "../../dist/store/file/codec.js";
import { makeSandbox, queuePath, seedFromEnv, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

const SEED = seedFromEnv();
const NOW = Date.parse("2026-06-01T12:00:00Z");
/** Cheap models a user might whitelist, and the expensive ones a config or queue might smuggle in. */
const POOL = [
  "google/gemini-2.5-flash",
  "anthropic/claude-haiku-4-5",
  "fake/cheap",
  "anthropic/claude-opus-4",
  "openai/o3-pro",
  "google/gemini-2.5-pro",
];

const iso = fc
  .integer({ min: -86_400_000, max: 86_400_000 })
  .map((d) => new Date(NOW + d).toISOString());
const model = fc.constantFrom(...POOL);

const task = (i: number): fc.Arbitrary<Task> =>
  fc
    .record({
      state: fc.constantFrom(...TASK_STATES),
      at: iso,
      later: iso,
      m: model,
      runAt: fc.option(iso, { freq: 4 }),
      priority: fc.integer({ min: 0, max: 9 }),
    })
    .map(({ state, at, later, m, runAt, priority }) => ({
      id: `t_${i}`,
      prompt: `task ${i}`,
      priority,
      source: "fuzz",
      key: null,
      state,
      attempts: state === "pending" ? 0 : 1,
      failures: 0,
      quota_failures: 0,
      added_at: at,
      updated_at: at,
      run_at: runAt,
      lease: state === "claimed" ? { token: "tok", expires_at: later, attempt: 1, model: m } : null,
      run:
        state === "running"
          ? {
              run_id: "r",
              session_key: `agent:main:subagent:${i}`,
              model: m,
              started_at: at,
              attempt: 1,
            }
          : null,
      last_error: null,
      finished_at: state === "done" || state === "dead" ? later : null,
      metadata: {},
    }));

/** Quota holds on providers or models, waiting, ended, or with a probe out (naming any task). */
const hold = fc.record({
  scope: fc.constantFrom("provider" as const, "model" as const),
  until: iso,
  source: fc.constantFrom("host" as const, "message" as const, "default" as const),
  since: iso,
  probe: fc.option(fc.record({ task_id: fc.constantFrom("t_0", "t_1", "t_5"), since: iso }), {
    nil: null,
  }),
});
const holds = fc.dictionary(
  fc.oneof(
    model,
    model.map((m) => m.slice(0, m.indexOf("/"))),
  ),
  hold,
  { maxKeys: 3 },
);

const queue: fc.Arbitrary<Queue> = fc
  .record({
    n: fc.integer({ min: 0, max: 8 }),
    cooldowns: fc.dictionary(model, iso, { maxKeys: 3 }),
    holds,
    paused: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  })
  .chain(({ n, cooldowns, holds, paused }) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => task(i))).map((tasks) => ({
      version: 2 as const,
      revision: 1,
      paused,
      cooldowns,
      holds,
      tasks,
      history: [],
      alerts: [],
      captured: [],
    })),
  );

const policy: fc.Arbitrary<Policy> = fc
  .record({
    models: fc.uniqueArray(model, { minLength: 1, maxLength: 4 }),
    maxConcurrent: fc.integer({ min: 1, max: 64 }),
    loadThreshold: fc.double({ min: 0.01, max: 100, noNaN: true }),
  })
  .map((p) => policySchema.parse(p));

const observation = fc.record({
  activeSessionKeys: fc.array(fc.constantFrom("agent:main:subagent:0", "agent:main:subagent:x")),
  mainBusy: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  loadPerCore: fc.double({ min: 0, max: 1.5, noNaN: true }),
  freeMemoryMB: fc.integer({ min: 0, max: 8192 }),
});

afterAll(removeSandboxes);

describe("no config or queue makes the package recommend or spawn a model off the whitelist", () => {
  test("every READY of the decision (2,000 fuzzed policies × queues × observations) names a whitelisted model", async () => {
    let ready = 0;
    let off = 0;
    fc.assert(
      fc.property(policy, queue, observation, (p, q, obs) => {
        const r = runCheckTransform({
          queue: q,
          policy: p,
          observation: obs,
          outcomes: new Map(),
          nowMs: NOW,
          random: () => 0.5,
          newToken: () => "t",
          host: { kind: "none", state_dir: null, sessions_store: null },
          workspace: "/w",
        });
        if (r.status.status !== "READY") return true;
        ready += 1;
        const claimed = r.queue.tasks.find(
          (t) => t.id === (r.status.status === "READY" ? r.status.task.id : ""),
        );
        const ok =
          p.models.includes(r.status.recommendation.model) &&
          p.models.includes(claimed?.lease?.model ?? "");
        if (!ok) off += 1;
        return ok;
      }),
      { numRuns: 2000, seed: SEED },
    );
    await recordFigure("whitelist-decision", { seed: SEED, runs: 2000, ready, offWhitelist: off });
    expect(ready).toBeGreaterThan(100); // the fuzz must reach READY often, or it proves nothing
    expect(off).toBe(0);
  }, 60_000);

  test("rc files with fuzzed model lists and queues naming expensive models: every spawn request is whitelisted", async () => {
    let spawns = 0;
    let off = 0;
    let rejectedConfigs = 0;
    // Mostly valid lists (so spawns happen), plus malformed ones that must be refused outright.
    const rawModels = fc.oneof(
      { arbitrary: fc.uniqueArray(model, { minLength: 1, maxLength: 3 }), weight: 4 },
      {
        arbitrary: fc.array(
          fc.oneof(
            model,
            fc.string(),
            fc.constantFrom("opus", "anthropic/", "/x", " anthropic/claude-opus-4", "a/b c", ""),
          ),
          { maxLength: 3 },
        ),
        weight: 1,
      },
      {
        arbitrary: fc.constantFrom<unknown>(
          null,
          "google/gemini-2.5-flash",
          { 0: "anthropic/claude-opus-4" },
          [],
        ),
        weight: 1,
      },
    );
    await fc.assert(
      fc.asyncProperty(rawModels, queue, async (models, q) => {
        const s = makeSandbox("whitelist");
        writeFileSync(
          path.join(s.workspace, ".taskmanagerrc"),
          JSON.stringify({ models, maxConcurrent: 64, loadThreshold: 1000, minFreeMemoryMB: 0 }),
        );
        writeFileSync(queuePath(s), encodeQueue(q));
        let ctx: Awaited<ReturnType<typeof createContext>>;
        try {
          ctx = await createContext({
            workspace: s.workspace,
            deps: { env: s.env, now: () => NOW },
          });
        } catch (err) {
          if (isTaskManagerError(err) && err.code === "E_CONFIG_INVALID") {
            rejectedConfigs += 1;
            return true;
          }
          throw err;
        }
        const allowed = Array.isArray(models) ? models : [];
        const requests: SpawnRequest[] = [];
        const spy = {
          spawn: async (r: SpawnRequest) => {
            requests.push(r);
            return { runId: `run-${requests.length}` };
          },
        };
        await ops.addTask(ctx, { prompt: "fresh task" });
        for (let i = 0; i < 3; i++) await dispatchOnce(ctx, spy);
        spawns += requests.length;
        const bad = requests.filter(
          (r) => !allowed.includes(r.model) || !ctx.policy.models.includes(r.model),
        );
        off += bad.length;
        return bad.length === 0;
      }),
      { numRuns: 60, seed: SEED },
    );
    await recordFigure("whitelist-spawn", {
      seed: SEED,
      runs: 60,
      rejectedConfigs,
      spawns,
      offWhitelist: off,
    });
    expect(spawns).toBeGreaterThan(10);
    expect(off).toBe(0);
  }, 120_000);
});
