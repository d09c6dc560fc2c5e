import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, type Observation } from "../../src/core/decide.js";
import { isDue } from "../../src/core/order.js";
import { claimTask, failTask } from "../../src/core/tasks.js";
import { recordStart } from "../../src/core/pacing.js";
import { explainWait, waitContext } from "../../src/core/waits.js";
import { fixedRandom, idle, policy, queueWith, T0 } from "../helpers/fixtures.js";

describe("the status page's per-task wait gives the check's own reason", () => {
  const p = policy();
  const plain = p;
  const limited = policy({
    budget: { daily: { usd: 1 }, timeZone: "UTC" },
    pacing: { providers: { google: { perHour: 2 }, anthropic: { perHour: 2 } } },
  });

  it("for the task a check would look at, explainWait says what decide says (generated queues and observations)", () => {
    fc.assert(
      fc.property(
        fc.record({
          tasks: fc.integer({ min: 1, max: 5 }),
          failed: fc.integer({ min: 0, max: 5 }),
          quotaFailed: fc.boolean(),
          paused: fc.boolean(),
          claimed: fc.boolean(),
          cooled: fc.integer({ min: 0, max: 2 }),
          obs: fc.record({
            mainBusy: fc.boolean(),
            loadPerCore: fc.double({ min: 0, max: 3, noNaN: true }),
            freeMemoryMB: fc.integer({ min: 0, max: 1000 }),
            others: fc.integer({ min: 0, max: 2 }),
          }),
          later: fc.integer({ min: 0, max: 3_600_000 }),
          // Budgets and pacing: off, or a $1 daily cap (spent 0 … $1.20) and 2 starts an hour per provider.
          limits: fc.boolean(),
          spent: fc.constantFrom(0, 0.5, 0.8, 1.2),
          starts: fc.integer({ min: 0, max: 3 }),
        }),
        (g) => {
          const p = g.limits ? limited : plain;
          let queue = queueWith(Array.from({ length: g.tasks }, (_, i) => `task ${i}`));
          for (const t of queue.tasks.slice(0, g.failed))
            queue = failTask(
              queue,
              t.id,
              { message: g.quotaFailed ? "429 rate limited" : "boom" },
              { policy: p, nowMs: T0, random: fixedRandom },
            ).queue;
          if (g.claimed && queue.tasks.length > 1)
            queue = claimTask(
              queue,
              queue.tasks[queue.tasks.length - 1]!,
              { token: "x", model: p.models[0]!, leaseSeconds: 300 },
              T0,
            ).queue;
          const cooldowns = Object.fromEntries(
            p.models.slice(0, g.cooled).map((m) => [m, new Date(T0 + 600_000).toISOString()]),
          );
          queue = { ...queue, paused: g.paused, cooldowns };
          if (g.limits) {
            const model = p.models[0]!;
            queue = {
              ...queue,
              spend: {
                "2026-11-25": { [model]: { runs: 1, usd: g.spent, tokens: 100, unpriced_runs: 0 } },
              },
              history: [
                ...queue.history,
                {
                  task_id: "t_before",
                  outcome: "done",
                  kind: null,
                  started_at: null,
                  ended_at: new Date(T0 - 60_000).toISOString(),
                  model,
                  usage: { input: 100, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0.3 },
                },
              ],
            };
            for (let i = 0; i < g.starts; i++)
              for (const m of p.models) queue = recordStart(queue, p, m, T0 - (i + 1) * 600_000);
          }
          const obs: Observation = {
            ...idle,
            mainBusy: g.obs.mainBusy,
            loadPerCore: g.obs.loadPerCore,
            freeMemoryMB: g.obs.freeMemoryMB,
            activeSessionKeys: Array.from(
              { length: g.obs.others },
              (_, i) => `agent:main:subagent:o${i}`,
            ),
          };
          const now = T0 + g.later;
          const d = decide(queue, p, obs, now);
          const pending = queue.tasks.filter((t) => t.state === "pending");
          if (d.kind === "NO_TASKS") {
            expect(pending).toEqual([]);
            return;
          }
          const w = waitContext(queue, p, obs, now);
          const due = pending.filter((t) => isDue(t, now));
          if (d.kind === "READY") {
            expect(explainWait(w, d.task)).toMatchObject({
              reason: "next",
              facts: { model: d.model },
            });
            return;
          }
          if (d.reason === "paused") {
            for (const t of pending) expect(explainWait(w, t).reason).toBe("paused");
            return;
          }
          if (due.length === 0) {
            // Nothing due: decide reports the soonest retry; that task's wait ends exactly then.
            const soonest = pending.find(
              (t) => t.run_at !== null && Date.parse(t.run_at) === d.retryAtMs,
            )!;
            expect(explainWait(w, soonest)).toMatchObject({
              reason: d.reason,
              untilMs: d.retryAtMs,
            });
            return;
          }
          for (const t of due)
            expect(explainWait(w, t)).toMatchObject({ reason: d.reason, untilMs: d.retryAtMs });
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it("states the facts: sessions n/m, load x > threshold, place in line, backoff until run_at", () => {
    const queue = queueWith(["a", "b", "c"]);
    const busy = waitContext(
      queue,
      p,
      { ...idle, activeSessionKeys: ["agent:main:subagent:x"] },
      T0,
    );
    expect(explainWait(busy, queue.tasks[0]!)).toMatchObject({
      reason: "concurrency_limit",
      facts: { active: 1, max: 1 },
      text: "background sessions busy: 1/1",
    });
    const loaded = waitContext(queue, p, { ...idle, loadPerCore: 3.1 }, T0);
    expect(explainWait(loaded, queue.tasks[0]!).text).toBe("load per core 3.1 > 0.8");
    const free = waitContext(queue, p, idle, T0);
    expect(explainWait(free, queue.tasks[2]!)).toMatchObject({
      reason: "queued",
      facts: { ahead: 2 },
    });
    const failed = failTask(
      queue,
      queue.tasks[0]!.id,
      { message: "boom" },
      { policy: p, nowMs: T0, random: fixedRandom },
    );
    const w = waitContext(failed.queue, p, idle, T0);
    expect(explainWait(w, failed.task)).toMatchObject({
      reason: "backoff",
      untilMs: Date.parse(failed.task.run_at!),
      facts: { failures: 1 },
    });
  });

  it("says what a budget or a pacing limit holds: spent, cap, the run's expected cost; the window's use", () => {
    const model = "google/gemini-2.5-flash";
    // One model: the other whitelisted one would take the task (it has no runs to expect from).
    const limited = policy({
      models: [model],
      budget: { daily: { usd: 1 }, timeZone: "UTC" },
      pacing: { providers: { google: { perHour: 2 } } },
    });
    const history = [
      {
        task_id: "t_before",
        outcome: "done" as const,
        kind: null,
        started_at: null,
        ended_at: new Date(T0 - 60_000).toISOString(),
        model,
        usage: { input: 100, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0.3 },
      },
    ];
    const base = queueWith(["a"]);
    const spent = {
      ...base,
      history,
      spend: { "2026-11-25": { [model]: { runs: 1, usd: 0.8, tokens: 100, unpriced_runs: 0 } } },
    };
    expect(explainWait(waitContext(spent, limited, idle, T0), spent.tasks[0]!)).toMatchObject({
      reason: "budget",
      untilMs: Date.parse("2026-11-26T00:00:00.000Z"),
      facts: { budget: "all", window: "day", spent: 0.8, cap: 1, expected: 0.3, model },
      text: `today's budget for all runs has $0.20 left, the next run on ${model} is expected to cost $0.30; it resets at midnight`,
    });
    let paced = queueWith(["b"]);
    paced = recordStart(paced, limited, model, T0 - 120_000);
    paced = recordStart(paced, limited, model, T0 - 60_000);
    expect(explainWait(waitContext(paced, limited, idle, T0), paced.tasks[0]!)).toMatchObject({
      reason: "pacing",
      untilMs: T0 - 120_000 + 3_600_000,
      facts: { limit: "provider google", window: "hour", used: 2, max: 2 },
      text: "provider google started 2 of 2 runs allowed in an hour",
    });
  });
});
