import { TaskManagerError } from "../base/errors.js";
import type { HistoryEntry, Queue, Task, TaskState } from "../core/queue-model.js";
import { TASK_STATES } from "../core/queue-model.js";
import { HISTORY_LIMIT } from "../core/tasks.js";
import type { StateCounts } from "./port.js";

/** Queue-wide state: everything of a queue but its tasks and its history. */
export type QueueMeta = Omit<Queue, "tasks" | "history" | "revision">;

/** What a transform did to the view it was given, as a store writes it back. */
export interface QueueChange {
  /** Tasks added or changed, in the order the transform left them. */
  upserts: Task[];
  /** Ids of tasks of the view that the transform removed. */
  removed: string[];
  /** History entries the transform appended. */
  appended: HistoryEntry[];
  /** The new queue-wide state, or null when it did not change. */
  meta: QueueMeta | null;
}

export function metaOf(queue: Queue): QueueMeta {
  const { tasks: _tasks, history: _history, revision: _revision, ...meta } = queue;
  return meta;
}

/** Whether two queues differ in any queue-wide field (by identity: transforms copy what they change). */
function metaChanged(before: Queue, after: Queue): boolean {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (key === "tasks" || key === "history" || key === "revision") continue;
    if (
      (before as unknown as Record<string, unknown>)[key] !==
      (after as unknown as Record<string, unknown>)[key]
    )
      return true;
  }
  return false;
}

/**
 * The change from `view` to `after`. Transforms copy what they change and keep the rest, so
 * identity tells changed tasks and new history entries apart from untouched ones.
 */
export function diffQueue(view: Queue, after: Queue): QueueChange {
  const before = new Map(view.tasks.map((t) => [t.id, t]));
  const upserts = after.tasks.filter((t) => before.get(t.id) !== t);
  const kept = new Set(after.tasks.map((t) => t.id));
  const removed = view.tasks.filter((t) => !kept.has(t.id)).map((t) => t.id);
  const old = new Set(view.history);
  const appended = after.history.filter((e) => !old.has(e));
  return { upserts, removed, appended, meta: metaChanged(view, after) ? metaOf(after) : null };
}

/**
 * Applies a change to the whole queue (the file store). Tasks keep their place; new ones go at
 * the end; history keeps its last HISTORY_LIMIT entries. A new task whose id is already taken
 * by a task the view did not show is refused: it would silently replace that task.
 */
export function applyChange(full: Queue, view: Queue, change: QueueChange): Queue {
  const inView = new Set(view.tasks.map((t) => t.id));
  const updates = new Map(change.upserts.map((t) => [t.id, t]));
  const removed = new Set(change.removed);
  const tasks: Task[] = [];
  for (const t of full.tasks) {
    if (removed.has(t.id)) continue;
    const next = updates.get(t.id);
    if (next !== undefined && !inView.has(t.id)) {
      throw new TaskManagerError(
        "E_INTERNAL",
        `Task id ${t.id} is already taken; the change was not written.`,
        { id: t.id },
      );
    }
    tasks.push(next ?? t);
    updates.delete(t.id);
  }
  tasks.push(...updates.values());
  const history =
    change.appended.length === 0
      ? full.history
      : [...full.history, ...change.appended].slice(-HISTORY_LIMIT);
  const base: Queue = change.meta
    ? { ...change.meta, revision: full.revision, tasks, history }
    : full;
  return { ...base, tasks, history };
}

/** Tasks per state: every known state (zeros too), and any other state found. */
export function countStates(tasks: readonly Task[]): StateCounts {
  const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}
