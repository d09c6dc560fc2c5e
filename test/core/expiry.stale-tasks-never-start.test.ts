import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCheckTransform } from "../../src/core/check.js";
import { expireStaleTasks, reviveExpired } from "../../src/core/expiry.js";
import { migrateLegacy } from "../../src/core/migrate.js";
import type { Policy } from "../../src/policy/schema.js";
import type { Queue } from "../../src/core/queue-model.js";
import { addTask, failTask, retryDeadTask } from "../../src/core/tasks.js";
import { emptyQueue } from "../../src/core/queue-model.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";

const host = { kind: "none" as const, state_dir: null, sessions_store: null };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function check(queue: Queue, p: Policy, nowMs: number) {
  return runCheckTransform({
    queue,
    policy: p,
    observation: idle,
    outcomes: new Map(),
    nowMs,
    random: fixedRandom,
    newToken: tokens(),
    host,
    workspace: "/ws",
  });
}

describe("max age: a task past it is not started; it becomes expired with an alert", () => {
  const p = policy();

  it("defaults to 48 hours", () => expect(p.maxAgeHours).toBe(48));

  it("just under the limit it runs; just over, it expires with an alert instead of starting", () => {
    const q = queueWith(["send the weekly report to Dana"]);
    expect(check(q, p, T0 + 48 * HOUR).status.status).toBe("READY");
    const late = check(q, p, T0 + 48 * HOUR + 1);
    expect(late.status).toMatchObject({
      status: "NO_TASKS",
      pending_count: 0,
      settled: [{ id: q.tasks[0]!.id, outcome: "expired", reason: "max_age" }],
      alerts: [
        {
          type: "expired",
          task_id: q.tasks[0]!.id,
          reason: "max_age",
          prompt: "send the weekly report to Dana",
        },
      ],
    });
    expect(late.queue.tasks[0]).toMatchObject({
      state: "expired",
      reason: "max_age",
      run_at: null,
    });
    expect(late.queue.alerts).toEqual([]);
  });

  it("the 16-day-old task of openclaw #69778 is never started", () => {
    const q = queueWith(["message Alex: running late"]);
    const r = check(q, p, T0 + 16 * DAY);
    expect(r.decision.kind).toBe("NO_TASKS");
    expect(r.queue.tasks[0]!.state).toBe("expired");
  });

  it("an expired task leaves the next one free to run in the same check", () => {
    const old = queueWith(["old"]);
    const fresh = addTask(old, { prompt: "fresh" }, T0 + 47 * HOUR, "t_fresh1").queue;
    expect(check(fresh, p, T0 + 49 * HOUR).status).toMatchObject({
      status: "READY",
      task: { id: "t_fresh1" },
    });
  });

  it("--max-age per task overrides the policy, and null means no limit", () => {
    let q = addTask(emptyQueue(), { prompt: "today only", maxAgeHours: 2 }, T0, "t_short").queue;
    q = addTask(q, { prompt: "whenever", maxAgeHours: null }, T0, "t_never").queue;
    const r = check(q, policy({ maxConcurrent: 5 }), T0 + 2 * HOUR + 1);
    expect(r.queue.tasks.find((t) => t.id === "t_short")!.state).toBe("expired");
    expect(r.queue.tasks.find((t) => t.id === "t_never")!.state).toBe("claimed");
    expect(
      check(
        addTask(emptyQueue(), { prompt: "x" }, T0, "t_pol").queue,
        policy({ maxAgeHours: null }),
        T0 + 365 * DAY,
      ).status.status,
    ).toBe("READY");
  });

  it("only pending tasks expire: a running one is not cut off, a backed-off one expires when it would have been due", () => {
    const q = queueWith(["flaky"]);
    const backed = failTask(
      q,
      q.tasks[0]!.id,
      { message: "boom" },
      { policy: p, nowMs: T0 + 47 * HOUR, random: fixedRandom },
    ).queue;
    expect(check(backed, p, T0 + 49 * HOUR).queue.tasks[0]!.state).toBe("expired");
    const running = {
      ...q,
      tasks: [
        {
          ...q.tasks[0]!,
          state: "running" as const,
          run: {
            run_id: "r",
            session_key: "s",
            model: "google/gemini-2.5-flash",
            started_at: new Date(T0 + 49 * HOUR).toISOString(),
            attempt: 1,
          },
        },
      ],
    };
    expect(check(running, p, T0 + 49 * HOUR + 1).queue.tasks[0]!.state).toBe("running");
  });

  it("expired retry revives it with its age counted from now", () => {
    const q = check(queueWith(["late"]), p, T0 + 3 * DAY).queue;
    const revived = reviveExpired(q, q.tasks[0]!.id, T0 + 3 * DAY);
    expect(revived.task).toMatchObject({
      state: "pending",
      age_from: new Date(T0 + 3 * DAY).toISOString(),
    });
    expect(revived.task.reason).toBeUndefined();
    expect(check(revived.queue, p, T0 + 3 * DAY + 1).status.status).toBe("READY");
    expect(check(revived.queue, p, T0 + 5 * DAY + 1).queue.tasks[0]!.state).toBe("expired");
  });

  it("dead retry also restarts the age clock (a person asked for it)", () => {
    const q = queueWith(["x"]);
    const dead = failTask(
      q,
      q.tasks[0]!.id,
      { message: "boom" },
      { policy: policy({ retry: { maxAttempts: 1 } }), nowMs: T0 + 40 * HOUR, random: fixedRandom },
    ).queue;
    const retried = retryDeadTask(dead, q.tasks[0]!.id, T0 + 60 * HOUR).queue;
    expect(check(retried, p, T0 + 60 * HOUR + 1).status.status).toBe("READY");
  });
});

describe("migrated legacy entries (the original bare array) resume on first install", () => {
  const months = Date.parse("2026-06-01T09:00:00Z");
  const legacy = [
    {
      prompt: "Research VPS providers",
      priority: "high",
      added_at: "2026-06-01T09:00:00Z",
      metadata: { source: "chat", retry_count: 1 },
    },
    { prompt: "Summarise the inbox", added_at: months / 1000 },
  ];

  it("age counts from the migration, not from added_at months ago; added_at still orders them", () => {
    const migrated = migrateLegacy(legacy, T0);
    expect(migrated.tasks.map((t) => t.added_at)).toEqual([
      new Date(months).toISOString(),
      new Date(months).toISOString(),
    ]);
    expect(migrated.tasks.every((t) => t.age_from === new Date(T0).toISOString())).toBe(true);
    const first = check(migrated, policy({ maxConcurrent: 2 }), T0 + 1);
    expect(first.status).toMatchObject({
      status: "READY",
      task: { prompt: "Research VPS providers" },
    });
    expect(first.queue.tasks.every((t) => t.state !== "expired")).toBe(true);
  });

  it("and, once adopted, they expire like any task if nothing ran them within the max age", () => {
    const migrated = migrateLegacy(legacy, T0);
    const later = check(migrated, policy(), T0 + 48 * HOUR + 1);
    expect(later.queue.tasks.map((t) => t.state)).toEqual(["expired", "expired"]);
  });

  it("without age_from (a v2 queue written before max age existed) an old task expires: the safe side", () => {
    const q = queueWith(["from an older version"]);
    expect(q.tasks[0]!.age_from).toBeUndefined();
    expect(check(q, policy(), T0 + 3 * DAY).queue.tasks[0]!.state).toBe("expired");
  });
});

describe("a task's own max age is checked when it is added", () => {
  it("refuses zero, negative, infinite and non-numbers with E_INVALID_INPUT naming the key", () => {
    for (const bad of [0, -1, Infinity, Number.NaN, "6" as unknown as number]) {
      expect(
        () => addTask(emptyQueue(), { prompt: "x", maxAgeHours: bad }, T0, "t_bad1"),
        String(bad),
      ).toThrow(
        expect.objectContaining({ code: "E_INVALID_INPUT", details: { key: "max_age_hours" } }),
      );
    }
  });
});

describe("the fast staleness check (string compare) judges exactly as the clock does", () => {
  it("for any added_at — as written, or hand-edited with an offset — any limit and any now", () => {
    const offsetForm = (ms: number, minutes: number): string => {
      const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
      const sign = minutes < 0 ? "-" : "+";
      const abs = Math.abs(minutes);
      return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    };
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse("2000-01-01T00:00:00Z"),
          max: Date.parse("2099-01-01T00:00:00Z"),
        }),
        fc.integer({ min: -10 * DAY, max: 10 * DAY }),
        fc.constantFrom(0.001, 1, 2.5, 48, 1000),
        fc.option(fc.integer({ min: -12 * 60, max: 14 * 60 }), { nil: undefined }),
        (added, delta, limit, offset) => {
          const addedAt =
            offset === undefined
              ? new Date(added).toISOString()
              : offsetForm(Math.floor(added / 1000) * 1000, offset);
          const q = addTask(emptyQueue(), { prompt: "x", maxAgeHours: limit }, 0, "t_p1").queue;
          const queue = { ...q, tasks: [{ ...q.tasks[0]!, added_at: addedAt }] };
          const now = Date.parse(addedAt) + limit * HOUR + delta;
          const expired = expireStaleTasks(queue, policy(), now).expired.length === 1;
          expect(expired).toBe(now - Date.parse(addedAt) > limit * HOUR);
        },
      ),
      { numRuns: 3000, seed: 48 },
    );
  });
});
