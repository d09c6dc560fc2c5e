import type { Queue, Task } from "./queue-model.js";
import { addTask, type NewTask } from "./tasks.js";

/** How many captured run ids are remembered for dedupe. */
export const CAPTURED_LIMIT = 500;

/**
 * Queues a failed run nobody queued, once per run: `captureId` names the run (session key plus
 * a marker of where its transcript ended), and a run already captured is never captured again,
 * even after its task is done and gone.
 */
export function captureFailedRun(
  queue: Queue,
  captureId: string,
  input: NewTask,
  nowMs: number,
  id: string,
): { queue: Queue; task: Task | null } {
  if (queue.captured.includes(captureId)) return { queue, task: null };
  const added = addTask(queue, input, nowMs, id);
  const captured = [...added.queue.captured, captureId].slice(-CAPTURED_LIMIT);
  return { queue: { ...added.queue, captured }, task: added.kind === "added" ? added.task : null };
}
