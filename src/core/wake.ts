import type { Policy } from "../policy/schema.js";
import { ageFromMs, maxAgeHours } from "./expiry.js";
import type { Queue } from "./queue-model.js";

/**
 * When the dispatcher must look at a queue again. The heartbeat is the safety net, not the
 * clock: everything in a queue that becomes startable or needs settling at a known moment is
 * found here, so the plugin keeps one timer for the earliest of them. Pure: time comes in as
 * `nowMs`, and only moments strictly after it are returned (what is due already is the tick's
 * business, or waits on something a recheck covers).
 */

/** What a wake is for; a page or a log can show it as is. */
export const WAKE_CAUSES = [
  "retry",
  "hold_end",
  "model_rest",
  "lease_expiry",
  "run_timeout",
  "max_age",
  "recheck",
] as const;
export type WakeCause = (typeof WAKE_CAUSES)[number];

export interface Wake {
  atMs: number;
  cause: WakeCause;
  /** The task or hold key behind it, when there is one. */
  subject?: string;
}

const HOUR_MS = 3_600_000;

/** The earlier of two wakes (either may be null); the first wins a tie. */
export function earlierWake(a: Wake | null, b: Wake | null): Wake | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.atMs < a.atMs ? b : a;
}

/**
 * The earliest moment after `nowMs` at which a check of this queue would act differently:
 * a backoff or quota retry time passes (`run_at`), a quota hold or a model's rest ends, a claim's
 * lease runs out, a run passes `taskTimeoutMinutes`, a pending task passes its maximum age.
 * A paused queue starts nothing, so only what is settled or expired while paused counts then.
 * Hold and rest ends count only while a task is pending: nothing else waits for them.
 */
export function nextWake(queue: Queue, policy: Policy, nowMs: number): Wake | null {
  let best: Wake | null = null;
  const consider = (atMs: number, cause: WakeCause, subject?: string): void => {
    if (!(atMs > nowMs) || !Number.isFinite(atMs)) return;
    if (best === null || atMs < best.atMs)
      best = subject === undefined ? { atMs, cause } : { atMs, cause, subject };
  };
  const timeoutMs = policy.taskTimeoutMinutes * 60_000;
  let pending = false;
  for (const task of queue.tasks) {
    switch (task.state) {
      case "pending": {
        pending = true;
        if (!queue.paused && task.run_at !== null)
          consider(Date.parse(task.run_at), "retry", task.id);
        const limit = maxAgeHours(task, policy);
        // Stale once strictly older than the limit (expiry.ts): one millisecond past it.
        if (limit !== null) consider(ageFromMs(task) + limit * HOUR_MS + 1, "max_age", task.id);
        break;
      }
      case "claimed":
        if (task.lease) consider(Date.parse(task.lease.expires_at), "lease_expiry", task.id);
        break;
      case "running":
        // A timeout is judged strictly after taskTimeoutMinutes (settle.ts).
        if (task.run)
          consider(Date.parse(task.run.started_at) + timeoutMs + 1, "run_timeout", task.id);
        break;
      default:
        break;
    }
  }
  if (pending && !queue.paused) {
    for (const [key, hold] of Object.entries(queue.holds ?? {}))
      consider(Date.parse(hold.until), "hold_end", key);
    for (const [model, until] of Object.entries(queue.cooldowns))
      consider(Date.parse(until), "model_rest", model);
  }
  return best;
}

/** Deferral reasons whose end nobody announces exactly: looked at again at least this often. */
export const TRANSIENT_REASONS: ReadonlySet<string> = new Set([
  "concurrency_limit",
  "main_busy",
  "system_load",
  "memory_pressure",
  "locked",
]);

/** Bounds on a deferral's recheck: never sooner (no spinning), never later for transient reasons. */
export const RECHECK_BOUNDS = { minMs: 1000, transientMaxMs: 60_000 } as const;

/**
 * When to look again after a check answered DEFERRED: at its `retry_at`, no sooner than a second
 * from now; for transient reasons (slots, the main session, load, memory, the lock) no later
 * than a minute from now either — a run of someone else's ending or the load dropping sends no
 * signal. A reason without a `retry_at` (paused, host setup) waits for a change to the queue or
 * the config. Reasons this version does not know are taken at their word.
 */
export function deferralWake(
  deferral: { reason: string; retryAtMs: number | null },
  nowMs: number,
): Wake | null {
  const transient = TRANSIENT_REASONS.has(deferral.reason);
  if (deferral.retryAtMs === null || !Number.isFinite(deferral.retryAtMs))
    return transient
      ? { atMs: nowMs + RECHECK_BOUNDS.transientMaxMs, cause: "recheck", subject: deferral.reason }
      : null;
  let atMs = Math.max(deferral.retryAtMs, nowMs + RECHECK_BOUNDS.minMs);
  if (transient) atMs = Math.min(atMs, nowMs + RECHECK_BOUNDS.transientMaxMs);
  return { atMs, cause: "recheck", subject: deferral.reason };
}
