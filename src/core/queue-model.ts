import type { Queue } from "./queue-schema.js";

/**
 * The queue format's constants and its empty value, without zod: modules on the heartbeat's hot
 * path import these (and only types from queue-schema.ts), so an idle check never loads zod.
 */
export const TASK_STATES = [
  "pending",
  "claimed",
  "running",
  "done",
  "dead",
  "expired",
  "review",
] as const;

/**
 * Kinds of failure; `quota` is a rate limit or quota error (a hold, not the task's fault);
 * `rejected`: the host refused to start the run (no model call), which burns no attempt;
 * `interrupted`: the run's gateway died mid-run.
 */
export const FAILURE_KINDS = [
  "error",
  "quota",
  "timeout",
  "lease_expired",
  "manual",
  "rejected",
  "interrupted",
] as const;

/**
 * Why a task left rotation (state dead, expired or review); kept on the task until it is revived.
 * dead: `attempts` / `quota_retries` (budget spent), `crash_loop` (its runs kept dying with the
 * gateway); expired: `max_age`; review: the run may have acted before it `timed_out` or was
 * `interrupted` (or `failed`), and the task is not declared safe to repeat.
 */
export const TASK_REASONS = [
  "attempts",
  "quota_retries",
  "crash_loop",
  "max_age",
  "acted_then_timed_out",
  "acted_then_interrupted",
  "acted_then_failed",
] as const;

export const ALERT_TYPES = ["dead", "model_mismatch", "expired", "review"] as const;

/** A quota hold covers a whole provider (the part of a model before "/") or one model. */
export const HOLD_SCOPES = ["provider", "model"] as const;

/** Where a hold's end came from: the host's record, the error text, or `retry.quotaCooldownMs`. */
export const HOLD_SOURCES = ["host", "message", "default"] as const;

/** Settled runs in `history`: `review` is a run that ended unfinished after it may have acted. */
export const HISTORY_OUTCOMES = ["done", "failed", "dead", "review"] as const;

export function emptyQueue(): Queue {
  return {
    version: 2,
    revision: 0,
    paused: false,
    cooldowns: {},
    tasks: [],
    history: [],
    alerts: [],
    captured: [],
  };
}
