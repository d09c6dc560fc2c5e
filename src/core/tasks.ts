import type { Policy } from "../policy/schema.js";
import { TaskManagerError } from "../base/errors.js";
import {
  checkLabel,
  checkMaxAgeHours,
  checkMetadata,
  checkOptionalLabel,
  checkPriority,
  DEFAULT_PRIORITY,
  errorText,
  MAX_KEY_CHARS,
  MAX_RUN_FIELD_CHARS,
  MAX_SOURCE_CHARS,
} from "./bounds.js";
import { holdEnd, liftProbedHolds, placeHold } from "./holds.js";
import { normalizePrompt } from "./prompt.js";
import type {
  Alert,
  FailureKind,
  HistoryEntry,
  Queue,
  Task,
  TaskReason,
  TaskState,
} from "./queue-model.js";
import type { ZoneOffset } from "./reset-hint.js";
import { backoffDelayMs, classifyError } from "./retry.js";
import type { RunFacts } from "./run-outcome.js";
import { isoTime } from "./time.js";

/** Bounded run history for `stats`. */
export const HISTORY_LIMIT = 500;
/** In rotation: waiting to run, or running. */
export const ACTIVE_STATES: readonly TaskState[] = ["pending", "claimed", "running"];
/** What `list` shows and what an `add` is a duplicate of: in rotation, or waiting for a person. */
export const OPEN_STATES: readonly TaskState[] = [...ACTIVE_STATES, "review"];
/** Runs in a row that ended with their gateway dying before a task is taken out of rotation. */
export const CRASH_LOOP_RUNS = 2;

export interface NewTask {
  prompt: string;
  priority?: number;
  source?: string;
  key?: string | null;
  metadata?: Record<string, unknown>;
  /** Safe to repeat; undefined: the policy's idempotentByDefault. */
  idempotent?: boolean;
  /** Hours; null: no limit; undefined: the policy's maxAgeHours. */
  maxAgeHours?: number | null;
  /** USD one run of it may cost (what budgets reserve for it); undefined: the model's recent mean. */
  maxCostUsd?: number;
}

/** Largest per-task cost accepted, in USD: a bound, so a typo stays visible. */
export const MAX_COST_LIMIT_USD = 1_000_000;

export type AddResult =
  | { kind: "added"; queue: Queue; task: Task }
  | { kind: "duplicate"; queue: Queue; task: Task };

/** Replaces one task (by id) and bumps nothing else; the store bumps the revision on write. */
export function replaceTask(queue: Queue, next: Task): Queue {
  return { ...queue, tasks: queue.tasks.map((t) => (t.id === next.id ? next : t)) };
}

export function getTask(queue: Queue, id: string): Task {
  const task = queue.tasks.find((t) => t.id === id);
  if (!task) {
    throw new TaskManagerError(
      "E_TASK_NOT_FOUND",
      `No task with id "${id}" in the queue. Run \`task-manager list --all\` to see ids.`,
      { id },
    );
  }
  return task;
}

export function requireState(task: Task, allowed: readonly TaskState[], action: string): void {
  if (!allowed.includes(task.state)) {
    throw new TaskManagerError(
      "E_INVALID_STATE",
      `Cannot ${action} task ${task.id}: it is ${task.state}, expected ${allowed.join(" or ")}.`,
      { id: task.id, state: task.state },
    );
  }
}

/** The active task an addition would duplicate: same key, or same prompt and source. */
export function findDuplicate(
  queue: Queue,
  prompt: string,
  source: string,
  key: string | null,
): Task | undefined {
  return queue.tasks.find(
    (t) =>
      OPEN_STATES.includes(t.state) &&
      (key !== null ? t.key === key : t.prompt === prompt && t.source === source),
  );
}

export function addTask(queue: Queue, input: NewTask, nowMs: number, id: string): AddResult {
  const prompt = normalizePrompt(input.prompt);
  const priority = input.priority === undefined ? DEFAULT_PRIORITY : checkPriority(input.priority);
  const source =
    input.source === undefined ? "cli" : checkLabel(input.source, "source", MAX_SOURCE_CHARS);
  const key = checkOptionalLabel(input.key, "key", MAX_KEY_CHARS);
  const maxAge = input.maxAgeHours === undefined ? undefined : checkMaxAgeHours(input.maxAgeHours);
  if (input.idempotent !== undefined && typeof input.idempotent !== "boolean")
    throw new TaskManagerError(
      "E_INVALID_INPUT",
      `"idempotent" must be true or false, got ${typeof input.idempotent}.`,
      { key: "idempotent" },
    );
  const maxCost = input.maxCostUsd;
  if (
    maxCost !== undefined &&
    !(
      typeof maxCost === "number" &&
      Number.isFinite(maxCost) &&
      maxCost > 0 &&
      maxCost <= MAX_COST_LIMIT_USD
    )
  ) {
    throw new TaskManagerError(
      "E_INVALID_INPUT",
      `Task max cost must be a number of USD above 0 and at most ${MAX_COST_LIMIT_USD}; got ${JSON.stringify(maxCost)}.`,
      { key: "max_cost_usd" },
    );
  }
  const metadata = checkMetadata(input.metadata);
  const duplicate = findDuplicate(queue, prompt, source, key);
  if (duplicate) return { kind: "duplicate", queue, task: duplicate };
  const task: Task = {
    id,
    prompt,
    priority,
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
    metadata,
    ...(input.idempotent !== undefined ? { idempotent: input.idempotent } : {}),
    ...(maxAge !== undefined ? { max_age_hours: maxAge } : {}),
    ...(maxCost !== undefined ? { max_cost_usd: maxCost } : {}),
  };
  return { kind: "added", queue: { ...queue, tasks: [...queue.tasks, task] }, task };
}

export interface Claim {
  token: string;
  model: string;
  leaseSeconds: number;
  /** The gateway claiming it, on a store several gateways share. */
  owner?: string;
}

/** pending → claimed: a check recommended it; the lease says how long the spawner has. */
export function claimTask(
  queue: Queue,
  task: Task,
  claim: Claim,
  nowMs: number,
): { queue: Queue; task: Task } {
  requireState(task, ["pending"], "claim");
  const next: Task = {
    ...task,
    state: "claimed",
    updated_at: isoTime(nowMs),
    lease: {
      token: claim.token,
      expires_at: isoTime(nowMs + claim.leaseSeconds * 1000),
      attempt: task.attempts + 1,
      model: claim.model,
      ...(claim.owner !== undefined ? { owner: claim.owner } : {}),
    },
  };
  return { queue: replaceTask(queue, next), task: next };
}

export interface Ack {
  runId: string | null;
  sessionKey: string | null;
  model?: string | null;
  /** The gateway that started the run, on a store several gateways share. */
  owner?: string;
  /**
   * The claim's lease token, when the caller holds one: the ack is refused if another claim
   * took the task meanwhile (fencing: a gateway that lost its claim while frozen publishes
   * nothing over the one that took it).
   */
  token?: string;
}

/** Is `ack` about the run already recorded on `task`? */
const sameRun = (task: Task, ack: Ack): boolean =>
  task.run !== null &&
  (task.run.run_id === ack.runId || task.run.session_key === ack.sessionKey) &&
  task.run.owner === ack.owner;

/** Refuses an ack whose claim another claim replaced, or whose task another run took. */
function assertClaimHeld(task: Task, ack: Ack): void {
  if (ack.token === undefined) return;
  const lost =
    (task.state === "claimed" && task.lease?.token !== ack.token) || task.state === "running";
  if (!lost) return;
  throw new TaskManagerError(
    "E_LEASE_LOST",
    `Task ${task.id} was claimed again after this claim lapsed (it is ${task.state}${task.lease?.owner ? ` by ${task.lease.owner}` : task.run?.owner ? ` on ${task.run.owner}` : ""}); this run was not recorded and the other claim stands.`,
    { id: task.id, state: task.state },
  );
}

/**
 * claimed → running, once the spawn happened. Also accepted from pending: a spawn that was
 * recorded after its lease ran out still happened, and forgetting it would run the task twice.
 * Re-acking the same run is a no-op.
 */
export function ackTask(
  queue: Queue,
  id: string,
  ack: Ack,
  nowMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  const runId = checkOptionalLabel(ack.runId, "run_id", MAX_RUN_FIELD_CHARS);
  const sessionKey = checkOptionalLabel(ack.sessionKey, "session_key", MAX_RUN_FIELD_CHARS);
  const model = checkOptionalLabel(ack.model, "model", MAX_RUN_FIELD_CHARS);
  if (task.state === "running" && sameRun(task, { ...ack, runId, sessionKey }))
    return { queue, task };
  assertClaimHeld(task, ack);
  requireState(task, ["claimed", "pending"], "ack");
  const attempt = task.attempts + 1;
  const next: Task = {
    ...task,
    state: "running",
    attempts: attempt,
    updated_at: isoTime(nowMs),
    lease: null,
    run: {
      run_id: runId,
      session_key: sessionKey,
      model: model ?? task.lease?.model ?? null,
      started_at: isoTime(nowMs),
      attempt,
      ...(ack.owner !== undefined ? { owner: ack.owner } : {}),
    },
  };
  return { queue: replaceTask(queue, next), task: next };
}

/** A settled run for `history`: the model that really ran (when the host said) and its usage. */
export function historyEntry(
  task: Task,
  outcome: HistoryEntry["outcome"],
  kind: FailureKind | null,
  nowMs: number,
  facts?: RunFacts,
): HistoryEntry {
  const entry: HistoryEntry = {
    task_id: task.id,
    outcome,
    kind,
    started_at: task.run?.started_at ?? null,
    ended_at: isoTime(nowMs),
    // What the host reported is outside input too: bounded, so 500 entries cannot outgrow the file.
    model: clipped(facts?.model) ?? task.run?.model ?? null,
  };
  const usage = facts?.usage;
  if (usage === undefined) return entry;
  const tokens = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);
  const cost =
    usage.costUsd !== null && Number.isFinite(usage.costUsd) && usage.costUsd >= 0
      ? usage.costUsd
      : null;
  return {
    ...entry,
    usage: {
      input: tokens(usage.input),
      output: tokens(usage.output),
      cache_read: tokens(usage.cacheRead),
      cache_write: tokens(usage.cacheWrite),
      cost_usd: cost,
    },
  };
}

const clipped = (text: string | null | undefined): string | null =>
  typeof text === "string" ? errorText(text, MAX_RUN_FIELD_CHARS) : null;

export function withHistory(queue: Queue, entry: HistoryEntry): Queue {
  const history = [...queue.history, entry];
  return {
    ...queue,
    history: history.length > HISTORY_LIMIT ? history.slice(-HISTORY_LIMIT) : history,
  };
}

/** An alert for the main session; the task text is cut short (and is data: see alert-text.ts). */
export function taskAlert(
  type: Alert["type"],
  task: Task,
  error: string,
  nowMs: number,
  reason?: TaskReason,
): Alert {
  const alert: Alert = {
    type,
    task_id: task.id,
    prompt: task.prompt.slice(0, 200),
    error: error.slice(0, 500),
    failures: task.failures + task.quota_failures,
    at: isoTime(nowMs),
  };
  return reason === undefined ? alert : { ...alert, reason };
}

export function withAlert(queue: Queue, alert: Alert): Queue {
  return { ...queue, alerts: [...queue.alerts, alert] };
}

/** A copy of the task without the fields that only mean something out of rotation. */
export function backInRotation(task: Task): Task {
  const { reason: _reason, ...rest } = task;
  return rest;
}

function withoutInterruptions(task: Task): Task {
  const { interruptions: _interruptions, ...rest } = task;
  return rest;
}

/** running (or claimed, when the caller ran it itself, or under review) → done. */
export function completeTask(
  queue: Queue,
  id: string,
  nowMs: number,
  facts?: RunFacts,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running", "claimed", "pending", "review"], "mark done");
  const next: Task = {
    ...withoutInterruptions(backInRotation(task)),
    state: "done",
    updated_at: isoTime(nowMs),
    finished_at: isoTime(nowMs),
    lease: null,
    run_at: null,
  };
  const out = liftProbedHolds(replaceTask(queue, next), id, nowMs);
  return { queue: withHistory(out, historyEntry(task, "done", null, nowMs, facts)), task: next };
}

export interface FailureInput {
  message: string;
  kind?: FailureKind;
  /** The host's recorded end of a quota hold (epoch ms). */
  resetAtMs?: number;
  /** What the host recorded about the run (model, usage), for `history`. */
  facts?: RunFacts;
}

export interface FailContext {
  policy: Policy;
  nowMs: number;
  random: () => number;
  /** The host's UTC offset, for reset times written as a clock time ("resets at 14:30"). */
  zone?: ZoneOffset;
}

/** The counters and record of one failed run, shared by retry, dead and review. */
export function countFailure(
  queue: Queue,
  task: Task,
  failure: FailureInput,
  ctx: FailContext,
): { queue: Queue; task: Task; kind: FailureKind } {
  const kind = failure.kind ?? classifyError(failure.message);
  const { nowMs, policy } = ctx;
  const isQuota = kind === "quota";
  const base =
    kind === "interrupted"
      ? { ...task, interruptions: (task.interruptions ?? 0) + 1 }
      : withoutInterruptions(task);
  const next: Task = {
    ...base,
    failures: task.failures + (isQuota ? 0 : 1),
    quota_failures: task.quota_failures + (isQuota ? 1 : 0),
    last_error: { kind, message: errorText(failure.message), at: isoTime(nowMs) },
    lease: null,
    updated_at: isoTime(nowMs),
  };
  const model = task.run?.model ?? task.lease?.model ?? null;
  // A rate limit holds the provider (or model) for everyone; anything else ends this task's probe.
  const out =
    isQuota && model
      ? placeHold(
          queue,
          model,
          policy.retry.quotaScope,
          holdEnd(failure, policy.retry, nowMs, ctx.zone),
          nowMs,
        )
      : liftProbedHolds(queue, task.id, nowMs);
  return { queue: out, task: next, kind };
}

/** Why a task that just failed leaves rotation for good, if it does. */
function deadReason(task: Task, kind: FailureKind, retry: Policy["retry"]): TaskReason | null {
  if (kind === "interrupted" && (task.interruptions ?? 0) >= CRASH_LOOP_RUNS) return "crash_loop";
  if (task.failures >= retry.maxAttempts) return "attempts";
  if (task.quota_failures >= retry.maxQuotaRetries) return "quota_retries";
  return null;
}

/**
 * A failed run: back to pending with backoff — or, for a rate limit, at once, with its provider
 * (or model) on hold so another provider's model can take it; dead (with an alert) once the
 * budget is spent, or when its runs keep dying with their gateway (the crash-loop breaker).
 */
export function failTask(
  queue: Queue,
  id: string,
  failure: FailureInput,
  ctx: FailContext,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running", "claimed", "pending"], "fail");
  const { nowMs, policy } = ctx;
  const counted = countFailure(queue, task, failure, ctx);
  let next = counted.task;
  let out = counted.queue;
  const reason = deadReason(next, counted.kind, policy.retry);
  if (reason !== null) {
    next = { ...next, state: "dead", reason, finished_at: isoTime(nowMs), run_at: null };
    out = withHistory(
      replaceTask(out, next),
      historyEntry(task, "dead", counted.kind, nowMs, failure.facts),
    );
    return {
      queue: withAlert(out, taskAlert("dead", next, next.last_error!.message, nowMs, reason)),
      task: next,
    };
  }
  const delay =
    counted.kind === "quota" ? 0 : backoffDelayMs(next.failures, policy.retry, ctx.random);
  next = { ...next, state: "pending", run_at: delay > 0 ? isoTime(nowMs + delay) : null };
  return {
    queue: withHistory(
      replaceTask(out, next),
      historyEntry(task, "failed", counted.kind, nowMs, failure.facts),
    ),
    task: next,
  };
}

/** Whether a run that ended with its gateway dying would be this task's crash loop. */
export function wouldCrashLoop(task: Task): boolean {
  return (task.interruptions ?? 0) + 1 >= CRASH_LOOP_RUNS;
}

export function removeTask(queue: Queue, id: string): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  return { queue: { ...queue, tasks: queue.tasks.filter((t) => t.id !== id) }, task };
}

/** States a person may send back to pending (`dead|review|expired retry`, the status page's retry). */
export const RETRYABLE_STATES: readonly TaskState[] = ["dead", "review", "expired"];

/**
 * dead → pending with a fresh budget (and a clean crash-loop count). A person asked for it, so
 * its age counts from now: `maxAgeHours` must not expire it straight away.
 */
export function retryDeadTask(
  queue: Queue,
  id: string,
  nowMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["dead"], "retry");
  const next: Task = {
    ...withoutInterruptions(backInRotation(task)),
    state: "pending",
    failures: 0,
    quota_failures: 0,
    run_at: null,
    finished_at: null,
    run: null,
    age_from: isoTime(nowMs),
    updated_at: isoTime(nowMs),
  };
  return { queue: replaceTask(queue, next), task: next };
}

/** States whose priority still matters: the task has not started, or may run again. */
export const REPRIORITIZABLE_STATES: readonly TaskState[] = [
  "pending",
  "dead",
  "review",
  "expired",
];

/** A new run order for a task that has not started (or may run again); the same priority is a no-op. */
export function setPriority(
  queue: Queue,
  id: string,
  priority: number,
  nowMs: number,
): { queue: Queue; task: Task } {
  checkPriority(priority);
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
  const expired = queue.tasks.filter(
    (t) => t.state === "claimed" && t.lease !== null && Date.parse(t.lease.expires_at) <= nowMs,
  );
  if (expired.length === 0) return { queue, expired };
  let out = queue;
  for (const task of expired) {
    out = replaceTask(out, {
      ...task,
      state: "pending",
      lease: null,
      updated_at: isoTime(nowMs),
      last_error: {
        kind: "lease_expired",
        message: "claimed but not acknowledged before the lease ran out",
        at: isoTime(nowMs),
      },
    });
  }
  return { queue: out, expired };
}

/**
 * claimed → pending without charging an attempt: the spawner could not start the run (gateway
 * unreachable), which says nothing about the task. `retryAtMs` spaces out the next try.
 */
export function releaseClaim(
  queue: Queue,
  id: string,
  message: string,
  nowMs: number,
  retryAtMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["claimed"], "release");
  const next: Task = {
    ...task,
    state: "pending",
    lease: null,
    run_at: isoTime(retryAtMs),
    updated_at: isoTime(nowMs),
    last_error: { kind: "error", message: errorText(message), at: isoTime(nowMs) },
  };
  return { queue: replaceTask(queue, next), task: next };
}

/**
 * running → pending without charging a failure: the host refused to start the run and made no
 * model call (e.g. a repeated idempotency key after a restart). The next claim takes the next
 * attempt number, so it is started under a fresh session and key.
 */
export function requeueRejectedRun(
  queue: Queue,
  id: string,
  message: string,
  nowMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["running"], "requeue");
  const next: Task = {
    ...task,
    state: "pending",
    lease: null,
    run_at: null,
    updated_at: isoTime(nowMs),
    last_error: { kind: "rejected", message: errorText(message), at: isoTime(nowMs) },
  };
  return { queue: replaceTask(queue, next), task: next };
}
