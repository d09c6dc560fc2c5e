import type { Policy } from "../policy/schema.js";
import { countActive, decide, type Decision, type Observation } from "./decide.js";
import type { Queue, Task } from "./queue-schema.js";
import type { HostInfo, SettledInfo, StatusObject } from "./status.js";
import { claimTask, completeTask, expireLeases, failTask, requeueRejectedRun } from "./tasks.js";
import type { RunOutcome } from "./run-outcome.js";
import { isoTime } from "./time.js";

export type { RunFacts, RunOutcome, RunUsage } from "./run-outcome.js";

export interface CheckInput {
  queue: Queue;
  policy: Policy;
  observation: Observation;
  /** Outcomes of running tasks, by `runKey(task)`, read from their transcripts before the lock. */
  outcomes: ReadonlyMap<string, RunOutcome>;
  nowMs: number;
  random: () => number;
  newToken: () => string;
  host: HostInfo;
  workspace: string;
  /** The spawner may not start runs (the host forbids it): a task that would be READY waits. */
  startBlocked?: boolean;
}

export interface CheckResult {
  queue: Queue;
  status: StatusObject;
  /** False when nothing needs writing (the common idle tick). */
  changed: boolean;
  decision: Decision;
}

/** Identifies one run of a task, so an outcome read for an older run is never applied to a newer one. */
export function runKey(task: Task): string {
  return `${task.id}@${task.run?.session_key ?? task.run?.run_id ?? ""}#${task.run?.attempt ?? 0}`;
}

/** Applies transcript outcomes and timeouts to running tasks. */
export function settleRunning(input: Omit<CheckInput, "newToken" | "host" | "workspace" | "observation">): { queue: Queue; settled: SettledInfo[] } {
  const { policy, nowMs } = input;
  let queue = input.queue;
  const settled: SettledInfo[] = [];
  const timeoutMs = policy.taskTimeoutMinutes * 60_000;
  for (const task of input.queue.tasks) {
    if (task.state !== "running") continue;
    const outcome = input.outcomes.get(runKey(task)) ?? { status: "unknown" };
    const timedOut = task.run !== null && nowMs - Date.parse(task.run.started_at) > timeoutMs;
    let next: { queue: Queue; task: Task } | null = null;
    if (outcome.status === "done") next = completeTask(queue, task.id, nowMs);
    else if (outcome.status === "failed") next = failTask(queue, task.id, { message: outcome.message }, input);
    else if (outcome.status === "interrupted") next = failTask(queue, task.id, { message: "run interrupted: the gateway stopped mid-run", kind: "error" }, input);
    else if (outcome.status === "rejected") next = requeueRejectedRun(queue, task.id, `the host refused the run: ${outcome.message}`, nowMs);
    else if (timedOut) next = failTask(queue, task.id, { message: `no final answer after ${policy.taskTimeoutMinutes} min`, kind: "timeout" }, input);
    if (!next) continue;
    queue = next.queue;
    if (outcome.status === "done") queue = flagModelMismatch(queue, task, outcome.model, nowMs);
    const error = next.task.last_error?.message;
    settled.push({ id: task.id, outcome: next.task.state === "done" ? "done" : next.task.state === "dead" ? "dead" : outcome.status === "rejected" ? "rejected" : "failed", ...(outcome.status !== "done" && error ? { error } : {}) });
  }
  return { queue, settled };
}

/**
 * The whitelist is enforced before a spawn, and checked again after: a host can silently run a
 * session on its default model (e.g. an unknown model name). Such a run still counts as done —
 * the work happened — but the user is told.
 */
function flagModelMismatch(queue: Queue, task: Task, used: string | undefined, nowMs: number): Queue {
  const asked = task.run?.model;
  if (!used || !asked || used === asked) return queue;
  const alert = { type: "model_mismatch" as const, task_id: task.id, prompt: task.prompt.slice(0, 200), error: `ran on ${used}, not on the whitelisted ${asked}`, failures: task.failures, at: isoTime(nowMs) };
  return { ...queue, alerts: [...queue.alerts, alert] };
}

/**
 * One heartbeat check as a pure transform: expire leases, settle finished runs, decide, and
 * claim the chosen task under a lease. Undelivered alerts ride along once and are cleared.
 */
export function runCheckTransform(input: CheckInput): CheckResult {
  const { policy, observation: obs, nowMs } = input;
  const expired = expireLeases(input.queue, nowMs);
  const settledRun = settleRunning({ ...input, queue: expired.queue });
  let queue = settledRun.queue;
  const settled: SettledInfo[] = [...expired.expired.map((t) => ({ id: t.id, outcome: "lease_expired" as const })), ...settledRun.settled];
  const decided = decide(queue, policy, obs, nowMs);
  const decision: Decision = decided.kind === "READY" && input.startBlocked ? { kind: "DEFERRED", reason: "host_setup", retryAtMs: null } : decided;
  let claimed: { task: Task; token: string } | null = null;
  if (decision.kind === "READY") {
    const token = input.newToken();
    const result = claimTask(queue, decision.task, { token, model: decision.model, leaseSeconds: policy.leaseSeconds }, nowMs);
    queue = result.queue;
    claimed = { task: result.task, token };
  }
  const alerts = queue.alerts;
  if (alerts.length > 0) queue = { ...queue, alerts: [] };
  const common = {
    pending_count: queue.tasks.filter((t) => t.state === "pending").length,
    active_sessions: countActive(queue, obs) - (claimed ? 1 : 0),
    load: Math.round(obs.loadPerCore * 100) / 100,
    host: input.host,
    workspace: input.workspace,
    ...(alerts.length > 0 ? { alerts } : {}),
    ...(settled.length > 0 ? { settled } : {}),
  };
  return { queue, changed: queue !== input.queue, decision, status: toStatus(decision, claimed, policy, common) };
}

function toStatus(decision: Decision, claimed: { task: Task; token: string } | null, policy: Policy, common: Omit<StatusObject & { status: "NO_TASKS" }, "status">): StatusObject {
  if (decision.kind === "NO_TASKS") return { status: "NO_TASKS", ...common };
  if (decision.kind === "DEFERRED") {
    return { status: "DEFERRED", reason: decision.reason, retry_at: decision.retryAtMs === null ? null : isoTime(decision.retryAtMs), ...common };
  }
  const task = claimed!.task;
  const lease = task.lease!;
  return {
    status: "READY",
    task: { id: task.id, prompt: task.prompt, priority: task.priority, attempt: lease.attempt, source: task.source },
    recommendation: { prompt: task.prompt, model: decision.model, label: `task-manager:${task.id}`, runTimeoutSeconds: Math.round(policy.taskTimeoutMinutes * 60) },
    lease: { token: lease.token, expires_at: lease.expires_at },
    ...common,
  };
}
