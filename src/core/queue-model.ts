import type { Queue } from "./queue-schema.js";

/**
 * The queue format's constants and its empty value, without zod: modules on the heartbeat's hot
 * path import these (and only types from queue-schema.ts), so an idle check never loads zod.
 */
export const TASK_STATES = ["pending", "claimed", "running", "done", "dead"] as const;

/**
 * Kinds of failure; `quota` is a rate limit or quota error (cooldown, not the task's fault);
 * `rejected`: the host refused to start the run (no model call), which burns no attempt.
 */
export const FAILURE_KINDS = ["error", "quota", "timeout", "lease_expired", "manual", "rejected"] as const;

export const ALERT_TYPES = ["dead", "model_mismatch"] as const;

export function emptyQueue(): Queue {
  return { version: 2, revision: 0, paused: false, cooldowns: {}, tasks: [], history: [], alerts: [], captured: [] };
}
