import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runCheckTransform } from "../../src/core/check.js";
import { legacyQueueSchema, queueSchema } from "../../src/core/queue-schema.js";
import { checkLegacy, checkQueue, isIsoDateTime } from "../../src/core/queue-validate.js";
import { budgetStates, raiseBudgetAlerts } from "../../src/core/budget.js";
import { placeHold } from "../../src/core/holds.js";
import { recordStart } from "../../src/core/pacing.js";
import { recordSpend } from "../../src/core/spend.js";
import { sendToReview } from "../../src/core/review.js";
import { ackTask, addTask, failTask } from "../../src/core/tasks.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";

/**
 * A queue touching every field: pending, claimed (lease), running (run), failed (last_error),
 * dead (alert with a reason), under review, expired, a task with every optional field, a run
 * with usage in history, cooldowns, and quota holds with and without a probe.
 */
function richQueue(): unknown {
  const p = policy({ retry: { maxAttempts: 1 } });
  let q = queueWith(["a", "b", "c", "d", "e"]);
  q = runCheckTransform({
    queue: q,
    policy: p,
    observation: idle,
    outcomes: new Map(),
    nowMs: T0,
    random: fixedRandom,
    newToken: tokens(),
    host: { kind: "none", state_dir: null, sessions_store: null },
    workspace: "/w",
  }).queue;
  q = ackTask(
    q,
    q.tasks[1]!.id,
    { runId: "r", sessionKey: "agent:main:subagent:x", model: "google/gemini-2.5-flash" },
    T0,
  ).queue;
  q = failTask(
    q,
    q.tasks[2]!.id,
    { message: "429 rate limited; Retry-After: 600 seconds" },
    { policy: p, nowMs: T0, random: fixedRandom },
  ).queue;
  q = failTask(
    q,
    q.tasks[3]!.id,
    {
      message: "boom",
      facts: {
        model: "google/gemini-2.5-pro",
        usage: { input: 10, output: 5, cacheRead: 1, cacheWrite: 0, costUsd: 0.0001 },
      },
    },
    { policy: p, nowMs: T0, random: fixedRandom },
  ).queue;
  q = ackTask(q, q.tasks[4]!.id, { runId: "r2", sessionKey: "agent:main:subagent:z" }, T0).queue;
  q = sendToReview(
    q,
    q.tasks[4]!.id,
    "timed_out",
    { message: "no final answer", kind: "timeout", facts: { toolCalls: 2 } },
    { policy: p, nowMs: T0, random: fixedRandom },
  ).queue;
  const optional = addTask(
    q,
    { prompt: "f", idempotent: true, maxAgeHours: 12 },
    T0,
    "t_optional1",
  );
  q = {
    ...optional.queue,
    tasks: optional.queue.tasks.map((t) =>
      t.id === "t_optional1"
        ? {
            ...t,
            state: "expired" as const,
            reason: "max_age" as const,
            age_from: new Date(T0).toISOString(),
            interruptions: 1,
          }
        : t,
    ),
  };
  q = addTask(q, { prompt: "g", maxAgeHours: null, maxCostUsd: 0.25 }, T0, "t_optional2").queue;
  // Budgets and pacing: the ledger, start times, a lifted hold's ramp, a budget alert.
  const limits = policy({
    budget: { daily: { usd: 0.0001 }, timeZone: "UTC" },
    pacing: { providers: { google: { perHour: 10 } } },
  });
  const env = { timeZone: "UTC", catalog: { costOf: () => null } };
  q = recordSpend(q, q.history, env, T0);
  q = recordStart(q, limits, "google/gemini-2.5-flash", T0);
  q = raiseBudgetAlerts(q, limits, budgetStates(q, limits, env, T0), T0, { taskId: "t_optional2" });
  q = { ...q, ramps: { google: new Date(T0).toISOString() } };
  const probe = { task_id: q.tasks[0]!.id, since: new Date(T0).toISOString() };
  const held = placeHold(
    q,
    "google/gemini-2.5-flash",
    "provider",
    { untilMs: T0 + 600_000, source: "message" },
    T0,
  );
  const holds = {
    ...held.holds,
    anthropic: {
      scope: "provider" as const,
      until: new Date(T0).toISOString(),
      source: "host" as const,
      since: new Date(T0).toISOString(),
      probe,
    },
  };
  return JSON.parse(
    JSON.stringify({
      ...q,
      holds,
      cooldowns: { "google/gemini-2.5-flash": new Date(T0).toISOString() },
      captured: ["agent:main:subagent:y@1"],
    }),
  );
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Replaces, deletes or adds one value at a path chosen by `pick` (a fraction) in a copy of `root`. */
function mutate(
  root: Json,
  pick: number,
  replacement: Json,
  mode: "replace" | "delete" | "add",
): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  const slots: Array<{ parent: Json[] | { [k: string]: Json }; key: string | number }> = [];
  const walk = (node: Json): void => {
    if (Array.isArray(node))
      node.forEach((v, i) => {
        slots.push({ parent: node, key: i });
        walk(v);
      });
    else if (node !== null && typeof node === "object")
      for (const [k, v] of Object.entries(node)) {
        slots.push({ parent: node, key: k });
        walk(v);
      }
  };
  walk(copy);
  const slot = slots[Math.floor(pick * slots.length)];
  if (!slot) return replacement;
  const parent = slot.parent as Record<string | number, Json>;
  if (mode === "delete" && !Array.isArray(slot.parent)) delete parent[slot.key];
  else if (mode === "add" && !Array.isArray(slot.parent))
    parent[`extra_${String(slot.key)}`] = replacement;
  else parent[slot.key] = replacement;
  return copy;
}

const agree = (data: unknown): void => {
  expect(checkQueue(data).ok, JSON.stringify(data).slice(0, 300)).toBe(
    queueSchema.safeParse(data).success,
  );
};

describe("the hand-written queue check agrees with the zod schema", () => {
  it("accepts a queue that uses every field", () => {
    const rich = richQueue() as {
      tasks: Array<Record<string, unknown>>;
      history: Array<Record<string, unknown>>;
      alerts: Array<Record<string, unknown>>;
      holds: Record<string, { probe: unknown }>;
    };
    // The fixture really holds what the property test below corrupts.
    expect(rich.tasks.map((t) => t.state).sort()).toEqual([
      "claimed",
      "dead",
      "expired",
      "pending",
      "pending",
      "review",
      "running",
    ]);
    for (const key of ["spend", "starts", "ramps", "budget_alerts"])
      expect(rich, key).toHaveProperty(key);
    expect(rich.alerts.some((a) => "budget" in a)).toBe(true);
    for (const key of [
      "idempotent",
      "max_age_hours",
      "age_from",
      "reason",
      "interruptions",
      "max_cost_usd",
    ])
      expect(
        rich.tasks.some((t) => key in t),
        key,
      ).toBe(true);
    expect(rich.history.some((h) => "usage" in h)).toBe(true);
    expect(rich.alerts.some((a) => "reason" in a)).toBe(true);
    expect(
      Object.values(rich.holds)
        .map((h) => h.probe === null)
        .sort(),
    ).toEqual([false, true]);
    expect(checkQueue(rich)).toMatchObject({ ok: true });
    expect(queueSchema.safeParse(rich).success).toBe(true);
  });

  it("queues written before the optional fields existed stay valid", () => {
    const old = queueWith(["a"]);
    expect(checkQueue(JSON.parse(JSON.stringify(old)))).toMatchObject({ ok: true });
    expect("holds" in old).toBe(false);
  });

  it("on arbitrary corruptions of a valid queue (replace, delete, add a key)", () => {
    const base = richQueue() as Json;
    const times = fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
      fc.constantFrom(
        "2026-02-29T00:00:00Z",
        "2028-02-29T10:00:00+01:00",
        "2026-11-25T12:00Z",
        "2026-11-25T24:00:00Z",
      ),
    );
    const values = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<Json>,
      times,
      fc.integer(),
      fc.double(),
      fc.constantFrom(
        2,
        -1,
        0,
        1.5,
        2 ** 60,
        Infinity,
        1e-9,
        "t_abc",
        "t_ABC",
        "pending",
        "quota",
        "review",
        "expired",
        "interrupted",
        "crash_loop",
        "provider",
        "host",
        "budget",
        "usd",
        "day",
        "all",
        null,
        true,
        "",
      ),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        values,
        fc.constantFrom("replace", "delete", "add") as fc.Arbitrary<"replace" | "delete" | "add">,
        (pick, value, mode) => agree(mutate(base, pick, value, mode)),
      ),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it("on every field of that queue set to each edge value in turn (exhaustive, not sampled)", () => {
    const base = richQueue() as Json;
    const edges: Json[] = [
      0,
      -1,
      1,
      1e-9,
      1.5,
      2 ** 60,
      null,
      true,
      "",
      "x",
      "t_abc",
      "2026-11-25T12:00:00Z",
      "provider",
      "model",
      "host",
      "message",
      "default",
      "review",
      "expired",
      "interrupted",
      "crash_loop",
      "max_age",
      "budget",
      "all",
      "month",
      "tokens",
      [],
      {},
    ];
    let slots = 0;
    const count = (node: Json): void => {
      if (node !== null && typeof node === "object")
        for (const v of Object.values(node)) {
          slots += 1;
          count(v);
        }
    };
    count(base);
    for (let i = 0; i < slots; i++) {
      const pick = (i + 0.5) / slots;
      agree(mutate(base, pick, null, "delete"));
      for (const edge of edges) agree(mutate(base, pick, edge, "replace"));
    }
    expect(slots).toBeGreaterThan(200);
    // JSON.parse turns 1e999 into Infinity: a number check must not take it.
    agree(JSON.parse(JSON.stringify(base).replace('"max_age_hours":12', '"max_age_hours":1e999')));
    expect(
      checkQueue(
        JSON.parse(JSON.stringify(base).replace('"max_age_hours":12', '"max_age_hours":1e999')),
      ).ok,
    ).toBe(false);
  });

  it("on date-times: the small regex plus calendar arithmetic accepts exactly what zod's datetime accepts", () => {
    const zodIso = z.string().datetime({ offset: true });
    const agreeIso = (s: string): void => {
      expect(isIsoDateTime(s), s).toBe(zodIso.safeParse(s).success);
    };
    const two = (n: number): string => String(n).padStart(2, "0");
    // Every calendar day and its neighbours, in leap and non-leap years and centuries: all of them.
    for (const year of [0, 4, 100, 400, 1900, 2000, 2024, 2025, 2026, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++)
          agreeIso(`${String(year).padStart(4, "0")}-${two(month)}-${two(day)}T12:00:00Z`);
      }
    }
    // The time of day and the offset, at and around their limits.
    const time = fc
      .record({
        hour: fc.integer({ min: 0, max: 25 }),
        minute: fc.constantFrom(0, 59, 60),
        second: fc.constantFrom(0, 59, 60),
        fraction: fc.constantFrom("", ".", ".0", ".123", ".123456789", ".1a"),
        zone: fc.constantFrom(
          "Z",
          "z",
          "",
          "+00:00",
          "-23:59",
          "+24:00",
          "+05:60",
          "+0530",
          "+05",
          "-00:00",
        ),
      })
      .map(
        (t) => `2026-02-28T${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction}${t.zone}`,
      );
    fc.assert(fc.property(time, agreeIso), { numRuns: 3000, seed: 29 });
    // Real timestamps, and any one character of one replaced by anything.
    const edited = fc
      .tuple(
        fc.date({
          noInvalidDate: true,
          min: new Date("0000-01-01T00:00:00Z"),
          max: new Date("9999-12-31T23:59:59Z"),
        }),
        fc.nat(),
        fc.string({ maxLength: 2 }),
      )
      .map(([d, i, c]) => {
        const s = d.toISOString();
        const at = i % (s.length + 1);
        return s.slice(0, at) + c + s.slice(at + 1);
      });
    fc.assert(fc.property(edited, agreeIso), { numRuns: 5000, seed: 31 });
    fc.assert(fc.property(fc.string(), agreeIso), { numRuns: 1000, seed: 37 });
  });

  it("on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => agree(v)),
      { numRuns: 500, seed: 7 },
    );
  });

  it("and on the original bare-array format, valid or corrupted", () => {
    const legacy: Json = [
      {
        prompt: "a",
        priority: "high",
        added_at: 1769508000,
        metadata: { source: "x", retry_count: 1 },
      },
      { prompt: "b", extra: [1] },
    ];
    const agreeLegacy = (data: unknown): void => {
      expect(checkLegacy(data).ok, JSON.stringify(data).slice(0, 300)).toBe(
        legacyQueueSchema.safeParse(data).success,
      );
    };
    agreeLegacy(legacy);
    expect(checkLegacy(legacy).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.jsonValue() as fc.Arbitrary<Json>,
        fc.constantFrom("replace", "delete", "add") as fc.Arbitrary<"replace" | "delete" | "add">,
        (pick, value, mode) => agreeLegacy(mutate(legacy, pick, value, mode)),
      ),
      { numRuns: 2000, seed: 11 },
    );
  });
});
