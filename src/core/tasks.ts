import type { Policy } from "../policy/schema.js";
import { TaskManagerError } from "./errors.js";
import { normalizePrompt } from "./prompt.js";
import type { FailureKind, HistoryEntry, Queue, Task, TaskState } from "./queue-schema.js";
import { backoffDelayMs, classifyError } from "./retry.js";
import { isoTime } from "./time.js";

/** Bounded run history for `stats`. */
export const HISTORY_LIMIT = 500;
export const ACTIVE_STATES: readonly TaskState[] = ["pending", "claimed", "running"];

export interface NewTask {
  prompt: string;
  priority?: number;
  source?: string;
  key?: string | null;
  metadata?: Record<string, unknown>;
}

export type AddResult = { kind: "added"; queue: Queue; task: Task } | { kind: "duplicate"; queue: Queue; task: Task };

/** Replaces one task (by id) and bumps nothing else; the store bumps the revision on write. */
export function replaceTask(queue: Queue, next: Task): Queue {
  return { ...queue, tasks: queue.tasks.map((t) => (t.id === next.id ? next : t)) };
}

export function getTask(queue: Queue, id: string): Task {
  const task = queue.tasks.find((t) => t.id === id);
  if (!task) {
    throw new TaskManagerError("E_TASK_NOT_FOUND", `No task with id "${id}" in the queue. Run \`task-manager list --all\` to see ids.`, { id });
  }
  return task;
}

function requireState(task: Task, allowed: readonly TaskState[], action: string): void {
  if (!allowed.includes(task.state)) {
    throw new TaskManagerError(
      "E_INVALID_STATE",
      `Cannot ${action} task ${task.id}: it is ${task.state}, expected ${allowed.join(" or ")}.`,
      { id: task.id, state: task.state },
    );
  }
}

/** The active task an addition would duplicate: same key, or same prompt and source. */
export function findDuplicate(queue: Queue, prompt: string, source: string, key: string | null): Task | undefined {
  return queue.tasks.find(
    (t) => ACTIVE_STATES.includes(t.state) && (key !== null ? t.key === key : t.prompt === prompt && t.source === source),
  );
}

export function addTask(queue: Queue, input: NewTask, nowMs: number, id: string): AddResult {
  const prompt = normalizePrompt(input.prompt);
  const source = input.source ?? "cli";
  const key = input.key ?? null;
  const duplicate = findDuplicate(queue, prompt, source, key);
  if (duplicate) return { kind: "duplicate", queue, task: duplicate };
  const task: Task = {
    id,
    prompt,
    priority: input.priority ?? 5,
    source,
    key,
    state: "pending",
    attempts: 0,
    failures: 0,
    quota_failures: 0,
    added_at: isoTime(nowMs),
    updated_at: isoTime(nowMs),
    run_at: null,
    lease: null,
    run: null,
    last_error: null,
    finished_at: null,
    metadata: input.metadata ?? {},
  };
  return { kind: "added", queue: { ...queue, tasks: [...queue.tasks, task] }, task };
}

export interface Claim {
  token: string;
  model: string;
  leaseSeconds: number;
}

/** pending → claimed: a check recommended it; the lease says how long the spawner has. */
export function claimTask(queue: Queue, task: Task, claim: Claim, nowMs: number): { queue: Queue; task: Task } {
  requireState(task, ["pending"], "claim");
  const next: Task = {
    ...task,
    state: "claimed",
    updated_at: isoTime(nowMs),
    lease: { token: claim.token, expires_at: isoTime(nowMs + claim.leaseSeconds * 1000), attempt: task.attempts + 1, model: claim.model },
  };
  return { queue: replaceTask(queue, next), task: next };
}

export interface Ack {
  runId: string | null;
  sessionKey: string | null;
  model?: string | null;
}

/**
 * claimed → running, once the spawn happened. Also accepted from pending: a spawn that was
 * recorded after its lease ran out still happened, and forgetting it would run the task twice.
 * Re-acking the same run is a no-op.
 */
export function ackTask(queue: Queue, id: string, ack: Ack, nowMs: number): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  if (task.state === "running" && task.run && (task.run.run_id === ack.runId || task.run.session_key === ack.sessionKey)) {
    return { queue, task };
  }
  requireState(task, ["claimed", "pending"], "ack");
  const attempt = task.attempts + 1;
  const next: Task = {
    ...task,
    state: "running",
    attempts: attempt,
    updated_at: isoTime(nowMs),
    lease: null,
    run: {
      run_id: ack.runId,
      session_key: ack.sessionKey,
      model: ack.model ?? task.lease?.model ?? null,
      started_at: isoTime(nowMs),
      attempt,
    },
  };
  return { queue: replaceTask(queue, next), task: next };
}

function historyEntry(task: Task, outcome: HistoryEntry["outcome"], kind: FailureKind | null, nowMs: number): HistoryEntry {
  return { task_id: task.id, outcome, kind, started_at: task.run?.started_at ?? null, ended_at: isoTime(nowMs), model: task.run?.model ?? null };
}

function withHistory(queue: Queue, entry: HistoryEntry): Queue {
  const history = [...queue.history, entry];
  return { ...queue, history: history.length > HISTORY_LIMIT ? history.slice(-HISTORY_LIMIT) : history };
}

/** running (or claimed, when the caller ran it itself) → done. */
export function completeTask(queue: Queue, id: string, nowMs: number): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running", "claimed", "pending"], "mark done");
  const next: Task = { ...task, state: "done", updated_at: isoTime(nowMs), finished_at: isoTime(nowMs), lease: null, run_at: null };
  return { queue: withHistory(replaceTask(queue, next), historyEntry(task, "done", null, nowMs)), task: next };
}

export interface FailureInput {
  message: string;
  kind?: FailureKind;
}

export interface FailContext {
  policy: Policy;
  nowMs: number;
  random: () => number;
}

/**
 * A failed run: back to pending with backoff, or — for a rate limit — with its model put in
 * cooldown so a fallback model can take it; dead (with an alert) once the budget is spent.
 */
export function failTask(queue: Queue, id: string, failure: FailureInput, ctx: FailContext): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running", "claimed", "pending"], "fail");
  const kind = failure.kind ?? classifyError(failure.message);
  const { nowMs, policy } = ctx;
  const isQuota = kind === "quota";
  const failures = task.failures + (isQuota ? 0 : 1);
  const quotaFailures = task.quota_failures + (isQuota ? 1 : 0);
  const last_error = { kind, message: failure.message.slice(0, 2000), at: isoTime(nowMs) };
  const dead = failures >= policy.retry.maxAttempts || quotaFailures >= policy.retry.maxQuotaRetries;
  let next: Task = { ...task, failures, quota_failures: quotaFailures, last_error, lease: null, updated_at: isoTime(nowMs) };
  let out = queue;
  const model = task.run?.model ?? task.lease?.model ?? null;
  if (isQuota && model) {
    out = { ...out, cooldowns: { ...out.cooldowns, [model]: isoTime(nowMs + policy.retry.quotaCooldownMs) } };
  }
  if (dead) {
    next = { ...next, state: "dead", finished_at: isoTime(nowMs), run_at: null };
    out = withHistory(replaceTask(out, next), historyEntry(task, "dead", kind, nowMs));
    const alert = { type: "dead" as const, task_id: task.id, prompt: task.prompt.slice(0, 200), error: last_error.message.slice(0, 500), failures: failures + quotaFailures, at: isoTime(nowMs) };
    return { queue: { ...out, alerts: [...out.alerts, alert] }, task: next };
  }
  const delay = isQuota ? 0 : backoffDelayMs(failures, policy.retry, ctx.random);
  next = { ...next, state: "pending", run_at: delay > 0 ? isoTime(nowMs + delay) : null };
  return { queue: withHistory(replaceTask(out, next), historyEntry(task, "failed", kind, nowMs)), task: next };
}

export function removeTask(queue: Queue, id: string): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  return { queue: { ...queue, tasks: queue.tasks.filter((t) => t.id !== id) }, task };
}

/** States a person may send back to pending with a fresh budget (`dead retry`, the status page). */
export const RETRYABLE_STATES: readonly TaskState[] = ["dead"];

/** dead → pending with a fresh budget. */
export function retryDeadTask(queue: Queue, id: string, nowMs: number): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, RETRYABLE_STATES, "retry");
  const next: Task = { ...task, state: "pending", failures: 0, quota_failures: 0, run_at: null, finished_at: null, run: null, updated_at: isoTime(nowMs) };
  return { queue: replaceTask(queue, next), task: next };
}

/** States whose priority still matters: the task has not started, or may run again. */
export const REPRIORITIZABLE_STATES: readonly TaskState[] = ["pending", "dead"];

/** Largest |priority| accepted: priorities are small ranks, and a bound keeps hand-typed typos visible. */
export const PRIORITY_LIMIT = 1_000_000;

/** A new run order for a task that has not started (or may run again); the same priority is a no-op. */
export function setPriority(queue: Queue, id: string, priority: number, nowMs: number): { queue: Queue; task: Task } {
  if (!Number.isInteger(priority) || Math.abs(priority) > PRIORITY_LIMIT) {
    throw new TaskManagerError("E_INVALID_INPUT", `Priority must be a whole number between -${PRIORITY_LIMIT} and ${PRIORITY_LIMIT} (1 = most urgent), got ${String(priority)}.`, { id, priority });
  }
  const task = getTask(queue, id);
  requireState(task, REPRIORITIZABLE_STATES, "change the priority of");
  if (task.priority === priority) return { queue, task };
  const next: Task = { ...task, priority, updated_at: isoTime(nowMs) };
  return { queue: replaceTask(queue, next), task: next };
}

export function purgeDeadTasks(queue: Queue): { queue: Queue; removed: number } {
  const tasks = queue.tasks.filter((t) => t.state !== "dead");
  return { queue: { ...queue, tasks }, removed: queue.tasks.length - tasks.length };
}

/** Claims whose lease ran out go back to pending: the spawner never confirmed a run. */
export function expireLeases(queue: Queue, nowMs: number): { queue: Queue; expired: Task[] } {
  const expired = queue.tasks.filter((t) => t.state === "claimed" && t.lease !== null && Date.parse(t.lease.expires_at) <= nowMs);
  if (expired.length === 0) return { queue, expired };
  let out = queue;
  for (const task of expired) {
    out = replaceTask(out, {
      ...task,
      state: "pending",
      lease: null,
      updated_at: isoTime(nowMs),
      last_error: { kind: "lease_expired", message: "claimed but not acknowledged before the lease ran out", at: isoTime(nowMs) },
    });
  }
  return { queue: out, expired };
}

/**
 * claimed → pending without charging an attempt: the spawner could not start the run (gateway
 * unreachable), which says nothing about the task. `retryAtMs` spaces out the next try.
 */
export function releaseClaim(queue: Queue, id: string, message: string, nowMs: number, retryAtMs: number): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["claimed"], "release");
  const next: Task = {
    ...task,
    state: "pending",
    lease: null,
    run_at: isoTime(retryAtMs),
    updated_at: isoTime(nowMs),
    last_error: { kind: "error", message: message.slice(0, 2000), at: isoTime(nowMs) },
  };
  return { queue: replaceTask(queue, next), task: next };
}

/**
 * running → pending without charging a failure: the host refused to start the run and made no
 * model call (e.g. a repeated idempotency key after a restart). The next claim takes the next
 * attempt number, so it is started under a fresh session and key.
 */
export function requeueRejectedRun(queue: Queue, id: string, message: string, nowMs: number): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running"], "requeue");
  const next: Task = {
    ...task,
    state: "pending",
    lease: null,
    run_at: null,
    updated_at: isoTime(nowMs),
    last_error: { kind: "rejected", message: message.slice(0, 2000), at: isoTime(nowMs) },
  };
  return { queue: replaceTask(queue, next), task: next };
}
