/**
 * `store migrate` is lossless for everything a queue can hold, not only pending tasks: a queue
 * with a task in each of the seven states (a lease, a run with its owner, a reason, a review),
 * the run history with usage, quota holds with a probe, cooldowns, alerts of every type (a
 * budget alert with its figures), captured run ids, the spend ledger, pacing starts, ramps and
 * raised budget alerts — moved from the file into PostgreSQL, then from PostgreSQL into the file
 * of another workspace — comes back equal to what it was. Real files, a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queue, Task } from "../../src/core/queue-model.js";
import { checkStoredQueue } from "../../src/core/queue-validate.js";
import { EVERYTHING } from "../../src/core/views.js";
import { moveQueue } from "../../src/runtime/store-move.js";
import { tempDir } from "../helpers/cli.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

const AT = "2026-12-06T09:00:00.000Z";
const LATER = "2026-12-06T10:30:00.000Z";

function task(id: string, over: Partial<Task>): Task {
  return {
    id,
    prompt: `task ${id}: summarise memory/${id}.md`,
    priority: 5,
    source: "cli",
    key: null,
    state: "pending",
    attempts: 0,
    failures: 0,
    quota_failures: 0,
    added_at: AT,
    updated_at: AT,
    run_at: null,
    lease: null,
    run: null,
    last_error: null,
    finished_at: null,
    metadata: {},
    ...over,
  };
}

const run = { run_id: "run-7", session_key: "agent:main:subagent:7", model: "p/cheap" };

/** Everything a queue can hold, each field with a value that is not its default. */
function everything(): Queue {
  return {
    version: 2,
    revision: 41,
    paused: true,
    cooldowns: { "q/gone": LATER },
    holds: {
      google: {
        scope: "provider",
        until: LATER,
        source: "message",
        since: AT,
        probe: { task_id: "t_claimed", since: AT },
      },
      "p/cheap": { scope: "model", until: LATER, source: "config", since: AT, probe: null },
    },
    tasks: [
      task("t_pending", {
        priority: 2,
        key: "weekly-report",
        run_at: LATER,
        quota_failures: 1,
        last_error: { kind: "quota", message: "429 rate limited; Retry-After: 900", at: AT },
        metadata: { channel: "slack", nested: { list: [1, "two", null, { deep: true }] } },
        idempotent: true,
        max_age_hours: null,
        max_cost_usd: 0.05,
      }),
      task("t_claimed", {
        state: "claimed",
        lease: { token: "tok", expires_at: LATER, attempt: 2, model: "p/cheap", owner: "gw-a" },
        attempts: 1,
      }),
      task("t_running", {
        state: "running",
        attempts: 1,
        run: { ...run, started_at: AT, attempt: 1, owner: "gw-b" },
      }),
      task("t_done", { state: "done", attempts: 1, finished_at: LATER, source: "status-page" }),
      task("t_dead", {
        state: "dead",
        reason: "crash_loop",
        interruptions: 2,
        attempts: 2,
        failures: 2,
        finished_at: LATER,
        last_error: { kind: "interrupted", message: "gateway restarted mid-run", at: LATER },
      }),
      task("t_expired", { state: "expired", reason: "max_age", age_from: AT, max_age_hours: 1 }),
      task("t_review", {
        state: "review",
        reason: "acted_then_timed_out",
        attempts: 1,
        failures: 1,
        last_error: { kind: "timeout", message: "no answer in 30 min", at: LATER },
      }),
    ],
    history: [
      {
        task_id: "t_done",
        outcome: "done",
        kind: null,
        started_at: AT,
        ended_at: LATER,
        model: "p/cheap",
        usage: { input: 1200, output: 340, cache_read: 50, cache_write: 0, cost_usd: 0.0021 },
      },
      {
        task_id: "t_review",
        outcome: "review",
        kind: "timeout",
        started_at: AT,
        ended_at: LATER,
        model: null,
      },
    ],
    alerts: [
      {
        type: "dead",
        task_id: "t_dead",
        prompt: "x",
        error: "e",
        failures: 2,
        at: LATER,
        reason: "crash_loop",
      },
      {
        type: "review",
        task_id: "t_review",
        prompt: "y",
        error: "timeout",
        failures: 1,
        at: LATER,
      },
      {
        type: "expired",
        task_id: "t_expired",
        prompt: "z",
        error: "too old",
        failures: 0,
        at: LATER,
      },
      {
        type: "model_mismatch",
        task_id: "t_done",
        prompt: "w",
        error: "ran q/x",
        failures: 0,
        at: LATER,
      },
      {
        type: "budget",
        task_id: "",
        prompt: "",
        error: "80 % of the daily budget spent",
        failures: 0,
        at: LATER,
        budget: {
          scope: "all",
          key: "all",
          window: "day",
          unit: "usd",
          level: 0.8,
          spent: 0.81,
          cap: 1,
          resets_at: "2026-12-07T00:00:00.000Z",
        },
      },
    ],
    captured: ["run-captured-1", "run-captured-2"],
    spend: { "2026-12-06": { "p/cheap": { runs: 3, usd: 0.81, tokens: 5120, unpriced_runs: 1 } } },
    starts: { "p/cheap": [AT, LATER] },
    ramps: { google: AT },
    budget_alerts: ["all@2026-12-06#0.8"],
  };
}

/** Key order aside (jsonb keeps its own), and the revision each store counts for itself. */
function canonical(q: Queue): unknown {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return sort({ ...q, revision: 0 });
}

describe.skipIf(noPostgres)("store migrate keeps everything a queue holds", () => {
  const rig = new StoreRig();
  const cleanups: Array<() => void> = [];
  beforeAll(() => rig.start(), 180_000);
  afterAll(async () => {
    await rig.stop();
    for (const c of cleanups) c();
  });

  it("file → PostgreSQL → another workspace's file: every state, history, hold, alert and ledger", async () => {
    const original = everything();
    expect(checkStoredQueue(original)).toMatchObject({ ok: true });
    const queue = `move_${process.pid}`;
    const env = (dir: string): NodeJS.ProcessEnv => ({
      HOME: dir,
      TASK_MANAGER_DATABASE_URL: rig.server!.url,
    });
    const home = tempDir("tm-move-");
    cleanups.push(home.cleanup);
    // A file workspace that also knows the database's URL: where `store migrate` moves to.
    const from = await rig.context("file", {
      input: { store: { queue } },
      workspace: home.dir,
      deps: { env: env(home.dir) },
    });
    await from.store.mutate(EVERYTHING, () => ({ queue: original, result: null }));

    const intoDb = await moveQueue(from, "postgres");
    expect(intoDb).toMatchObject({ status: "MOVED", tasks: 7, history: 2, holds: 2, alerts: 5 });

    const to = await rig.context("postgres", { queue });
    const back = await rig.context("file", { input: { store: { queue } } });
    const fromDb = await rig.context("postgres", { queue, workspace: back.workspace.dir });
    expect(await moveQueue(fromDb, "file")).toMatchObject({ status: "MOVED", tasks: 7 });

    const inDb = (await to.store.read(EVERYTHING)).queue;
    const inFile = (await back.store.read(EVERYTHING)).queue;
    expect(canonical(inDb)).toEqual(canonical(original));
    expect(canonical(inFile)).toEqual(canonical(original));
    // The source is left as it was.
    expect(canonical((await from.store.read(EVERYTHING)).queue)).toEqual(canonical(original));
  }, 120_000);
});
