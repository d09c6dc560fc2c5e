/**
 * The two stores must hand the core the same view of a queue, or the same queue would be
 * decided differently depending on where it lives. The file store selects in memory
 * (core/views.ts); the database by SQL (store/postgres/view-sql.ts). Here both hold the same
 * random queues, and every scope must select the same tasks, in the same order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyQueue, type Queue, type Task, TASK_STATES } from "../../src/core/queue-model.js";
import { isoTime } from "../../src/core/time.js";
import { EVERYTHING, type Scope } from "../../src/core/views.js";
import type { Context } from "../../src/runtime/context.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";
import { seeded } from "../helpers/sim.js";

const NOW = Date.parse("2026-12-03T12:00:00.000Z");
const HOUR = 3_600_000;

/** A queue with every kind of task the views tell apart: states, retry times, ages, ties. */
function randomQueue(seed: number, size: number): Queue {
  const r = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const at = (hoursAgo: number): string => isoTime(NOW - Math.round(hoursAgo * HOUR));
  const tasks: Task[] = [];
  for (let i = 0; i < size; i++) {
    const state = r() < 0.5 ? "pending" : pick(TASK_STATES);
    const added = at(pick([1, 5, 5, 30, 60, 100]));
    const finished = state === "done" || state === "dead" || state === "expired";
    const task: Task = {
      id: `t_${seed.toString(36)}x${i.toString(36)}`,
      prompt: pick(["same text", `task ${i}`]),
      priority: pick([1, 2, 5, 5, 5, 9]),
      source: pick(["cli", "tool"]),
      key: r() < 0.2 ? pick(["k1", "k2"]) : null,
      state,
      attempts: 0,
      failures: 0,
      quota_failures: 0,
      added_at: added,
      updated_at: at(pick([0.5, 2, 3])),
      run_at: state === "pending" && r() < 0.4 ? isoTime(NOW + pick([-2, 1, 1, 3]) * HOUR) : null,
      lease:
        state === "claimed"
          ? { token: "tok", expires_at: isoTime(NOW + HOUR), attempt: 1, model: "p/m" }
          : null,
      run:
        state === "running"
          ? { run_id: null, session_key: `s${i}`, model: "p/m", started_at: at(0.1), attempt: 1 }
          : null,
      last_error: null,
      finished_at: finished ? at(pick([0.2, 0.2, 4])) : null,
      metadata: { i },
    };
    const age = r();
    if (age < 0.15) task.max_age_hours = pick([2, 48]);
    else if (age < 0.25) task.max_age_hours = null;
    if (r() < 0.1) task.age_from = at(0.5);
    tasks.push(task);
  }
  const probe = tasks.find((t) => t.state === "pending");
  const holds = probe
    ? {
        p: {
          scope: "provider" as const,
          until: at(1),
          source: "default" as const,
          since: at(2),
          probe: { task_id: probe.id, since: at(0.5) },
        },
      }
    : undefined;
  const history = Array.from({ length: 20 }, (_, i) => ({
    task_id: `t_h${i}`,
    outcome: "done" as const,
    kind: null,
    started_at: null,
    ended_at: at(20 - i),
    model: "p/m",
  }));
  return { ...emptyQueue(), ...(holds ? { holds } : {}), tasks, history };
}

const SCOPES: Array<[string, Scope]> = [
  ["dispatch, policy age 48 h", { tasks: "dispatch", head: 3, maxAgeHours: 48, history: 5 }],
  ["dispatch, no policy age", { tasks: "dispatch", head: 1, maxAgeHours: null }],
  ["page", { tasks: "page", perState: 4, head: 2, maxAgeHours: 24, history: 30 }],
  ["duplicates by prompt", { tasks: "duplicates", prompt: "same text", source: "cli", key: null }],
  ["duplicates by key", { tasks: "duplicates", prompt: "x", source: "cli", key: "k1" }],
  ["states", { tasks: "states", states: ["dead", "review"] }],
  ["none", { tasks: "none", history: 3 }],
  ["all", EVERYTHING],
];

describe.skipIf(noPostgres)(
  "every scope selects the same tasks from the file and from PostgreSQL",
  () => {
    const rig = new StoreRig();
    beforeAll(() => rig.start(), 180_000);
    afterAll(() => rig.stop());

    const load = async (ctx: Context, queue: Queue): Promise<void> => {
      await ctx.store.mutate(EVERYTHING, () => ({ queue, result: null }));
    };

    for (const seed of [1, 2, 3, 4, 5, 6]) {
      it(`random queue, seed ${seed}`, async () => {
        const queue = randomQueue(seed, 60 + seed * 15);
        const deps = { now: () => NOW };
        const file = await rig.context("file", { deps });
        const db = await rig.context("postgres", { deps });
        await load(file, queue);
        await load(db, queue);
        for (const [name, scope] of SCOPES) {
          const a = await file.store.read(scope);
          const b = await db.store.read(scope);
          const ids = (q: Queue) => q.tasks.map((t) => t.id);
          expect(ids(b.queue), `${name} (seed ${seed})`).toEqual(ids(a.queue));
          expect(b.queue.tasks, `${name}: whole tasks (seed ${seed})`).toEqual(a.queue.tasks);
          expect(b.queue.history, `${name}: history (seed ${seed})`).toEqual(a.queue.history);
          expect(b.counts, `${name}: counts (seed ${seed})`).toEqual(a.counts);
          expect(b.queue.holds).toEqual(a.queue.holds);
        }
        // Not a trivial pass: the views differ from each other and from the whole queue.
        const dispatch = await db.store.read(SCOPES[0]![1]);
        expect(dispatch.queue.tasks.length).toBeGreaterThan(0);
        expect(dispatch.queue.tasks.length).toBeLessThan(queue.tasks.length);
      }, 120_000);
    }
  },
);
