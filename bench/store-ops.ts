/**
 * The store operations the store rows time, shared by the bench process and its forked
 * gateways (store-worker.ts): an add, a claim made the way the dispatcher makes it (the check's
 * dispatch view, the core's run order, `claimTask`), and the run's settling. Each goes through
 * the store port only, so the file and the database are timed doing the same thing.
 */
import { nextDueTask } from "../src/core/order.js";
import { emptyQueue, type Task } from "../src/core/queue-model.js";
import { ackTask, addTask, claimTask, completeTask } from "../src/core/tasks.js";
import { byIds, DISPATCH_HEAD, DISPATCH_HISTORY, type Scope } from "../src/core/views.js";
import { newTaskId } from "../src/runtime/deps.js";
import { FileQueueStore } from "../src/store/file/file-store.js";
import type { QueueStore } from "../src/store/port.js";
import { PostgresQueueStore } from "../src/store/postgres/pg-store.js";

/** Where a gateway finds the queue: the one file on this machine, or one database queue. */
export type StoreSpec =
  | { kind: "file"; workspace: string; file: string }
  | { kind: "postgres"; url: string; queue: string };

export const PG_SCHEMA = "task_manager";
/** The policy's default maxAgeHours: the dispatch view looks for tasks past it. */
const MAX_AGE_HOURS = 48;
const MODEL = "google/gemini-2.5-flash";
const LOCK_WAIT_MS = 30_000;
/**
 * A paced gateway's round (add, claim, settle) starts about this many ms after the last one
 * (jittered ±50 %, so gateways do not fall into step): gateways sharing a queue at a steady
 * rate rather than each saturating it.
 */
export const PACED_ROUND_MS = 100;

/** A store of its own (its own pool, for the database), as a separate gateway would have. */
export function openSpec(spec: StoreSpec, poolSize = 2): QueueStore {
  return spec.kind === "file"
    ? new FileQueueStore({ workspace: spec.workspace, file: spec.file })
    : new PostgresQueueStore({ url: spec.url, schema: PG_SCHEMA, queue: spec.queue, poolSize });
}

/** What a heartbeat check sees (core/views.ts dispatchScope with the default policy). */
export const DISPATCH_SCOPE: Scope = {
  tasks: "dispatch",
  head: DISPATCH_HEAD,
  maxAgeHours: MAX_AGE_HOURS,
  history: DISPATCH_HISTORY,
};

const randomHex = (bytes: number): string =>
  process.getBuiltinModule("node:crypto").randomBytes(bytes).toString("hex");

/** `task add`: the duplicate check's view, then the core's addTask. */
export async function addOne(store: QueueStore, prompt: string, priority = 5): Promise<string> {
  const input = { prompt, source: "bench", priority };
  const { result } = await store.mutate(
    { tasks: "duplicates", prompt, source: "bench", key: null },
    (queue) => {
      const r = addTask(queue, input, Date.now(), newTaskId(Date.now()));
      return { queue: r.queue, result: r.task.id };
    },
    { waitMs: LOCK_WAIT_MS },
  );
  return result;
}

/** A dispatcher's claim: the best due pending task in the dispatch view, claimed under a lease. */
export async function claimNext(store: QueueStore, owner?: string): Promise<string | null> {
  const { result } = await store.mutate(
    DISPATCH_SCOPE,
    (queue) => {
      const task = nextDueTask(queue, Date.now());
      if (task === undefined) return { queue, result: null };
      const claim = { token: randomHex(12), model: MODEL, leaseSeconds: 300, owner };
      const r = claimTask(queue, task, claim, Date.now());
      return { queue: r.queue, result: r.task.id };
    },
    { waitMs: LOCK_WAIT_MS },
  );
  return result;
}

/** The run started and finished (ack, then done), so tasks in flight stay few, as in real use. */
export async function settle(store: QueueStore, id: string): Promise<void> {
  await store.mutate(
    byIds(id),
    (queue) => {
      const started = ackTask(queue, id, { runId: null, sessionKey: null }, Date.now()).queue;
      return { queue: completeTask(started, id, Date.now()).queue, result: null };
    },
    { waitMs: LOCK_WAIT_MS },
  );
}

/**
 * `count` pending tasks made by the core's addTask, 1 ms apart (so none is past the max age and
 * every check's view stays the same size), priorities 1–5 in turn.
 */
export function benchTasks(count: number, nowMs: number, tag = "seed"): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = `Resume ${tag} task ${i}: summarise the notes in memory/notes-${i}.md`;
    const id = `t_${tag}${i.toString(36).padStart(6, "0")}`;
    const input = { prompt, priority: 1 + (i % 5), source: "bench" };
    tasks.push(addTask(emptyQueue(), input, nowMs - (count - i), id).task);
  }
  return tasks;
}

/**
 * Stores `count` tasks in batches through the port (a view of no tasks plus the new ones is an
 * insert of just those): the same write path as every add, without one transaction per task.
 */
export async function seed(store: QueueStore, count: number, batch = 10_000): Promise<void> {
  const tasks = benchTasks(count, Date.now());
  for (let i = 0; i < tasks.length; i += batch) {
    const part = tasks.slice(i, i + batch);
    await store.mutate({ tasks: "none" }, (queue) => ({
      queue: { ...queue, tasks: [...queue.tasks, ...part] },
      result: null,
    }));
  }
}
