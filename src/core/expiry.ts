import type { Policy } from "../policy/schema.js";
import type { Queue, Task } from "./queue-model.js";
import {
  backInRotation,
  getTask,
  replaceTask,
  requireState,
  taskAlert,
  withAlert,
} from "./tasks.js";
import { isoTime } from "./time.js";

/**
 * Never resurrect stale work. A pending task older than its maximum age is not started: it
 * becomes `expired` (with an alert) until a person revives it. A restart once brought back a
 * 16-day-old sub-agent that messaged a real person 16 days late (openclaw #69778).
 */

const HOUR_MS = 3_600_000;

/** Hours a task may wait: its own `--max-age`, else the policy's; null: no limit. */
export function maxAgeHours(task: Task, policy: Policy): number | null {
  return task.max_age_hours === undefined ? policy.maxAgeHours : task.max_age_hours;
}

/**
 * Age counts from `age_from` when set — when a legacy file was migrated (its entries were
 * adopted then; their `added_at` can be months old) or when a person revived the task — else
 * from `added_at`.
 */
export function ageFromMs(task: Task): number {
  return Date.parse(task.age_from ?? task.added_at);
}

function hours(ms: number): string {
  const h = ms / HOUR_MS;
  return h >= 48 ? `${Math.round(h / 24)} days` : `${Math.round(h * 10) / 10} h`;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, as isoTime writes: such strings sort as their times do. */
const isCanonical = (iso: string): boolean =>
  iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(10) === 84; /* T */

/**
 * Is `task` older than `limit` hours? Runs for every pending task on every heartbeat, so the
 * common case compares strings against a cutoff written once per limit (no Date.parse per task).
 */
function isStale(task: Task, limit: number, nowMs: number, cutoffs: Map<number, string>): boolean {
  const from = task.age_from ?? task.added_at;
  let cutoff = cutoffs.get(limit);
  if (cutoff === undefined) {
    cutoff = isoTime(nowMs - limit * HOUR_MS);
    cutoffs.set(limit, cutoff);
  }
  if (isCanonical(from) && isCanonical(cutoff)) return from < cutoff;
  return nowMs - Date.parse(from) > limit * HOUR_MS;
}

/** pending → expired for every task past its maximum age, each with an alert. */
export function expireStaleTasks(
  queue: Queue,
  policy: Policy,
  nowMs: number,
): { queue: Queue; expired: Task[] } {
  let out = queue;
  const expired: Task[] = [];
  const cutoffs = new Map<number, string>();
  for (const task of queue.tasks) {
    if (task.state !== "pending") continue;
    const limit = maxAgeHours(task, policy);
    if (limit === null || !isStale(task, limit, nowMs, cutoffs)) continue;
    const ageMs = nowMs - ageFromMs(task);
    const next: Task = {
      ...task,
      state: "expired",
      reason: "max_age",
      run_at: null,
      finished_at: isoTime(nowMs),
      updated_at: isoTime(nowMs),
    };
    out = withAlert(
      replaceTask(out, next),
      taskAlert(
        "expired",
        next,
        `not started: waiting ${hours(ageMs)}, over its ${limit} h maximum age`,
        nowMs,
        "max_age",
      ),
    );
    expired.push(next);
  }
  return { queue: out, expired };
}

/** expired → pending: a person still wants it; its age counts from now. */
export function reviveExpired(
  queue: Queue,
  id: string,
  nowMs: number,
): { queue: Queue; task: Task } {
  const task = getTask(queue, id);
  requireState(task, ["expired"], "revive");
  const next: Task = {
    ...backInRotation(task),
    state: "pending",
    run_at: null,
    finished_at: null,
    age_from: isoTime(nowMs),
    updated_at: isoTime(nowMs),
  };
  return { queue: replaceTask(queue, next), task: next };
}

export function purgeExpired(queue: Queue): { queue: Queue; removed: number } {
  const tasks = queue.tasks.filter((t) => t.state !== "expired");
  return { queue: { ...queue, tasks }, removed: queue.tasks.length - tasks.length };
}
