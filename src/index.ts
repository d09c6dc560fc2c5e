/**
 * task-manager as a library: the queue a script can drive without spawning the CLI. Every
 * function finds the workspace, its `.taskmanagerrc` and the host the way the CLI does (pass
 * `workspace` to choose), and goes through the same store and core as the CLI, the page and the
 * plugin. `check` never throws (its answer is a status object, `ERROR` included); the others
 * throw a `TaskManagerError` with a stable `code`.
 */
import type { NewTask } from "./core/tasks.js";
import type { Task } from "./core/queue-model.js";
import type { StatusObject } from "./core/status.js";
import { createContext, type Context } from "./runtime/context.js";
import { toErrorStatus } from "./runtime/error-status.js";
import * as ops from "./runtime/operations.js";
import { runCheck } from "./runtime/run-check.js";

export { ERROR_CODES, type ErrorCode, TaskManagerError } from "./base/errors.js";
export type { Alert, HistoryEntry, Task, TaskReason, TaskState } from "./core/queue-model.js";
export type { NewTask } from "./core/tasks.js";
export type {
  DeferredStatus,
  ErrorStatus,
  HostInfo,
  NoTasksStatus,
  ReadyStatus,
  SettledInfo,
  StatusObject,
} from "./core/status.js";
export { DEFER_REASONS, type DeferReason } from "./core/decide.js";
export type { Policy, PolicyInput } from "./policy/schema.js";
export type { Stats } from "./runtime/operations.js";

/** Where to work: the workspace folder (default: found as INTEGRATION.md, "Finding the workspace" says). */
export interface QueueOptions {
  workspace?: string;
}

const open = (opts: QueueOptions = {}): Promise<Context> =>
  createContext(opts.workspace ? { workspace: opts.workspace } : {});

/**
 * One heartbeat check, exactly as `task-manager check`: settles finished runs, and either claims
 * the next task under a lease (`READY`: spawn it, then `ack`), or says why not (`DEFERRED`),
 * or that nothing waits (`NO_TASKS`).
 */
export async function check(opts?: QueueOptions): Promise<StatusObject> {
  try {
    return await runCheck(await open(opts));
  } catch (err) {
    return toErrorStatus(err);
  }
}

/** Queues a task; an open task with the same key (or prompt and source) makes it a `DUPLICATE`. */
export async function add(
  task: NewTask,
  opts?: QueueOptions,
): Promise<{ status: "ADDED" | "DUPLICATE"; task: Task }> {
  return ops.addTask(await open(opts), { source: "library", ...task });
}

/** Waiting, running and under-review tasks in run order; `all` adds done, dead and expired. */
export async function list(opts?: QueueOptions & { all?: boolean }): Promise<Task[]> {
  return ops.listTasks(await open(opts), opts?.all === true);
}

/** One task, every field. */
export async function show(id: string, opts?: QueueOptions): Promise<Task> {
  return ops.showTask(await open(opts), id);
}

/** Records the run a `READY` answer was spawned as (claimed → running). */
export async function ack(
  id: string,
  run: { runId?: string | null; sessionKey?: string | null; model?: string | null },
  opts?: QueueOptions,
): Promise<Task> {
  return ops.ackTask(await open(opts), id, {
    runId: run.runId ?? null,
    sessionKey: run.sessionKey ?? null,
    model: run.model ?? null,
  });
}

/** Marks a task done. */
export async function done(id: string, opts?: QueueOptions): Promise<Task> {
  return ops.completeTask(await open(opts), id);
}

/** Records a failed run: retried with backoff, dead once out of attempts. */
export async function fail(id: string, error: string, opts?: QueueOptions): Promise<Task> {
  return ops.failTask(await open(opts), id, error);
}

/** Deletes a task. */
export async function remove(id: string, opts?: QueueOptions): Promise<Task> {
  return ops.removeTask(await open(opts), id);
}

/** Counts per state, success figures, spend per model, quota holds. */
export async function stats(opts?: QueueOptions): Promise<ops.Stats> {
  return ops.stats(await open(opts));
}
