import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCheckTransform } from "../../src/core/check.js";
import type { Queue } from "../../src/core/queue-model.js";
import { ackTask, claimTask, failTask } from "../../src/core/tasks.js";
import { deferralWake, nextWake, RECHECK_BOUNDS } from "../../src/core/wake.js";
import type { Policy } from "../../src/policy/schema.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";

const host = { kind: "none" as const, state_dir: null, sessions_store: null };
const MIN = 60_000;

/** One heartbeat check at `nowMs` with nothing busy and no run outcome known yet. */
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

/** What a check would do: write or not, and what it answers. */
const act = (queue: Queue, p: Policy, nowMs: number) => {
  const r = check(queue, p, nowMs);
  return {
    changed: r.changed,
    decision: r.decision.kind === "DEFERRED" ? `DEFERRED/${r.decision.reason}` : r.decision.kind,
  };
};

describe("nextWake: the earliest moment a queue needs looking at", () => {
  const p = policy({ retry: { baseDelayMs: 60_000, maxDelayMs: 600_000 } });

  it("an empty queue, or one whose only task is due already, needs no wake", () => {
    expect(nextWake(queueWith([]), p, T0)).toBeNull();
    // Due now is the tick's business; a deferral's recheck covers it if it cannot start.
    expect(nextWake(queueWith(["a"]), policy({ maxAgeHours: null }), T0)).toBeNull();
  });

  it("a backoff retry wakes at its run_at, exactly when the check starts it", () => {
    const first = queueWith(["a"]);
    const q = failTask(
      first,
      first.tasks[0]!.id,
      { message: "boom" },
      {
        policy: p,
        nowMs: T0,
        random: fixedRandom,
      },
    ).queue;
    const retryAt = Date.parse(q.tasks[0]!.run_at!);
    const wake = nextWake(q, policy({ ...p, maxAgeHours: null }), T0);
    expect(wake).toEqual({ atMs: retryAt, cause: "retry", subject: q.tasks[0]!.id });
    expect(act(q, p, retryAt - 1).decision).toBe("DEFERRED/backoff");
    expect(act(q, p, retryAt).decision).toBe("READY");
  });

  it("a quota hold wakes at its end, when its probe may go", () => {
    const first = queueWith(["a"]);
    const claimed = claimTask(
      first,
      first.tasks[0]!,
      { token: "t", model: "google/x", leaseSeconds: 300 },
      T0,
    ).queue;
    const q = failTask(
      claimed,
      first.tasks[0]!.id,
      { message: "429 rate limited" },
      {
        policy: p,
        nowMs: T0,
        random: fixedRandom,
      },
    ).queue;
    const until = Date.parse(q.holds!.google!.until);
    const wake = nextWake(q, policy({ ...p, maxAgeHours: null }), T0);
    // The task itself is due (a quota failure sets no run_at); its provider is held.
    expect(wake).toMatchObject({ cause: "hold_end", subject: "google" });
    expect(wake!.atMs).toBe(until);
    expect(act(q, policy({ ...p, models: ["google/x"] }), until - 1).decision).toBe(
      "DEFERRED/quota_cooldown",
    );
    expect(act(q, policy({ ...p, models: ["google/x"] }), until).decision).toBe("READY");
  });

  it("a claim wakes when its lease runs out; a run when it passes its timeout; a task when it passes its maximum age", () => {
    const base = queueWith(["claimed", "running", "old"]);
    const [c, r, o] = base.tasks;
    let q = claimTask(base, c!, { token: "t", model: "google/x", leaseSeconds: 300 }, T0).queue;
    q = claimTask(q, r!, { token: "u", model: "google/x", leaseSeconds: 300 }, T0).queue;
    q = ackTask(q, r!.id, { runId: "run", sessionKey: "agent:main:subagent:x" }, T0).queue;
    const withAge = policy({ taskTimeoutMinutes: 10, maxAgeHours: 1, maxConcurrent: 4 });
    // Leases (5 min) come before the timeout (10 min), which comes before the age limit (1 h).
    expect(nextWake(q, withAge, T0)).toEqual({
      atMs: T0 + 300_000,
      cause: "lease_expiry",
      subject: c!.id,
    });
    expect(nextWake(q, withAge, T0 + 300_000)).toEqual({
      atMs: T0 + 10 * MIN + 1,
      cause: "run_timeout",
      subject: r!.id,
    });
    const maxAge = nextWake(q, withAge, T0 + 10 * MIN + 1);
    expect(maxAge).toMatchObject({ cause: "max_age", subject: o!.id });
    const stale = maxAge!.atMs;
    expect(check(q, withAge, stale - 1).queue.tasks.find((t) => t.id === o!.id)?.state).not.toBe(
      "expired",
    );
    expect(check(q, withAge, stale).queue.tasks.find((t) => t.id === o!.id)?.state).toBe("expired");
  });

  it("a paused queue wakes for what is settled while paused (leases, timeouts, age), never for retries or holds", () => {
    const first = queueWith(["a"]);
    const failed = failTask(
      first,
      first.tasks[0]!.id,
      { message: "boom" },
      {
        policy: p,
        nowMs: T0,
        random: fixedRandom,
      },
    ).queue;
    const noAge = policy({ ...p, maxAgeHours: null });
    expect(nextWake({ ...failed, paused: true }, noAge, T0)).toBeNull();
    expect(
      nextWake({ ...failed, paused: true }, policy({ ...p, maxAgeHours: 2 }), T0),
    ).toMatchObject({ cause: "max_age" });
  });

  it("a model's rest wakes only while some task is pending", () => {
    const rest = { "google/x": new Date(T0 + 5 * MIN).toISOString() };
    const noAge = policy({ maxAgeHours: null });
    expect(nextWake({ ...queueWith(["a"]), cooldowns: rest }, noAge, T0)).toEqual({
      atMs: T0 + 5 * MIN,
      cause: "model_rest",
      subject: "google/x",
    });
    expect(nextWake({ ...queueWith([]), cooldowns: rest }, noAge, T0)).toBeNull();
  });

  it("property: no check between now and the wake acts differently from a check now (the timer never sleeps through a change)", () => {
    fc.assert(
      fc.property(
        fc.record({
          tasks: fc.integer({ min: 0, max: 6 }),
          failed: fc.array(fc.constantFrom("boom", "429 rate limited", "none"), {
            minLength: 6,
            maxLength: 6,
          }),
          claimed: fc.boolean(),
          running: fc.boolean(),
          paused: fc.boolean(),
          cooled: fc.boolean(),
          maxAge: fc.option(fc.integer({ min: 1, max: 72 }), { nil: null }),
          maxConcurrent: fc.integer({ min: 1, max: 3 }),
          timeout: fc.integer({ min: 1, max: 120 }),
          later: fc.integer({ min: 0, max: 4 * 3_600_000 }),
          probeAt: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        }),
        (g) => {
          const pol = policy({
            models: ["google/a", "anthropic/b"],
            maxConcurrent: g.maxConcurrent,
            taskTimeoutMinutes: g.timeout,
            maxAgeHours: g.maxAge,
            retry: { baseDelayMs: 30_000, maxDelayMs: 3_600_000 },
          });
          let q = queueWith(Array.from({ length: g.tasks }, (_, i) => `task ${i}`));
          q.tasks.forEach((t, i) => {
            const message = g.failed[i]!;
            if (message === "none") return;
            // A failure comes from a run on a model: a rate limit holds that model's provider.
            const model = i % 2 === 0 ? "google/a" : "anthropic/b";
            q = claimTask(q, t, { token: `f${i}`, model, leaseSeconds: 300 }, T0).queue;
            q = failTask(
              q,
              t.id,
              { message },
              { policy: pol, nowMs: T0, random: fixedRandom },
            ).queue;
          });
          const pendingNow = q.tasks.filter((t) => t.state === "pending");
          if (g.claimed && pendingNow[0])
            q = claimTask(
              q,
              pendingNow[0],
              { token: "c", model: "google/a", leaseSeconds: 300 },
              T0,
            ).queue;
          if (g.running && pendingNow[1]) {
            q = claimTask(
              q,
              pendingNow[1],
              { token: "r", model: "google/a", leaseSeconds: 300 },
              T0,
            ).queue;
            q = ackTask(
              q,
              pendingNow[1].id,
              { runId: "r", sessionKey: "agent:main:subagent:r" },
              T0,
            ).queue;
          }
          if (g.cooled)
            q = { ...q, cooldowns: { "anthropic/b": new Date(T0 + 20 * MIN).toISOString() } };
          q = { ...q, paused: g.paused };
          const now = T0 + g.later;
          // Settle what is due now first, as the tick that just ran did; from then on, nothing
          // due now is the wake's business.
          let settled = q;
          for (let i = 0; i < 10; i++) {
            const r = check(settled, pol, now);
            if (!r.changed) break;
            settled = r.queue;
          }
          const before = act(settled, pol, now);
          if (before.changed) return; // a check now would still claim (slots left): not a sleeping queue
          const wake = nextWake(settled, pol, now);
          const until = wake?.atMs ?? now + 48 * 3_600_000;
          const probe = now + 1 + Math.floor(g.probeAt * Math.max(0, until - now - 1));
          if (probe >= until) return;
          expect(act(settled, pol, probe)).toEqual(before);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("deferralWake: when to look again after a DEFERRED", () => {
  it("transient reasons come back at their retry_at, but within a minute and never sooner than a second", () => {
    expect(deferralWake({ reason: "concurrency_limit", retryAtMs: T0 + 60_000 }, T0)?.atMs).toBe(
      T0 + 60_000,
    );
    expect(deferralWake({ reason: "system_load", retryAtMs: T0 + 3_600_000 }, T0)?.atMs).toBe(
      T0 + RECHECK_BOUNDS.transientMaxMs,
    );
    expect(deferralWake({ reason: "locked", retryAtMs: T0 + 5 }, T0)?.atMs).toBe(
      T0 + RECHECK_BOUNDS.minMs,
    );
    expect(deferralWake({ reason: "main_busy", retryAtMs: null }, T0)?.atMs).toBe(
      T0 + RECHECK_BOUNDS.transientMaxMs,
    );
  });

  it("a reason that states its own end (a hold, a backoff, one this version does not know) is taken at its word; paused waits for a change", () => {
    expect(deferralWake({ reason: "quota_cooldown", retryAtMs: T0 + 7_200_000 }, T0)?.atMs).toBe(
      T0 + 7_200_000,
    );
    expect(deferralWake({ reason: "budget_window", retryAtMs: T0 + 86_400_000 }, T0)?.atMs).toBe(
      T0 + 86_400_000,
    );
    expect(deferralWake({ reason: "paused", retryAtMs: null }, T0)).toBeNull();
    expect(deferralWake({ reason: "host_setup", retryAtMs: null }, T0)).toBeNull();
  });
});
