import {
  countFailure,
  getTask,
  historyEntry,
  replaceTask,
  requireState,
  backInRotation,
  taskAlert,
  withAlert,
  withHistory,
  type FailContext,
  type FailureInput,
} from "./tasks.js";
import type { Policy } from "../policy/schema.js";
import type { Queue, Task, TaskReason } from "./queue-model.js";
import type { RunFacts } from "./run-outcome.js";
import { isoTime } from "./time.js";

/**
 * No blind retry of work that may already have acted. A run that stopped without finishing
 * after it had called tools may have sent the email already; unless the task was declared safe
 * to repeat, it waits in `review` for a person (alerted) instead of running again.
 */

/** Safe to repeat: the task says so, else the policy's default. */
export function isIdempotent(task: Task, policy: Policy): boolean {
  return task.idempotent ?? policy.idempotentByDefault;
}

/**
 * Did the run act? `toolCalls > 0`: yes; `0`: no. Unknown (the host adapter could not tell):
 * for a run that timed out or was cut off we know nothing of how far it got, so it may have;
 * a run the host recorded as failed is judged as today (it failed, most often on a model call).
 */
export function mayHaveActed(
  facts: RunFacts,
  ended: "timed_out" | "interrupted" | "failed",
): boolean {
  if (facts.toolCalls !== undefined) return facts.toolCalls > 0;
  return ended !== "failed";
}

const REASON: Record<"timed_out" | "interrupted" | "failed", TaskReason> = {
  timed_out: "acted_then_timed_out",
  interrupted: "acted_then_interrupted",
  failed: "acted_then_failed",
};

const WHY: Record<"timed_out" | "interrupted" | "failed", string> = {
  timed_out: "timed out",
  interrupted: "was cut off when its gateway died",
  failed: "failed",
};

/**
 * running → review: the run is counted like any failed run (a rate limit still holds its
 * provider), but the task is not retried; an alert says why.
 */
export function sendToReview(
  queue: Queue,
  id: string,
  ended: "timed_out" | "interrupted" | "failed",
  failure: FailureInput,
  ctx: FailContext,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running"], "put under review");
  const counted = countFailure(queue, task, failure, ctx);
  const calls = failure.facts?.toolCalls;
  const what = `the run ${WHY[ended]} after ${calls === undefined ? "it may have acted (the host did not say whether it called tools)" : `${calls} tool call${calls === 1 ? "" : "s"}`}`;
  const next: Task = { ...counted.task, state: "review", reason: REASON[ended], run_at: null };
  let out = withHistory(
    replaceTask(counted.queue, next),
    historyEntry(task, "review", counted.kind, ctx.nowMs, failure.facts),
  );
  out = withAlert(
    out,
    taskAlert(
      "review",
      next,
      `${what}; not re-run without a person: ${counted.task.last_error!.message}`,
      ctx.nowMs,
      next.reason,
    ),
  );
  return { queue: out, task: next };
}

/**
 * review → pending: a person decided to run it again. The counters stay (a second cut-off
 * run still trips the crash-loop breaker); the age counts from now.
 */
export function retryReviewed(
  queue: Queue,
  id: string,
  nowMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["review"], "retry");
  const next: Task = {
    ...backInRotation(task),
    state: "pending",
    run: null,
    run_at: null,
    age_from: isoTime(nowMs),
    updated_at: isoTime(nowMs),
  };
  return { queue: replaceTask(queue, next), task: next };
}

/** review → gone: a person decided it must not run again (the run did the work, or it is unwanted). */
export function dropReviewed(queue: Queue, id: string): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["review"], "drop");
  return { queue: { ...queue, tasks: queue.tasks.filter((t) => t.id !== id) }, task };
}
