import { describe, expect, it } from "vitest";
import { runCheckTransform, runKey, type RunOutcome } from "../../src/core/check.js";
import { decide } from "../../src/core/decide.js";
import type { HistoryEntry, Queue, SpendCell } from "../../src/core/queue-model.js";
import {
  recordSpend,
  SPEND_DAYS_KEPT,
  SPEND_MODELS_PER_DAY,
  type SpendEnv,
} from "../../src/core/spend.js";
import { ackTask, addTask, claimTask } from "../../src/core/tasks.js";
import type { PolicyInput } from "../../src/policy/schema.js";
import {
  fixedRandom,
  idle,
  policy,
  queueWith,
  RELAXED_POLICY,
  T0,
  tokens,
} from "../helpers/fixtures.js";

const A = "fake/dear";
const B = "fake/cheap";
const G = "google/flash";
const PRICE = { input: 1, output: 4, cacheRead: 0, cacheWrite: 0 };
const env: SpendEnv = {
  timeZone: "UTC",
  catalog: { costOf: (m) => (m === "nopriced/x" ? null : PRICE) },
};
const obs = { ...idle, spend: env };
const DAY_END = Date.parse("2026-11-26T00:00:00.000Z");

const budgetPolicy = (budget: PolicyInput["budget"], extra: PolicyInput = {}) =>
  policy({
    ...RELAXED_POLICY,
    models: [A, B],
    maxAgeHours: null,
    budget: { timeZone: "UTC", ...budget },
    ...extra,
  });

/** A settled run of `model` that cost `usd` (recorded by the host) and used `tokens`. */
const ran = (model: string, usd: number | null, tokens = 1000): HistoryEntry => ({
  task_id: "t_old",
  outcome: "done",
  kind: null,
  started_at: new Date(T0 - 600_000).toISOString(),
  ended_at: new Date(T0 - 300_000).toISOString(),
  model,
  usage: { input: tokens, output: 0, cache_read: 0, cache_write: 0, cost_usd: usd },
});

const cell = (usd: number, tokens = 0, runs = 1, unpriced = 0): SpendCell => ({
  runs,
  usd,
  tokens,
  unpriced_runs: unpriced,
});

/** One pending task, a history of `model` runs at `each` USD, and `spent` already in today's ledger. */
function spentQueue(spent: Record<string, SpendCell>, history: HistoryEntry[] = []): Queue {
  const q = queueWith(["next"]);
  return { ...q, history, spend: { "2026-11-25": spent } };
}

const check = (
  queue: Queue,
  p = budgetPolicy({ daily: { usd: 1 } }),
  outcomes = new Map<string, RunOutcome>(),
  nowMs = T0,
) =>
  runCheckTransform({
    queue,
    policy: p,
    observation: obs,
    outcomes,
    nowMs,
    random: fixedRandom,
    newToken: tokens(),
    host: { kind: "none", state_dir: null, sessions_store: null },
    workspace: "/w",
  });

describe("a start must leave the budget room for what the run is expected to cost", () => {
  it("left $0.03, the model's last runs cost $0.04 each: DEFERRED budget until the day ends", () => {
    const q = spentQueue({ [A]: cell(0.97) }, [ran(A, 0.04), ran(A, 0.04)]);
    const d = decide(q, budgetPolicy({ daily: { usd: 1 } }, { models: [A] }), obs, T0);
    expect(d).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      retryAtMs: DAY_END,
      budget: {
        scope: "all",
        window: "day",
        unit: "usd",
        cap: 1,
        spent: 0.97,
        expected: 0.04,
        model: A,
        resets_at: "2026-11-26T00:00:00.000Z",
      },
    });
  });

  it("a cheaper whitelisted model whose runs fit takes the task instead", () => {
    const q = spentQueue({ [A]: cell(0.97) }, [ran(A, 0.04), ran(B, 0.01)]);
    expect(decide(q, budgetPolicy({ daily: { usd: 1 } }), obs, T0)).toMatchObject({
      kind: "READY",
      model: B,
    });
  });

  it("a task's own --max-cost is what is reserved, in either direction", () => {
    const q = spentQueue({ [A]: cell(0.97) }, [ran(A, 0.04)]);
    const small = addTask(
      q,
      { prompt: "small", priority: 1, maxCostUsd: 0.02 },
      T0,
      "t_small",
    ).queue;
    expect(
      decide(small, budgetPolicy({ daily: { usd: 1 } }, { models: [A] }), obs, T0),
    ).toMatchObject({ kind: "READY", task: { id: "t_small" } });
    const big = addTask(
      spentQueue({ [A]: cell(0.5) }, [ran(A, 0.01)]),
      { prompt: "big", priority: 1, maxCostUsd: 0.6 },
      T0,
      "t_big",
    ).queue;
    expect(
      decide(big, budgetPolicy({ daily: { usd: 1 } }, { models: [A] }), obs, T0),
    ).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      budget: { expected: 0.6 },
    });
  });

  it("what the runs already out are expected to cost is reserved (two at once)", () => {
    const p = budgetPolicy({ daily: { usd: 1 } }, { models: [A], maxConcurrent: 2 });
    let q = spentQueue({ [A]: cell(0.94) }, [ran(A, 0.04)]);
    q = addTask(q, { prompt: "second" }, T0, "t_second").queue;
    const first = q.tasks[0]!;
    q = claimTask(q, first, { token: "x", model: A, leaseSeconds: 300 }, T0).queue;
    q = ackTask(
      q,
      first.id,
      { runId: "r1", sessionKey: "agent:main:subagent:s1", model: A },
      T0,
    ).queue;
    // 1 − 0.94 − 0.04 (out) = 0.02 left: the second run, expected at 0.04, must wait.
    expect(decide(q, p, obs, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      budget: { reserved: 0.04, expected: 0.04 },
    });
  });

  it("a run that overspends is recorded as it was; the next start waits and the budget says it is over", () => {
    const p = budgetPolicy({ daily: { usd: 1 } }, { models: [A] });
    let q = spentQueue({ [A]: cell(0.95) }, [ran(A, 0.02)]);
    q = addTask(q, { prompt: "after" }, T0, "t_after").queue;
    const first = q.tasks[0]!;
    q = claimTask(q, first, { token: "x", model: A, leaseSeconds: 300 }, T0).queue;
    q = ackTask(
      q,
      first.id,
      { runId: "r1", sessionKey: "agent:main:subagent:s1", model: A },
      T0,
    ).queue;
    const running = q.tasks.find((t) => t.id === first.id)!;
    const outcomes = new Map<string, RunOutcome>([
      [
        runKey(running),
        {
          status: "done",
          model: A,
          usage: { input: 50_000, output: 12_500, cacheRead: 0, cacheWrite: 0, costUsd: null },
        },
      ],
    ]);
    const r = check(q, p, outcomes, T0 + 60_000);
    // 50,000 × $1/M + 12,500 × $4/M = $0.10: past the cap by $0.05.
    expect(r.queue.spend?.["2026-11-25"]?.[A]).toEqual({
      runs: 2,
      usd: 1.05,
      tokens: 62_500,
      unpriced_runs: 0,
    });
    expect(r.status).toMatchObject({
      status: "DEFERRED",
      reason: "budget",
      retry_at: "2026-11-26T00:00:00.000Z",
      limits: { budgets: [{ spent: 1.05, left: -0.05, cap: 1 }] },
    });
    const levels = (r.status.status === "DEFERRED" ? (r.status.alerts ?? []) : []).map((a) => [
      a.type,
      a.budget?.level,
    ]);
    expect(levels).toEqual([["budget", 1]]);
  });

  it("a provider's budget holds only that provider: another provider's model takes the work", () => {
    const p = budgetPolicy({ providers: { fake: { daily: { usd: 0.5 } } } }, { models: [A, G] });
    const q = spentQueue({ [A]: cell(0.5) });
    expect(decide(q, p, obs, T0)).toMatchObject({ kind: "READY", model: G });
    const noOther = budgetPolicy(
      { providers: { fake: { daily: { usd: 0.5 } } } },
      { models: [A, B] },
    );
    expect(decide(q, noOther, obs, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      budget: { scope: "provider", key: "fake" },
    });
  });

  it("a run without a price counts its tokens against a token cap and is reported unpriced; a USD cap does not see it", () => {
    const M = "nopriced/x";
    const p = budgetPolicy({ daily: { usd: 0.01, tokens: 1500 } }, { models: [M] });
    let q = queueWith(["a", "b"]);
    q = recordSpend(q, [ran(M, null, 1000)], env, T0);
    q = { ...q, history: [ran(M, null, 1000)] };
    expect(q.spend?.["2026-11-25"]?.[M]).toEqual({
      runs: 1,
      usd: 0,
      tokens: 1000,
      unpriced_runs: 1,
    });
    const d = decide(q, p, obs, T0);
    expect(d).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      budget: { unit: "tokens", spent: 1000, expected: 1000, cap: 1500 },
    });
    const status = check(q, p).status;
    expect(status.status !== "ERROR" && status.limits?.budgets).toEqual([
      expect.objectContaining({ unit: "usd", spent: 0, left: 0.01, unpriced_runs: 1 }),
      expect.objectContaining({ unit: "tokens", spent: 1000, left: 500, unpriced_runs: 1 }),
    ]);
  });

  it("a monthly budget resets on the 1st at local midnight", () => {
    const p = budgetPolicy({ monthly: { usd: 1 }, timeZone: "Europe/Paris" }, { models: [A] });
    const q = spentQueue({ [A]: cell(1) });
    const paris: SpendEnv = { ...env, timeZone: "Europe/Paris" };
    expect(decide(q, p, { ...idle, spend: paris }, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "budget",
      retryAtMs: Date.parse("2026-11-30T23:00:00.000Z"),
      budget: { window: "month" },
    });
  });

  it("budgets off (the default): no limits in the status, the decision as before", () => {
    const q = spentQueue({ [A]: cell(1000) });
    const r = check(q, policy({ ...RELAXED_POLICY, models: [A] }));
    expect(r.status).toMatchObject({ status: "READY" });
    expect(r.status).not.toHaveProperty("limits");
  });
});

describe("budget alerts", () => {
  it("the used-up alert fires when the budget stops a start, though a little is left", () => {
    const p = budgetPolicy({ daily: { usd: 1 }, alertAt: null }, { models: [A] });
    const r = check(spentQueue({ [A]: cell(0.97) }, [ran(A, 0.04)]), p);
    expect(r.status).toMatchObject({ status: "DEFERRED", reason: "budget" });
    const alerts = r.status.status === "DEFERRED" ? (r.status.alerts ?? []) : [];
    expect(alerts).toEqual([
      expect.objectContaining({
        type: "budget",
        budget: expect.objectContaining({ level: 1, spent: 0.97, cap: 1 }),
        error: expect.stringMatching(
          /^today's budget for all runs is used up: \$0\.97 of \$1\.00 \(97%\)/,
        ),
      }),
    ]);
    expect(check(r.queue, p).status).not.toHaveProperty("alerts");
  });

  it("fire once per window at 80 % and once when used up, never on every tick, and again in the next window", () => {
    const p = budgetPolicy({ daily: { usd: 1 } }, { models: [A] });
    let q: Queue = spentQueue({ [A]: cell(0.85) });
    q = { ...q, paused: true };
    const seen: Array<[number, number | undefined]> = [];
    const at = (nowMs: number) => {
      const r = check(q, p, new Map(), nowMs);
      q = r.queue;
      for (const a of r.status.status !== "ERROR" ? (r.status.alerts ?? []) : [])
        seen.push([nowMs, a.budget?.level]);
    };
    for (let i = 0; i < 5; i++) at(T0 + i * 60_000);
    expect(seen).toEqual([[T0, 0.8]]);
    q = { ...q, spend: { "2026-11-25": { [A]: cell(1.01) } } };
    for (let i = 5; i < 10; i++) at(T0 + i * 60_000);
    expect(seen.map(([, l]) => l)).toEqual([0.8, 1]);
    // The next day: a new window, nothing spent — no alert; then 80 % again.
    at(DAY_END + 60_000);
    expect(seen).toHaveLength(2);
    expect(q.budget_alerts).toEqual([]);
    q = { ...q, spend: { ...q.spend, "2026-11-26": { [A]: cell(0.9) } } };
    at(DAY_END + 120_000);
    at(DAY_END + 180_000);
    expect(seen.map(([, l]) => l)).toEqual([0.8, 1, 0.8]);
  });
});

describe("the ledger stays bounded", () => {
  it(`keeps ${SPEND_DAYS_KEPT} days and at most ${SPEND_MODELS_PER_DAY} models a day (the rest summed as "(other)")`, () => {
    let q = queueWith([]);
    for (let d = 0; d < 80; d++) {
      const ms = T0 - d * 86_400_000;
      q = recordSpend(q, [{ ...ran(A, 0.01), ended_at: new Date(ms).toISOString() }], env, T0);
    }
    expect(Object.keys(q.spend!)).toHaveLength(SPEND_DAYS_KEPT);
    const models = Array.from({ length: 40 }, (_, i) => `p/m${i}`);
    q = recordSpend(
      q,
      models.map((m, i) => ({ ...ran(m, 0.001 * (i + 1)), ended_at: new Date(T0).toISOString() })),
      env,
      T0,
    );
    const today = q.spend!["2026-11-25"]!;
    expect(Object.keys(today).length).toBeLessThanOrEqual(SPEND_MODELS_PER_DAY);
    const total = Object.values(today).reduce((s, c) => s + c.usd, 0);
    expect(total).toBeCloseTo(0.01 + models.reduce((s, _, i) => s + 0.001 * (i + 1), 0), 9);
    expect(Object.values(today).reduce((s, c) => s + c.runs, 0)).toBe(41);
  });
});
