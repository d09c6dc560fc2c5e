import type { Policy } from "../policy/schema.js";
import { compareTasks, isDue } from "./order.js";
import type { Queue, Task, TaskState } from "./queue-model.js";
import { HISTORY_LIMIT } from "./tasks.js";

/**
 * Views: which tasks an operation needs to see. A store hands the core the queue-wide state
 * (holds, cooldowns, pause, alerts…) with only these tasks, so an operation's cost follows what
 * it touches, not what is stored. `selectView` is the rule, run in memory by the file store;
 * the PostgreSQL store selects the same rows with indexed queries (store/postgres/view-sql.ts),
 * and the store contract tests hold the two together.
 */

/** States of tasks in flight: they hold a slot and must be settled. */
export const IN_FLIGHT_STATES: readonly TaskState[] = ["claimed", "running"];
/** States an added task is a duplicate of (see tasks.ts findDuplicate). */
export const DUPLICATE_STATES: readonly TaskState[] = ["pending", "claimed", "running", "review"];

/**
 * The tasks an operation sees. `dispatch` is what a check needs: every claimed and running
 * task, the first `head` due pending tasks in run order, the pending task due soonest after
 * now, the pending tasks past their maximum age (`maxAgeHours`: the policy's), and any task
 * that is a hold's probe. `page` adds the first `perState` tasks of each state, in the page's
 * order.
 */
export type TaskScope =
  | { tasks: "all" }
  | { tasks: "none" }
  | { tasks: "ids"; ids: readonly string[] }
  | { tasks: "states"; states: readonly TaskState[] }
  | { tasks: "duplicates"; prompt: string; source: string; key: string | null }
  | { tasks: "dispatch"; head: number; maxAgeHours: number | null }
  | { tasks: "page"; perState: number; head: number; maxAgeHours: number | null };

export type Scope = TaskScope & {
  /** The most recent history entries to include (older ones stay stored); default none. */
  history?: number;
};

const HOUR_MS = 3_600_000;

/** Past its maximum age: its own `max_age_hours` (null: none), else the policy's. */
export function pastMaxAge(task: Task, policyMaxAgeHours: number | null, nowMs: number): boolean {
  const limit = task.max_age_hours === undefined ? policyMaxAgeHours : task.max_age_hours;
  return limit !== null && nowMs - Date.parse(task.age_from ?? task.added_at) > limit * HOUR_MS;
}

/** When a task left rotation (or last changed): finished work sorts by it, most recent first. */
export const finishedAt = (t: Task): string => t.finished_at ?? t.updated_at;

/** The page's order for tasks out of rotation: most recent first, then run order. */
export function compareFinished(a: Task, b: Task): number {
  const at = finishedAt(a);
  const bt = finishedAt(b);
  return at < bt ? 1 : at > bt ? -1 : compareTasks(a, b);
}

/** The ids of tasks a hold names as its probe. */
export function probeIds(queue: Queue): Set<string> {
  const ids = new Set<string>();
  for (const key in queue.holds ?? {}) {
    const probe = queue.holds![key]!.probe;
    if (probe !== null) ids.add(probe.task_id);
  }
  return ids;
}

/** The `count` smallest of `tasks` by `compare`, in order. */
function first<T>(tasks: T[], count: number, compare: (a: T, b: T) => number): T[] {
  return tasks.sort(compare).slice(0, Math.max(0, count));
}

function dispatchIds(
  queue: Queue,
  head: number,
  maxAgeHours: number | null,
  nowMs: number,
): Set<string> {
  const ids = probeIds(queue);
  const due: Task[] = [];
  let soonest: Task | null = null;
  for (const t of queue.tasks) {
    if (IN_FLIGHT_STATES.includes(t.state)) ids.add(t.id);
    if (t.state !== "pending") continue;
    if (pastMaxAge(t, maxAgeHours, nowMs)) ids.add(t.id);
    if (isDue(t, nowMs)) due.push(t);
    else if (soonest === null || laterThan(soonest, t)) soonest = t;
  }
  for (const t of first(due, head, compareTasks)) ids.add(t.id);
  if (soonest !== null) ids.add(soonest.id);
  return ids;
}

/** Whether `b` is due before `a` (both waiting for their run_at). */
const laterThan = (a: Task, b: Task): boolean =>
  a.run_at! > b.run_at! || (a.run_at === b.run_at && compareTasks(b, a) < 0);

function pageIds(queue: Queue, perState: number, nowMs: number): Set<string> {
  const byState = new Map<TaskState, Task[]>();
  const waiting: Task[] = [];
  for (const t of queue.tasks) {
    if (t.state === "pending" && !isDue(t, nowMs)) waiting.push(t);
    else (byState.get(t.state) ?? byState.set(t.state, []).get(t.state)!).push(t);
  }
  const ids = new Set<string>();
  for (const [state, tasks] of byState) {
    const order =
      state === "pending" || IN_FLIGHT_STATES.includes(state) ? compareTasks : compareFinished;
    for (const t of first(tasks, perState, order)) ids.add(t.id);
  }
  const byRunAt = (a: Task, b: Task): number => (laterThan(a, b) ? 1 : laterThan(b, a) ? -1 : 0);
  for (const t of first(waiting, perState, byRunAt)) ids.add(t.id);
  return ids;
}

function selectedIds(queue: Queue, scope: TaskScope, nowMs: number): Set<string> | null {
  switch (scope.tasks) {
    case "all":
      return null;
    case "none":
      return new Set();
    case "ids":
      return new Set(scope.ids);
    case "states":
      return new Set(queue.tasks.filter((t) => scope.states.includes(t.state)).map((t) => t.id));
    case "duplicates":
      return new Set(
        queue.tasks
          .filter((t) => DUPLICATE_STATES.includes(t.state))
          .filter((t) =>
            scope.key !== null
              ? t.key === scope.key
              : t.prompt === scope.prompt && t.source === scope.source,
          )
          .map((t) => t.id),
      );
    case "dispatch":
      return dispatchIds(queue, scope.head, scope.maxAgeHours, nowMs);
    case "page": {
      const ids = dispatchIds(queue, scope.head, scope.maxAgeHours, nowMs);
      for (const id of pageIds(queue, scope.perState, nowMs)) ids.add(id);
      return ids;
    }
  }
}

/**
 * The queue as `scope` sees it: every queue-wide field as it is, the selected tasks in stored
 * order (the same objects, so a store can tell what a transform changed), the last
 * `scope.history` history entries.
 */
export function selectView(queue: Queue, scope: Scope, nowMs: number): Queue {
  const ids = selectedIds(queue, scope, nowMs);
  const tasks = ids === null ? queue.tasks : queue.tasks.filter((t) => ids.has(t.id));
  const keep = scope.history ?? 0;
  const history = keep <= 0 ? [] : queue.history.slice(-keep);
  return { ...queue, tasks, history };
}

/** Due pending tasks a check looks at, in run order: the decision takes the first that may run. */
export const DISPATCH_HEAD = 8;
/** Recent runs a check sees (what a decision may learn from them, e.g. a model's recent cost). */
export const DISPATCH_HISTORY = 50;

/** What a heartbeat check sees under `policy`. */
export function dispatchScope(policy: Policy): Scope {
  return {
    tasks: "dispatch",
    head: DISPATCH_HEAD,
    maxAgeHours: policy.maxAgeHours,
    history: DISPATCH_HISTORY,
  };
}

/** These tasks only. */
export const byIds = (...ids: string[]): Scope => ({ tasks: "ids", ids });

/** Tasks in these states. */
export const inStates = (...states: TaskState[]): Scope => ({ tasks: "states", states });

/** No task: the queue-wide state and the counts. */
export const NO_TASKS: Scope = { tasks: "none" };

/** Every task and the whole run history (stats, lists, moving a queue between stores). */
export const EVERYTHING: Scope = { tasks: "all", history: HISTORY_LIMIT };
