import { describe, expect, it } from "vitest";
import { runCheckTransform, runKey, type RunOutcome } from "../../src/core/check.js";
import { EMPTY_CATALOG, priceUsage, summarizeSpend } from "../../src/core/cost.js";
import type { HistoryEntry, Queue } from "../../src/core/queue-model.js";
import { queueStats } from "../../src/core/stats.js";
import { ackTask } from "../../src/core/tasks.js";
import { catalogFromHostConfig } from "../../src/runtime/model-catalog.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";
import { countStates } from "../../src/store/change.js";

/** The shape both hosts write: models.providers.<id>.models[].cost per million tokens; agents.defaults.model.primary. */
const hostConfig = {
  agents: { defaults: { model: { primary: "anthropic/claude-opus-4" } } },
  models: {
    mode: "merge",
    providers: {
      anthropic: {
        models: [
          {
            id: "claude-opus-4",
            cost: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
          },
          { id: "claude-haiku-4-5", cost: { input: 1, output: 5 } },
        ],
      },
      google: {
        models: [
          {
            id: "gemini-2.5-flash",
            cost: { input: 0.3, output: 2.5, cacheRead: 0.075, cacheWrite: 0 },
          },
          { id: "no-price" },
        ],
      },
    },
  },
};

const entry = (
  model: string | null,
  outcome: HistoryEntry["outcome"],
  usage?: HistoryEntry["usage"],
  seconds = 10,
): HistoryEntry => ({
  task_id: "t_x",
  outcome,
  kind: outcome === "done" ? null : "error",
  started_at: new Date(T0).toISOString(),
  ended_at: new Date(T0 + seconds * 1000).toISOString(),
  model,
  ...(usage ? { usage } : {}),
});
const usage = (
  input: number,
  output: number,
  cost_usd: number | null = null,
  cache_read = 0,
  cache_write = 0,
) => ({ input, output, cache_read, cache_write, cost_usd });

describe("the host's model catalog, read from its config", () => {
  it("prices per million tokens by provider/model, and the main model", () => {
    const catalog = catalogFromHostConfig(hostConfig);
    expect(catalog.mainModel).toBe("anthropic/claude-opus-4");
    expect(catalog.costOf("google/gemini-2.5-flash")).toEqual({
      input: 0.3,
      output: 2.5,
      cacheRead: 0.075,
      cacheWrite: 0,
    });
    expect(catalog.costOf("anthropic/claude-haiku-4-5")).toEqual({
      input: 1,
      output: 5,
      cacheRead: 0,
      cacheWrite: 0,
    });
    expect(catalog.costOf("google/no-price")).toBeNull();
    expect(catalog.costOf("nobody/nothing")).toBeNull();
  });

  it("a plain-string main model, and configs with nothing usable", () => {
    expect(
      catalogFromHostConfig({ agents: { defaults: { model: "openai/gpt-5" } } }).mainModel,
    ).toBe("openai/gpt-5");
    for (const raw of [
      null,
      undefined,
      {},
      { models: { providers: [] } },
      { models: { providers: { x: { models: [{ id: "m", cost: { input: "1", output: 2 } }] } } } },
    ]) {
      const c = catalogFromHostConfig(raw as Record<string, unknown> | null);
      expect(c.mainModel).toBeNull();
      expect(c.costOf("x/m")).toBeNull();
    }
  });
});

describe("spend per model, success rate, mean run time, and what the main model would have cost", () => {
  const catalog = catalogFromHostConfig(hostConfig);

  it("prices each run: the host's recorded cost when there is one, else the catalog", () => {
    const history = [
      entry("google/gemini-2.5-flash", "done", usage(1_000_000, 100_000, null, 200_000), 20),
      entry("google/gemini-2.5-flash", "failed", usage(10_000, 0, 0.01), 4),
      entry("anthropic/claude-haiku-4-5", "done", usage(2_000, 1_000, null), 30),
    ];
    const s = summarizeSpend(history, catalog);
    // 1M×0.3 + 0.1M×2.5 + 0.2M×0.075 = 0.3 + 0.25 + 0.015 = 0.565 (catalog); + 0.01 recorded.
    expect(s.by_model["google/gemini-2.5-flash"]).toMatchObject({
      runs: 2,
      done: 1,
      success_rate: 0.5,
      mean_run_seconds: 20,
      input: 1_010_000,
      output: 100_000,
      cache_read: 200_000,
      cost_usd: 0.575,
      unpriced_runs: 0,
    });
    // 2k×1 + 1k×5 = 0.007
    expect(s.by_model["anthropic/claude-haiku-4-5"]).toMatchObject({
      runs: 1,
      done: 1,
      success_rate: 1,
      cost_usd: 0.007,
    });
    expect(s.total_usd).toBe(0.582);
    // The same tokens on opus: 1.012M×15 + 0.101M×75 + 0.2M×1.5 = 15.18 + 7.575 + 0.3 = 23.055
    expect(s.main_model).toBe("anthropic/claude-opus-4");
    expect(s.on_main_model_usd).toBe(23.055);
    expect(s.saved_usd).toBe(22.473);
  });

  it("runs without usage, or without any price, are counted but not priced", () => {
    const s = summarizeSpend(
      [entry("google/no-price", "done", usage(100, 100)), entry("google/gemini-2.5-flash", "done")],
      catalog,
    );
    expect(s.by_model["google/no-price"]).toMatchObject({ runs: 1, unpriced_runs: 1, cost_usd: 0 });
    expect(s.by_model["google/gemini-2.5-flash"]).toMatchObject({
      runs: 1,
      runs_without_usage: 1,
      cost_usd: 0,
    });
    expect(s.total_usd).toBe(0);
    expect(s.saved_usd).toBe(0);
  });

  it("with no catalog: recorded costs still add up, the comparison is unknown", () => {
    const s = summarizeSpend(
      [entry("google/gemini-2.5-flash", "done", usage(10, 10, 0.25))],
      EMPTY_CATALOG,
    );
    expect(s).toMatchObject({
      total_usd: 0.25,
      main_model: null,
      on_main_model_usd: null,
      saved_usd: null,
    });
  });

  it("priceUsage is tokens × price per million", () => {
    expect(
      priceUsage(usage(2_000_000, 1_000_000, null, 4_000_000, 1_000_000), {
        input: 1,
        output: 2,
        cacheRead: 0.5,
        cacheWrite: 3,
      }),
    ).toBe(2 + 2 + 2 + 3);
  });
});

describe("every settled run records the model that really ran, its tokens and cost", () => {
  const host = { kind: "none" as const, state_dir: null, sessions_store: null };
  const p = policy({ retry: { baseDelayMs: 1000 } });
  const check = (queue: Queue, nowMs: number, outcomes = new Map<string, RunOutcome>()) =>
    runCheckTransform({
      queue,
      policy: p,
      observation: { ...idle, mainBusy: true },
      outcomes,
      nowMs,
      random: fixedRandom,
      newToken: tokens(),
      host,
      workspace: "/ws",
    });

  function runningQueue(): { queue: Queue; key: string } {
    const ready = runCheckTransform({
      queue: queueWith(["x"]),
      policy: p,
      observation: idle,
      outcomes: new Map(),
      nowMs: T0,
      random: fixedRandom,
      newToken: tokens(),
      host,
      workspace: "/ws",
    });
    const acked = ackTask(
      ready.queue,
      ready.queue.tasks[0]!.id,
      { runId: "r", sessionKey: "agent:main:subagent:c", model: "google/gemini-2.5-flash" },
      T0,
    );
    return { queue: acked.queue, key: runKey(acked.task) };
  }

  it("done, failed, under review: history carries model and usage; stats sums them", () => {
    const facts = {
      model: "google/gemini-2.5-flash",
      usage: { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0, costUsd: 0.0012 },
      toolCalls: 0,
    };
    const done = runningQueue();
    const q1 = check(
      done.queue,
      T0 + 5000,
      new Map([[done.key, { status: "done", ...facts }]]),
    ).queue;
    expect(q1.history.at(-1)).toEqual({
      task_id: q1.tasks[0]!.id,
      outcome: "done",
      kind: null,
      started_at: new Date(T0).toISOString(),
      ended_at: new Date(T0 + 5000).toISOString(),
      model: "google/gemini-2.5-flash",
      usage: { input: 1200, output: 340, cache_read: 0, cache_write: 0, cost_usd: 0.0012 },
    });
    const failed = runningQueue();
    const q2 = check(
      failed.queue,
      T0 + 5000,
      new Map([
        [
          failed.key,
          {
            status: "failed",
            message: "boom",
            ...facts,
            model: "google/gemini-2.5-pro",
            usage: { ...facts.usage, costUsd: null },
          },
        ],
      ]),
    ).queue;
    expect(q2.history.at(-1)).toMatchObject({
      outcome: "failed",
      model: "google/gemini-2.5-pro",
      usage: { input: 1200, cost_usd: null },
    });
    const stats = queueStats(
      { ...q1, history: [...q1.history, ...q2.history] },
      countStates(q1.tasks),
      catalogFromHostConfig(hostConfig),
      T0 + 6000,
    );
    expect(stats.spend.by_model["google/gemini-2.5-flash"]).toMatchObject({
      runs: 1,
      cost_usd: 0.0012,
    });
    expect(stats.spend.by_model["google/gemini-2.5-pro"]).toMatchObject({
      runs: 1,
      unpriced_runs: 1,
    });
    expect(stats.history).toMatchObject({
      runs: 2,
      done: 1,
      failed: 1,
      success_rate: 0.5,
      mean_run_seconds: 5,
    });
  });

  it("odd numbers from an adapter are made sane: negative or fractional tokens, a negative cost", () => {
    const r = runningQueue();
    const q = check(
      r.queue,
      T0 + 1,
      new Map([
        [
          r.key,
          {
            status: "done",
            usage: { input: -5, output: 2.6, cacheRead: Number.NaN, cacheWrite: 1, costUsd: -1 },
          },
        ],
      ]),
    ).queue;
    expect(q.history.at(-1)!.usage).toEqual({
      input: 0,
      output: 3,
      cache_read: 0,
      cache_write: 1,
      cost_usd: null,
    });
  });
});
