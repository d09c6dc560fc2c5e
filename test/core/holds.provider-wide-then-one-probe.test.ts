import { describe, expect, it } from "vitest";
import { runCheckTransform, runKey, type RunOutcome } from "../../src/core/check.js";
import type { Policy } from "../../src/policy/schema.js";
import type { Queue } from "../../src/core/queue-model.js";
import { ackTask, removeTask } from "../../src/core/tasks.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";

const host = { kind: "none" as const, state_dir: null, sessions_store: null };
const MIN = 60_000;

function check(
  queue: Queue,
  p: Policy,
  nowMs: number,
  outcomes: Map<string, RunOutcome> = new Map(),
) {
  return runCheckTransform({
    queue,
    policy: p,
    observation: idle,
    outcomes,
    nowMs,
    random: fixedRandom,
    newToken: tokens(),
    host,
    workspace: "/ws",
  });
}

/** Claims the next task, acks it, and returns the queue with it running. */
function start(queue: Queue, p: Policy, nowMs: number) {
  const ready = check(queue, p, nowMs);
  expect(ready.status.status, JSON.stringify(ready.status)).toBe("READY");
  const id = ready.decision.kind === "READY" ? ready.decision.task.id : "";
  const acked = ackTask(
    ready.queue,
    id,
    { runId: `r-${id}-${nowMs}`, sessionKey: `agent:main:subagent:${id}-${nowMs}` },
    nowMs,
  );
  return { queue: acked.queue, task: acked.task, status: ready.status };
}

const settle = (queue: Queue, p: Policy, nowMs: number, key: string, outcome: RunOutcome) =>
  check(queue, p, nowMs, new Map([[key, outcome]]));

describe("quota holds: a rate limit holds the provider until its reset, then one task probes", () => {
  const models = ["google/gemini-2.5-flash", "google/gemini-2.5-pro", "anthropic/claude-haiku-4-5"];

  it("holds the whole provider by default: the next model of the same provider is skipped, another provider's is used", () => {
    const p = policy({ models });
    const a = start(queueWith(["a"]), p, T0);
    const after = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429 rate limited; Retry-After: 600 seconds",
    });
    expect(after.queue.holds?.google).toMatchObject({
      scope: "provider",
      until: new Date(T0 + 1 + 10 * MIN).toISOString(),
      source: "message",
      probe: null,
    });
    expect(after.status).toMatchObject({
      status: "READY",
      recommendation: { model: "anthropic/claude-haiku-4-5" },
    });
  });

  it('with retry.quotaScope "model" only that model rests', () => {
    const p = policy({ models, retry: { quotaScope: "model" } });
    const a = start(queueWith(["a"]), p, T0);
    const after = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429 rate limited",
    });
    expect(Object.keys(after.queue.holds ?? {})).toEqual(["google/gemini-2.5-flash"]);
    expect(after.queue.holds?.["google/gemini-2.5-flash"]).toMatchObject({
      scope: "model",
      source: "default",
    });
    expect(after.status).toMatchObject({
      status: "READY",
      recommendation: { model: "google/gemini-2.5-pro" },
    });
  });

  it("the provider's own reset hint wins over the host's recorded resume time (OpenClaw records +30 min whatever the hint)", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"] });
    const a = start(queueWith(["a"]), p, T0);
    const held = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429 rate limited; please try again in 20m",
      resetAtMs: T0 + 30 * MIN,
    });
    expect(held.queue.holds?.google).toMatchObject({
      source: "message",
      until: new Date(T0 + 1 + 20 * MIN).toISOString(),
    });
  });

  it("while held, DEFERRED quota_cooldown says until when, for what and where the time came from", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"] });
    const a = start(queueWith(["a", "b"]), p, T0);
    const resetAt = T0 + 42 * MIN;
    const held = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429 rate limited",
      resetAtMs: resetAt,
    });
    expect(held.status).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
      retry_at: new Date(resetAt).toISOString(),
      hold: {
        scope: "provider",
        key: "google",
        until: new Date(resetAt).toISOString(),
        source: "host",
        state: "waiting",
      },
    });
    // A rate limit is not the task's fault: no failure counted, it waits without backoff.
    expect(held.queue.tasks[0]).toMatchObject({
      state: "pending",
      failures: 0,
      quota_failures: 1,
      run_at: null,
    });
  });

  it("when the hold ends, one task goes first; the rest follow only after it finished without hitting the limit", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"], maxConcurrent: 3 });
    const a = start(queueWith(["a", "b", "c"]), p, T0);
    const resetAt = T0 + 10 * MIN;
    let queue = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429",
      resetAtMs: resetAt,
    }).queue;
    expect(check(queue, p, resetAt - 1).status).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
    });

    const probe = start(queue, p, resetAt + 1);
    expect(probe.task.prompt).toBe("a");
    expect(probe.status).toMatchObject({
      status: "READY",
      hold: { key: "google", state: "probing", probe_task: probe.task.id },
    });
    expect(probe.queue.holds?.google?.probe).toMatchObject({ task_id: probe.task.id });
    // Slots are free, but b and c wait for the probe.
    const waiting = check(probe.queue, p, resetAt + 2);
    expect(waiting.status).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
      retry_at: new Date(resetAt + 2 + MIN).toISOString(),
      hold: { state: "probing" },
    });

    const probeDone = settle(probe.queue, p, resetAt + 3, runKey(probe.task), { status: "done" });
    expect(probeDone.queue.holds?.google).toBeUndefined();
    expect(probeDone.status).toMatchObject({ status: "READY", task: { prompt: "b" } });
    queue = probeDone.queue;
    expect(check(queue, p, resetAt + 4).status).toMatchObject({
      status: "READY",
      task: { prompt: "c" },
    });
  });

  it("a probe that hits the limit again puts the hold back, and nobody else starts", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"], maxConcurrent: 3 });
    const a = start(queueWith(["a", "b"]), p, T0);
    const resetAt = T0 + 10 * MIN;
    const queue = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429",
      resetAtMs: resetAt,
    }).queue;
    const probe = start(queue, p, resetAt + 1);
    const again = settle(probe.queue, p, resetAt + 2, runKey(probe.task), {
      status: "failed",
      message: "429 rate limited; please try again in 20 minutes",
    });
    expect(again.queue.holds?.google).toMatchObject({
      source: "message",
      probe: null,
      until: new Date(resetAt + 2 + 20 * MIN).toISOString(),
    });
    expect(again.status).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
      hold: { state: "waiting", source: "message" },
    });
    expect(again.queue.tasks.map((t) => t.state)).toEqual(["pending", "pending"]);
  });

  it("a probe whose run fails some other way (not a rate limit) lifts the hold: the others follow", () => {
    const p = policy({
      models: ["google/gemini-2.5-flash"],
      maxConcurrent: 3,
      retry: { maxAttempts: 1 },
    });
    const a = start(queueWith(["a", "b"]), p, T0);
    const resetAt = T0 + 10 * MIN;
    const queue = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429",
      resetAtMs: resetAt,
    }).queue;
    const probe = start(queue, p, resetAt + 1);
    // maxAttempts 1: the probe's tool error kills it, and the provider is free again.
    const after = settle(probe.queue, p, resetAt + 2, runKey(probe.task), {
      status: "failed",
      message: "tool crashed",
      toolCalls: 0,
    });
    expect(after.queue.tasks.find((t) => t.id === probe.task.id)).toMatchObject({
      state: "dead",
      reason: "attempts",
    });
    expect(after.queue.holds?.google).toBeUndefined();
    expect(after.status).toMatchObject({ status: "READY", task: { prompt: "b" } });
    expect((after.status as { hold?: unknown }).hold).toBeUndefined();
  });

  it("a probe whose claim lapsed is still the probe; a probe task that is gone frees the others", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"], maxConcurrent: 3, leaseSeconds: 60 });
    const a = start(queueWith(["a", "b"]), p, T0);
    const resetAt = T0 + 10 * MIN;
    const queue = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429",
      resetAtMs: resetAt,
    }).queue;
    const claimed = check(queue, p, resetAt + 1);
    const probeId = claimed.queue.tasks.find((t) => t.state === "claimed")!.id;
    // The lease runs out (the spawner never started it): the same task is claimed again, as the probe.
    const lapsed = check(claimed.queue, p, resetAt + 1 + 61_000);
    expect(lapsed.status).toMatchObject({
      status: "READY",
      task: { id: probeId },
      settled: [{ outcome: "lease_expired" }],
    });
    // Removed by a person before it ran: the probe is over and b may go (and is the new probe).
    const removed = removeTask(claimed.queue, probeId).queue;
    expect(check(removed, p, resetAt + 2).status).toMatchObject({
      status: "READY",
      task: { prompt: "b" },
      hold: { state: "probing" },
    });
  });

  it("a probe task behind a higher-priority task still goes first (it is the only one allowed)", () => {
    const p = policy({ models: ["google/gemini-2.5-flash"], maxConcurrent: 3, leaseSeconds: 60 });
    const a = start(queueWith(["a"], 5), p, T0);
    const resetAt = T0 + 10 * MIN;
    let queue = settle(a.queue, p, T0 + 1, runKey(a.task), {
      status: "failed",
      message: "429",
      resetAtMs: resetAt,
    }).queue;
    queue = check(queue, p, resetAt + 1).queue; // a claimed as the probe
    queue = { ...queue, tasks: [...queue.tasks, ...queueWith(["urgent"], 1).tasks] };
    const lapsed = check(queue, p, resetAt + 1 + 61_000);
    expect(lapsed.status).toMatchObject({ status: "READY", task: { prompt: "a" } });
  });
});
