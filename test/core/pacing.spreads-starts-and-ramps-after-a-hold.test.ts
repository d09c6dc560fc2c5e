import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import { placeHold, startProbe } from "../../src/core/holds.js";
import { recordStart } from "../../src/core/pacing.js";
import type { Queue } from "../../src/core/queue-model.js";
import { ackTask, claimTask, completeTask } from "../../src/core/tasks.js";
import type { PolicyInput } from "../../src/policy/schema.js";
import { idle, policy, queueWith, RELAXED_POLICY, T0 } from "../helpers/fixtures.js";
import { simulate } from "../helpers/sim.js";

const F = "fake/flash";
const G = "google/flash";
const MINUTE = 60_000;
const HOUR = 3_600_000;
const env = { timeZone: "UTC", catalog: { costOf: () => null } };

const paced = (pacing: PolicyInput["pacing"], extra: PolicyInput = {}) =>
  policy({
    ...RELAXED_POLICY,
    models: [F],
    maxConcurrent: 64,
    maxAgeHours: null,
    pacing,
    ...extra,
  });

/** Most starts in any window of `windowMs` (sliding, like the limit). */
function mostInAnyWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < starts.length; i++) {
    let n = 0;
    for (let j = i; j < starts.length && starts[j]! - starts[i]! < windowMs; j++) n += 1;
    most = Math.max(most, n);
  }
  return most;
}

describe("pacing: at most N starts per window, spread out", () => {
  const p = paced({ providers: { fake: { perHour: 10 } } });
  const sim = simulate({
    queue: queueWith(Array.from({ length: 40 }, (_, i) => `t${i}`)),
    policy: p,
    fromMs: T0,
    toMs: T0 + 3 * HOUR,
    tickMs: 10_000,
    runMs: 30_000,
    env,
    usageOf: () => ({ input: 10, output: 5 }),
  });
  const starts = sim.runs.map((r) => r.startedMs);

  it("never more than 10 in any hour, and the hour's whole allowance is used", () => {
    expect(mostInAnyWindow(starts, HOUR)).toBe(10);
    expect(starts.filter((s) => s < T0 + HOUR)).toHaveLength(10);
  });

  it("half the allowance may go at once; after that starts are 6 minutes (an hour / 10) apart", () => {
    expect(starts.slice(0, 5).map((s) => (s - T0) / 10_000)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 5; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(6 * MINUTE);
    // After the first hour the backlog drains at the steady rate: no burst at the window's edge.
    expect(
      mostInAnyWindow(
        starts.filter((s) => s >= T0 + HOUR),
        10 * MINUTE,
      ),
    ).toBeLessThanOrEqual(2);
  });

  it("the waiting checks say pacing, with the limit's use and when the next start may go", () => {
    const waits = sim.ticks.filter((t) => t.status.status === "DEFERRED");
    expect(waits.length).toBeGreaterThan(0);
    for (const t of waits)
      expect(t.status).toMatchObject({
        reason: "pacing",
        pacing: { scope: "provider", key: "fake", window: "hour", limit: 10 },
      });
    const full = waits.find((t) => t.status.status === "DEFERRED" && t.status.pacing?.used === 10)!;
    expect(full.status).toMatchObject({ pacing: { frees_at: expect.any(String) } });
  });

  it("keeps no more start times than its largest limit", () => {
    expect(sim.queue.starts?.[F]?.length).toBeLessThanOrEqual(10);
  });
});

describe("pacing per model and at once", () => {
  it("at most M of a provider's runs out at once: DEFERRED pacing (concurrent) until one ends", () => {
    const p = paced({ providers: { fake: { maxConcurrent: 2 } } });
    let q = queueWith(["a", "b", "c"]);
    for (const t of q.tasks.slice(0, 2)) {
      q = claimTask(q, t, { token: t.id, model: F, leaseSeconds: 300 }, T0).queue;
      q = ackTask(
        q,
        t.id,
        { runId: t.id, sessionKey: `agent:main:subagent:${t.id}`, model: F },
        T0,
      ).queue;
    }
    expect(decide(q, p, idle, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "pacing",
      retryAtMs: T0 + 60_000,
      pacing: { window: "concurrent", used: 2, limit: 2 },
    });
  });

  it("a full limit on one provider sends the task to a whitelisted model of another", () => {
    const p = paced({ models: { [F]: { perMinute: 1 } } }, { models: [F, G] });
    let q: Queue = queueWith(["a", "b"]);
    q = recordStart(q, p, F, T0 - 1000);
    expect(decide(q, p, idle, T0)).toMatchObject({ kind: "READY", model: G });
  });

  it("pacing off (the default) records no start times", () => {
    const q = recordStart(queueWith(["a"]), policy(RELAXED_POLICY), F, T0);
    expect(q.starts).toBeUndefined();
  });
});

describe("after a quota hold: one probe, then pacing ramps back up", () => {
  it("the hold lifted: starts go at the steady rate (an hour / 10) from the probe, without the half-window burst", () => {
    const p = paced({ providers: { fake: { perHour: 10 } } });
    let q = queueWith(["probe", "b", "c", "d"]);
    const probe = q.tasks[0]!;
    // A 429 held the provider until T0; the probe is claimed and finishes without hitting it again.
    q = placeHold(q, F, "provider", { untilMs: T0, source: "message" }, T0 - HOUR);
    q = claimTask(q, probe, { token: "p", model: F, leaseSeconds: 300 }, T0).queue;
    q = startProbe(q, ["fake"], probe.id, T0);
    q = recordStart(q, p, F, T0);
    q = ackTask(
      q,
      probe.id,
      { runId: "r", sessionKey: "agent:main:subagent:p", model: F },
      T0,
    ).queue;
    q = completeTask(q, probe.id, T0 + MINUTE).queue;
    expect(q.holds).toEqual({});
    expect(q.ramps).toEqual({ fake: new Date(T0 + MINUTE).toISOString() });
    // Without the ramp, 1 of 10 used would let the next start go at once.
    expect(decide(q, p, idle, T0 + 2 * MINUTE)).toMatchObject({
      kind: "DEFERRED",
      reason: "pacing",
      retryAtMs: T0 + 6 * MINUTE,
      pacing: { used: 1, ramping: true },
    });
    expect(decide(q, p, idle, T0 + 6 * MINUTE)).toMatchObject({ kind: "READY" });
    // An hour after the lift, the ramp is over.
    const later = recordStart(q, p, F, T0 + 61 * MINUTE);
    expect(decide(later, p, idle, T0 + 62 * MINUTE)).toMatchObject({ kind: "READY" });
  });
});
