import { describe, expect, it } from "vitest";
import { runCheckTransform, runKey, type RunOutcome } from "../../src/core/check.js";
import type { Queue } from "../../src/core/queue-model.js";
import { ackTask, addTask } from "../../src/core/tasks.js";
import { fixedRandom, idle, policy, queueWith, T0, tokens } from "../helpers/fixtures.js";

const p = policy({ retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 } });
const host = { kind: "none" as const, state_dir: null, sessions_store: null };

function check(queue: Queue, nowMs: number, outcomes: Map<string, RunOutcome> = new Map()) {
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

function runOnce(queue: Queue, nowMs: number, outcome: RunOutcome): { queue: Queue; id: string } {
  const ready = check(queue, nowMs);
  expect(ready.status.status).toBe("READY");
  const id = ready.decision.kind === "READY" ? ready.decision.task.id : "";
  const acked = ackTask(
    ready.queue,
    id,
    { runId: `run-${nowMs}`, sessionKey: `agent:main:subagent:${nowMs}` },
    nowMs + 1,
  );
  const settled = check(acked.queue, nowMs + 2, new Map([[runKey(acked.task), outcome]]));
  return { queue: settled.queue, id };
}

describe("lifecycle: pending → claimed → running → done / failed → retry → dead", () => {
  it("a READY check claims under a lease; ack makes it running; a final answer makes it done", () => {
    const ready = check(queueWith(["summarise the logs"]), T0);
    const task = ready.queue.tasks[0]!;
    expect(task.state).toBe("claimed");
    expect(task.lease).toMatchObject({ attempt: 1, model: p.models[0] });
    const acked = ackTask(
      ready.queue,
      task.id,
      { runId: "r1", sessionKey: "agent:main:subagent:x" },
      T0 + 10,
    );
    expect(acked.task).toMatchObject({
      state: "running",
      attempts: 1,
      run: { run_id: "r1", session_key: "agent:main:subagent:x", model: p.models[0] },
    });
    const done = check(acked.queue, T0 + 20, new Map([[runKey(acked.task), { status: "done" }]]));
    expect(done.queue.tasks[0]!.state).toBe("done");
    expect(done.status).toMatchObject({
      status: "NO_TASKS",
      settled: [{ id: task.id, outcome: "done" }],
    });
  });

  it("a transcript ending in a 429 error is a failure, never done; the provider is held and another provider's model takes it", () => {
    const { queue, id } = runOnce(queueWith(["x"]), T0, {
      status: "failed",
      message: "429 rate limited",
    });
    const task = queue.tasks.find((t) => t.id === id)!;
    // Settled as a quota failure, then re-claimed in the same check on the next whitelisted model.
    expect(task.state).toBe("claimed");
    expect(task.lease).toMatchObject({ model: p.models[1], attempt: 2 });
    expect(task.failures).toBe(0);
    expect(task.last_error).toMatchObject({ kind: "quota" });
    expect(queue.holds?.google).toMatchObject({
      scope: "provider",
      source: "default",
      probe: null,
    });
    expect(queue.history.at(-1)).toMatchObject({ outcome: "failed", kind: "quota" });
  });

  it("failures back off exponentially, then the task goes dead with an alert delivered once", () => {
    let queue = queueWith(["flaky"]);
    let now = T0;
    const runAts: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = runOnce(queue, now, { status: "failed", message: "tool exploded" });
      queue = r.queue;
      const task = queue.tasks[0]!;
      if (attempt < 3) {
        expect(task.state).toBe("pending");
        runAts.push(Date.parse(task.run_at!) - (now + 2));
        expect(check(queue, now + 3).status).toMatchObject({
          status: "DEFERRED",
          reason: "backoff",
        });
        now = Date.parse(task.run_at!) + 1;
      } else {
        expect(task.state).toBe("dead");
      }
    }
    expect(runAts[1]!).toBeGreaterThan(runAts[0]!);
    // The check that settled the last failure already carried the alert and cleared it.
    expect(queue.alerts).toEqual([]);
    expect(queue.history.filter((h) => h.outcome === "dead")).toHaveLength(1);
  });

  it("the dead-letter alert rides on the status object of the check that settles it", () => {
    let queue = queueWith(["doomed"]);
    const strict = policy({ retry: { maxAttempts: 1 } });
    const ready = runCheckTransform({
      queue,
      policy: strict,
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
      { runId: "r", sessionKey: "agent:main:subagent:d" },
      T0 + 1,
    );
    queue = acked.queue;
    const settled = runCheckTransform({
      queue,
      policy: strict,
      observation: idle,
      outcomes: new Map([[runKey(acked.task), { status: "failed", message: "boom" }]]),
      nowMs: T0 + 2,
      random: fixedRandom,
      newToken: tokens(),
      host,
      workspace: "/ws",
    });
    expect(settled.status.status).toBe("NO_TASKS");
    expect(settled.status).toMatchObject({
      alerts: [{ type: "dead", task_id: acked.task.id, error: "boom" }],
    });
    expect(settled.queue.alerts).toEqual([]);
  });

  it("an unacknowledged claim expires and the task is claimable again with the same attempt number", () => {
    const first = check(queueWith(["x", "y"]), T0);
    const lease = first.queue.tasks[0]!.lease!;
    const tooEarly = check(first.queue, Date.parse(lease.expires_at) - 1);
    // The claim still holds the only slot.
    expect(tooEarly.status).toMatchObject({ status: "DEFERRED", reason: "concurrency_limit" });
    const later = check(first.queue, Date.parse(lease.expires_at) + 1);
    expect(later.status).toMatchObject({
      status: "READY",
      task: { id: first.queue.tasks[0]!.id, attempt: 1 },
      settled: [{ outcome: "lease_expired" }],
    });
  });

  it("a run with no final answer past taskTimeoutMinutes, that made no tool call, is a timeout failure (retried)", () => {
    const ready = check(queueWith(["slow"]), T0);
    const acked = ackTask(
      ready.queue,
      ready.queue.tasks[0]!.id,
      { runId: "r", sessionKey: "agent:main:subagent:slow" },
      T0,
    );
    const running = new Map([
      [runKey(acked.task), { status: "running", toolCalls: 0 } as RunOutcome],
    ]);
    expect(check(acked.queue, T0 + 29 * 60_000, running).queue.tasks[0]!.state).toBe("running");
    const late = check(acked.queue, T0 + 31 * 60_000, running).queue.tasks[0]!;
    expect(late).toMatchObject({ state: "pending", last_error: { kind: "timeout" } });
  });

  it("an outcome read for an older run is not applied to a newer one", () => {
    const ready = check(queueWith(["x"]), T0);
    const acked = ackTask(
      ready.queue,
      ready.queue.tasks[0]!.id,
      { runId: "r2", sessionKey: "agent:main:subagent:new" },
      T0,
    );
    const stale = new Map([
      [`${acked.task.id}@agent:main:subagent:old#1`, { status: "done" } as RunOutcome],
    ]);
    expect(check(acked.queue, T0 + 5, stale).queue.tasks[0]!.state).toBe("running");
  });

  it("dedupe: same prompt and source, or same key, while active → DUPLICATE; after done it may be queued again", () => {
    const q = queueWith(["same"]);
    expect(addTask(q, { prompt: "same", source: "cli" }, T0, "t_dup1").kind).toBe("duplicate");
    expect(addTask(q, { prompt: "same", source: "other" }, T0, "t_dup2").kind).toBe("added");
    const keyed = addTask(q, { prompt: "a", key: "nightly" }, T0, "t_k1").queue;
    expect(addTask(keyed, { prompt: "different text", key: "nightly" }, T0, "t_k2").kind).toBe(
      "duplicate",
    );
    const done = { ...q, tasks: q.tasks.map((t) => ({ ...t, state: "done" as const })) };
    expect(addTask(done, { prompt: "same", source: "cli" }, T0, "t_dup3").kind).toBe("added");
  });

  it("a run the host refused (no model call) burns no attempt: pending again, the next claim takes a fresh attempt number", () => {
    const { queue, id } = runOnce(queueWith(["x"]), T0, {
      status: "rejected",
      message: "Session transcript keyed user is outside the current turn",
    });
    const task = queue.tasks.find((t) => t.id === id)!;
    // Re-claimed in the same check: failures untouched, the next attempt gets its own key.
    expect(task).toMatchObject({
      state: "claimed",
      failures: 0,
      attempts: 1,
      lease: { attempt: 2 },
      last_error: { kind: "rejected" },
    });
  });

  it("when the host forbids starting runs, a due task waits (host_setup) unclaimed, and running tasks still settle", () => {
    const ready = check(queueWith(["a", "b"]), T0);
    const first = ready.decision.kind === "READY" ? ready.decision.task.id : "";
    const acked = ackTask(
      ready.queue,
      first,
      { runId: "r1", sessionKey: "agent:main:subagent:x" },
      T0 + 1,
    );
    const blocked = runCheckTransform({
      queue: acked.queue,
      policy: policy({ maxConcurrent: 2 }),
      observation: idle,
      outcomes: new Map([[runKey(acked.task), { status: "done" }]]),
      nowMs: T0 + 2,
      random: fixedRandom,
      newToken: tokens(),
      host,
      workspace: "/ws",
      startBlocked: true,
    });
    expect(blocked.status).toMatchObject({
      status: "DEFERRED",
      reason: "host_setup",
      settled: [{ id: first, outcome: "done" }],
    });
    expect(blocked.queue.tasks.map((t) => t.state).sort()).toEqual(["done", "pending"]);
  });
});
