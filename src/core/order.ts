import type { Queue, Task } from "./queue-model.js";

/**
 * Run order: lower `priority` number first (1 before 5, like P1 before P5), then oldest
 * `added_at`, then id so the order is total and stable.
 */
export function compareTasks(a: Task, b: Task): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.added_at !== b.added_at) return a.added_at < b.added_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isDue(task: Task, nowMs: number): boolean {
  return task.run_at === null || Date.parse(task.run_at) <= nowMs;
}

/** The best pending task that may run now, if any. One pass, no sort: O(n). */
export function nextDueTask(queue: Queue, nowMs: number): Task | undefined {
  let best: Task | undefined;
  for (const task of queue.tasks) {
    if (task.state !== "pending" || !isDue(task, nowMs)) continue;
    if (best === undefined || compareTasks(task, best) < 0) best = task;
  }
  return best;
}

export function countByState(queue: Queue): Record<Task["state"], number> {
  const counts = { pending: 0, claimed: 0, running: 0, done: 0, dead: 0, expired: 0, review: 0 };
  for (const task of queue.tasks) counts[task.state] += 1;
  return counts;
}

/** Tasks currently holding a slot: claimed (about to be spawned) or running. */
export function inFlightTasks(queue: Queue): Task[] {
  return queue.tasks.filter((t) => t.state === "claimed" || t.state === "running");
}

export function sortedTasks(tasks: readonly Task[]): Task[] {
  return [...tasks].sort(compareTasks);
}
