import { describe, expect, it } from "vitest";
import { runCheckTransform, runKey, type RunOutcome } from "../../src/core/check.js";
import { dropReviewed, retryReviewed } from "../../src/core/review.js";
import type { Policy } from "../../src/policy/schema.js";
import type { Queue } from "../../src/core/queue-model.js";
import { ackTask, addTask, completeTask, retryDeadTask } from "../../src/core/tasks.js";
import { emptyQueue } from "../../src/core/queue-model.js";
import { fixedRandom, idle, policy, T0, tokens } from "../helpers/fixtures.js";

const host = { kind: "none" as const, state_dir: null, sessions_store: null };
const MIN = 60_000;

function check(
  queue: Queue,
  p: Policy,
  nowMs: number,
  outcomes: Map<string, RunOutcome> = new Map(),
  observation = idle,
) {
  return runCheckTransform({
    queue,
    policy: p,
    observation,
    outcomes,
    nowMs,
    random: fixedRandom,
    newToken: tokens(),
    host,
    workspace: "/ws",
  });
}

/** One task, claimed and running since T0. */
function running(p: Policy, idempotent?: boolean) {
  const added = addTask(
    emptyQueue(),
    {
      prompt: "email the invoice to the client",
      ...(idempotent === undefined ? {} : { idempotent }),
    },
    T0,
    "t_mail1",
  ).queue;
  const ready = check(added, p, T0);
  const acked = ackTask(
    ready.queue,
    "t_mail1",
    { runId: "r1", sessionKey: "agent:main:subagent:mail" },
    T0,
  );
  return { queue: acked.queue, key: runKey(acked.task) };
}

const late = T0 + 31 * MIN;

describe("review instead of blind retry: a run that may have acted is not re-run", () => {
  const p = policy();

  it("a timed-out run that had called a tool goes to review with an alert, and is not re-run", () => {
    const r = running(p);
    const settled = check(
      r.queue,
      p,
      late,
      new Map([[r.key, { status: "running", toolCalls: 2 } as RunOutcome]]),
    );
    expect(settled.queue.tasks[0]).toMatchObject({
      state: "review",
      reason: "acted_then_timed_out",
      failures: 1,
      last_error: { kind: "timeout" },
    });
    expect(settled.status).toMatchObject({
      status: "NO_TASKS",
      settled: [{ id: "t_mail1", outcome: "review", reason: "acted_then_timed_out" }],
      alerts: [{ type: "review", task_id: "t_mail1", reason: "acted_then_timed_out" }],
    });
    expect((settled.status as { alerts: Array<{ error: string }> }).alerts[0]!.error).toContain(
      "2 tool calls",
    );
    expect(settled.queue.history.at(-1)).toMatchObject({ outcome: "review", kind: "timeout" });
    // Later checks leave it alone.
    expect(check(settled.queue, p, late + 60 * MIN).decision.kind).toBe("NO_TASKS");
  });

  it("an interrupted run (the gateway died) that had called a tool goes to review", () => {
    const r = running(p);
    const settled = check(
      r.queue,
      p,
      T0 + MIN,
      new Map([[r.key, { status: "interrupted", toolCalls: 1 } as RunOutcome]]),
    );
    expect(settled.queue.tasks[0]).toMatchObject({
      state: "review",
      reason: "acted_then_interrupted",
      interruptions: 1,
      last_error: { kind: "interrupted" },
    });
  });

  it("a failed run after tool calls goes to review; before any tool call it retries as before", () => {
    const acted = running(p);
    expect(
      check(
        acted.queue,
        p,
        T0 + MIN,
        new Map([
          [
            acted.key,
            { status: "failed", message: "500 internal error", toolCalls: 3 } as RunOutcome,
          ],
        ]),
      ).queue.tasks[0],
    ).toMatchObject({ state: "review", reason: "acted_then_failed" });
    const first = running(p);
    expect(
      check(
        first.queue,
        p,
        T0 + MIN,
        new Map([
          [
            first.key,
            { status: "failed", message: "429 rate limited", toolCalls: 0 } as RunOutcome,
          ],
        ]),
      ).queue.tasks[0]!.state,
    ).not.toBe("review");
    // A failure the host recorded without saying whether it acted is judged as before.
    const unknown = running(p);
    expect(
      check(
        unknown.queue,
        p,
        T0 + MIN,
        new Map([[unknown.key, { status: "failed", message: "boom" } as RunOutcome]]),
      ).queue.tasks[0],
    ).toMatchObject({ state: "pending", failures: 1 });
  });

  it("when the host cannot say whether a timed-out or cut-off run acted, it may have: review", () => {
    const timedOut = running(p);
    expect(
      check(timedOut.queue, p, late, new Map([[timedOut.key, { status: "running" } as RunOutcome]]))
        .queue.tasks[0]!.state,
    ).toBe("review");
    const noRecord = running(p);
    expect(check(noRecord.queue, p, late).queue.tasks[0]!.state).toBe("review");
    const cut = running(p);
    expect(
      check(cut.queue, p, T0 + MIN, new Map([[cut.key, { status: "interrupted" } as RunOutcome]]))
        .queue.tasks[0]!.state,
    ).toBe("review");
  });

  it("runs that did not act retry as before: a timeout with no tool calls, a refused spawn", () => {
    const quiet = running(p);
    expect(
      check(
        quiet.queue,
        p,
        late,
        new Map([[quiet.key, { status: "running", toolCalls: 0 } as RunOutcome]]),
      ).queue.tasks[0],
    ).toMatchObject({ state: "pending", last_error: { kind: "timeout" } });
    const refused = running(p);
    expect(
      check(
        refused.queue,
        p,
        T0 + MIN,
        new Map([
          [refused.key, { status: "rejected", message: "outside the current turn" } as RunOutcome],
        ]),
      ).queue.tasks[0],
    ).toMatchObject({ state: "claimed", failures: 0 });
  });

  it("a task added as safe to repeat (--idempotent), or every task under idempotentByDefault, is retried", () => {
    const safe = running(p, true);
    expect(
      check(
        safe.queue,
        p,
        late,
        new Map([[safe.key, { status: "running", toolCalls: 5 } as RunOutcome]]),
      ).queue.tasks[0],
    ).toMatchObject({ state: "pending", last_error: { kind: "timeout" } });
    const lenient = policy({ idempotentByDefault: true });
    const byDefault = running(lenient);
    expect(
      check(
        byDefault.queue,
        lenient,
        late,
        new Map([[byDefault.key, { status: "running", toolCalls: 5 } as RunOutcome]]),
      ).queue.tasks[0]!.state,
    ).toBe("pending");
    // --no-idempotent wins over the policy default.
    const unsafe = running(lenient, false);
    expect(
      check(
        unsafe.queue,
        lenient,
        late,
        new Map([[unsafe.key, { status: "running", toolCalls: 5 } as RunOutcome]]),
      ).queue.tasks[0]!.state,
    ).toBe("review");
  });

  it("review retry queues it again, review drop deletes it, done marks it done", () => {
    const r = running(p);
    const reviewed = check(
      r.queue,
      p,
      late,
      new Map([[r.key, { status: "running", toolCalls: 1 } as RunOutcome]]),
    ).queue;
    const retried = retryReviewed(reviewed, "t_mail1", late + 1);
    expect(retried.task).toMatchObject({
      state: "pending",
      run: null,
      age_from: new Date(late + 1).toISOString(),
    });
    expect(retried.task.reason).toBeUndefined();
    expect(check(retried.queue, p, late + 2).status).toMatchObject({
      status: "READY",
      task: { id: "t_mail1", attempt: 2 },
    });
    expect(dropReviewed(reviewed, "t_mail1").queue.tasks).toEqual([]);
    expect(completeTask(reviewed, "t_mail1", late + 3).task.state).toBe("done");
    expect(() => dropReviewed(retried.queue, "t_mail1")).toThrow(/E_INVALID_STATE|expected review/);
  });

  it("a task under review blocks a duplicate add, like one still queued", () => {
    const r = running(p);
    const reviewed = check(
      r.queue,
      p,
      late,
      new Map([[r.key, { status: "running", toolCalls: 1 } as RunOutcome]]),
    ).queue;
    expect(
      addTask(reviewed, { prompt: "email the invoice to the client" }, late, "t_dup9").kind,
    ).toBe("duplicate");
  });
});

describe("crash-loop breaker: two interrupted runs in a row take a task out of rotation", () => {
  const p = policy({ retry: { maxAttempts: 5, baseDelayMs: 0, maxDelayMs: 0 } });

  function cutOff(queue: Queue, nowMs: number, facts: Partial<RunOutcome> = { toolCalls: 0 }) {
    const ready = check(queue, p, nowMs);
    expect(ready.status.status, JSON.stringify(ready.status)).toBe("READY");
    const acked = ackTask(
      ready.queue,
      "t_loop1",
      { runId: `r${nowMs}`, sessionKey: `agent:main:subagent:${nowMs}` },
      nowMs,
    );
    // Settled while the main session is busy, so the same check does not claim it again.
    return check(
      acked.queue,
      p,
      nowMs + 1,
      new Map([[runKey(acked.task), { status: "interrupted", ...facts } as RunOutcome]]),
      { ...idle, mainBusy: true },
    );
  }

  const fresh = (): Queue =>
    addTask(emptyQueue(), { prompt: "render the video" }, T0, "t_loop1").queue;

  it("first interruption retries; the second in a row is dead with reason crash_loop and an alert", () => {
    const once = cutOff(fresh(), T0);
    expect(once.queue.tasks[0]).toMatchObject({
      state: "pending",
      interruptions: 1,
      last_error: { kind: "interrupted" },
    });
    const twice = cutOff(once.queue, T0 + 10);
    expect(twice.queue.tasks[0]).toMatchObject({
      state: "dead",
      reason: "crash_loop",
      interruptions: 2,
    });
    expect(twice.status).toMatchObject({
      settled: [{ outcome: "dead", reason: "crash_loop" }],
      alerts: [{ type: "dead", reason: "crash_loop", task_id: "t_loop1" }],
    });
    // Out of rotation: nothing starts it a third time.
    expect(check(twice.queue, p, T0 + 100).decision.kind).toBe("NO_TASKS");
  });

  it("in a row means in a row: a run that ends any other way resets the count", () => {
    const once = cutOff(fresh(), T0);
    const ready = check(once.queue, p, T0 + 10);
    const acked = ackTask(
      ready.queue,
      "t_loop1",
      { runId: "rx", sessionKey: "agent:main:subagent:x" },
      T0 + 10,
    );
    const failed = check(
      acked.queue,
      p,
      T0 + 11,
      new Map([
        [
          runKey(acked.task),
          { status: "failed", message: "tool error", toolCalls: 0 } as RunOutcome,
        ],
      ]),
      { ...idle, mainBusy: true },
    );
    expect(failed.queue.tasks[0]!.interruptions).toBeUndefined();
    expect(cutOff(failed.queue, T0 + 20).queue.tasks[0]!.state).toBe("pending");
  });

  it("the breaker wins over review: a second cut-off after a review retry stops the task", () => {
    const reviewed = cutOff(fresh(), T0, { toolCalls: 1 });
    expect(reviewed.queue.tasks[0]!.state).toBe("review");
    const retried = retryReviewed(reviewed.queue, "t_loop1", T0 + 5).queue;
    expect(cutOff(retried, T0 + 10, { toolCalls: 1 }).queue.tasks[0]).toMatchObject({
      state: "dead",
      reason: "crash_loop",
    });
  });

  it("dead retry starts a fresh count", () => {
    const twice = cutOff(cutOff(fresh(), T0).queue, T0 + 10).queue;
    const again = retryDeadTask(twice, "t_loop1", T0 + 20).queue;
    expect(again.tasks[0]!.interruptions).toBeUndefined();
    expect(cutOff(again, T0 + 30).queue.tasks[0]!.state).toBe("pending");
  });
});
