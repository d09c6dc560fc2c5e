import type { Policy } from "../policy/schema.js";
import type { Queue, Task } from "./queue-model.js";
import { isIdempotent, mayHaveActed, sendToReview } from "./review.js";
import type { ZoneOffset } from "./reset-hint.js";
import type { RunFacts, RunOutcome } from "./run-outcome.js";
import type { SettledInfo } from "./status.js";
import {
  completeTask,
  failTask,
  requeueRejectedRun,
  taskAlert,
  withAlert,
  wouldCrashLoop,
  type FailContext,
  type FailureInput,
} from "./tasks.js";

export interface SettleInput {
  queue: Queue;
  policy: Policy;
  /** Outcomes of running tasks, by `runKey(task)`, read before the lock. */
  outcomes: ReadonlyMap<string, RunOutcome>;
  nowMs: number;
  random: () => number;
  zone?: ZoneOffset;
  /**
   * This gateway, on a store several gateways share: a run another gateway started is that
   * gateway's to settle (only it can see the run), unless that gateway is in `lostOwners`.
   */
  self?: string;
  /** Gateways that stopped heartbeating past their lease: their runs are settled as interrupted. */
  lostOwners?: ReadonlySet<string>;
}

/** What this gateway may conclude about a running task: its own outcome, a lost owner's run, or nothing. */
function outcomeFor(task: Task, input: SettleInput): RunOutcome | null {
  const owner = task.run?.owner;
  if (owner === undefined || owner === input.self)
    return input.outcomes.get(runKey(task)) ?? { status: "unknown" };
  return input.lostOwners?.has(owner) ? { status: "interrupted" } : null;
}

/** Identifies one run of a task, so an outcome read for an older run is never applied to a newer one. */
export function runKey(task: Task): string {
  return `${task.id}@${task.run?.session_key ?? task.run?.run_id ?? ""}#${task.run?.attempt ?? 0}`;
}

const factsOf = (outcome: RunOutcome): RunFacts =>
  outcome.status === "rejected" || outcome.status === "unknown" ? {} : outcome;

type Step = { queue: Queue; task: Task } | null;

/**
 * What one running task's outcome means:
 * - done → done (the model that ran and its usage go to history);
 * - refused by the host (no model call) → pending, no attempt burned;
 * - cut off by a gateway death → the crash-loop breaker if it is the second in a row, else
 *   review if it may have acted, else a failed attempt;
 * - failed → review if it had acted, else a failed attempt (a rate limit holds its provider);
 * - no final answer after taskTimeoutMinutes → review if it may have acted, else a timeout.
 * A task declared safe to repeat is never put under review.
 */
function settleOne(
  queue: Queue,
  task: Task,
  outcome: RunOutcome,
  timedOut: boolean,
  ctx: FailContext,
): Step {
  const facts = factsOf(outcome);
  const repeatable = isIdempotent(task, ctx.policy);
  const fail = (failure: FailureInput, ended: "timed_out" | "interrupted" | "failed"): Step =>
    !repeatable && mayHaveActed(facts, ended)
      ? sendToReview(queue, task.id, ended, failure, ctx)
      : failTask(queue, task.id, failure, ctx);
  switch (outcome.status) {
    case "done": {
      const done = completeTask(queue, task.id, ctx.nowMs, facts);
      return {
        queue: flagModelMismatch(done.queue, task, outcome.model, ctx.nowMs),
        task: done.task,
      };
    }
    case "rejected":
      return requeueRejectedRun(
        queue,
        task.id,
        `the host refused the run: ${outcome.message}`,
        ctx.nowMs,
      );
    case "interrupted": {
      const failure: FailureInput = {
        message: "run interrupted: the gateway stopped mid-run",
        kind: "interrupted",
        facts,
      };
      // Two in a row: out of rotation, whether or not it acted — it must not take the gateway down again.
      return wouldCrashLoop(task)
        ? failTask(queue, task.id, failure, ctx)
        : fail(failure, "interrupted");
    }
    case "failed":
      return fail(
        {
          message: outcome.message,
          facts,
          ...(outcome.resetAtMs !== undefined ? { resetAtMs: outcome.resetAtMs } : {}),
        },
        "failed",
      );
    default:
      return timedOut
        ? fail(
            {
              message: `no final answer after ${ctx.policy.taskTimeoutMinutes} min`,
              kind: "timeout",
              facts,
            },
            "timed_out",
          )
        : null;
  }
}

/** Applies run outcomes and timeouts to running tasks. */
export function settleRunning(input: SettleInput): { queue: Queue; settled: SettledInfo[] } {
  const { policy, nowMs } = input;
  const ctx: FailContext = {
    policy,
    nowMs,
    random: input.random,
    ...(input.zone ? { zone: input.zone } : {}),
  };
  let queue = input.queue;
  const settled: SettledInfo[] = [];
  const timeoutMs = policy.taskTimeoutMinutes * 60_000;
  for (const task of input.queue.tasks) {
    if (task.state !== "running") continue;
    const outcome = outcomeFor(task, input);
    if (outcome === null) continue;
    const timedOut = task.run !== null && nowMs - Date.parse(task.run.started_at) > timeoutMs;
    const next = settleOne(queue, task, outcome, timedOut, ctx);
    if (!next) continue;
    queue = next.queue;
    const state = next.task.state;
    const result: SettledInfo["outcome"] =
      state === "done" || state === "dead" || state === "review"
        ? state
        : outcome.status === "rejected"
          ? "rejected"
          : "failed";
    const error = next.task.last_error?.message;
    settled.push({
      id: task.id,
      outcome: result,
      ...(state !== "done" && error ? { error } : {}),
      ...(next.task.reason ? { reason: next.task.reason } : {}),
    });
  }
  return { queue, settled };
}

/**
 * The whitelist is enforced before a spawn, and checked again after: a host can silently run a
 * session on its default model (e.g. an unknown model name). Such a run still counts as done —
 * the work happened — but the user is told.
 */
function flagModelMismatch(
  queue: Queue,
  task: Task,
  used: string | undefined,
  nowMs: number,
): Queue {
  const asked = task.run?.model;
  if (!used || !asked || used === asked) return queue;
  return withAlert(
    queue,
    taskAlert("model_mismatch", task, `ran on ${used}, not on the whitelisted ${asked}`, nowMs),
  );
}
