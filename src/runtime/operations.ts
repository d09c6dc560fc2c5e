import * as expiry from "../core/expiry.js";
import { sortedTasks } from "../core/order.js";
import type { Queue, Task } from "../core/queue-model.js";
import * as review from "../core/review.js";
import { queueStats, type Stats } from "../core/stats.js";
import * as tasks from "../core/tasks.js";
import { HISTORY_LIMIT } from "../core/tasks.js";
import { normalizePrompt } from "../core/prompt.js";
import { byIds, inStates, NO_TASKS, type Scope } from "../core/views.js";
import type { Context } from "./context.js";
import { localZone } from "./deps.js";
import { spendEnvFor } from "./spend-env.js";

/** The fields `list --json` shows for each task. */
export function taskView(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    prompt: t.prompt,
    state: t.state,
    priority: t.priority,
    attempts: t.attempts,
    failures: t.failures,
    source: t.source,
    key: t.key,
    added_at: t.added_at,
    run_at: t.run_at,
    run: t.run,
    last_error: t.last_error,
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(t.idempotent !== undefined ? { idempotent: t.idempotent } : {}),
    ...(t.max_age_hours !== undefined ? { max_age_hours: t.max_age_hours } : {}),
    ...(t.max_cost_usd !== undefined ? { max_cost_usd: t.max_cost_usd } : {}),
  };
}

async function change<T>(
  ctx: Context,
  scope: Scope,
  fn: (queue: Queue) => { queue: Queue; result: T },
): Promise<T> {
  return (await ctx.store.mutate(scope, fn)).result;
}

/** One task's change: the transform sees that task and the queue-wide state. */
const changeTask = <T>(
  ctx: Context,
  id: string,
  fn: (queue: Queue) => { queue: Queue; result: T },
): Promise<T> => change(ctx, byIds(id), fn);

export async function addTask(
  ctx: Context,
  input: tasks.NewTask,
): Promise<{ status: "ADDED" | "DUPLICATE"; task: Task }> {
  // The scope needs the prompt as it will be stored: cleaned the same way addTask cleans it.
  const prompt = normalizePrompt(input.prompt);
  const scope: Scope = {
    tasks: "duplicates",
    prompt,
    source: input.source ?? "cli",
    key: input.key ?? null,
  };
  return change(ctx, scope, (queue) => {
    const r = tasks.addTask(queue, input, ctx.deps.now(), ctx.deps.newId());
    return {
      queue: r.queue,
      result: { status: r.kind === "added" ? "ADDED" : "DUPLICATE", task: r.task },
    };
  });
}

export async function listTasks(ctx: Context, all: boolean): Promise<Task[]> {
  const { queue } = await ctx.store.read(all ? { tasks: "all" } : inStates(...tasks.OPEN_STATES));
  return sortedTasks(queue.tasks);
}

export async function tasksInState(ctx: Context, state: Task["state"]): Promise<Task[]> {
  const { queue } = await ctx.store.read(inStates(state));
  return sortedTasks(queue.tasks);
}

export async function showTask(ctx: Context, id: string): Promise<Task> {
  const { queue } = await ctx.store.read(byIds(id));
  return tasks.getTask(queue, id);
}

export const ackTask = (ctx: Context, id: string, ack: tasks.Ack): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.ackTask(queue, id, ack, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const completeTask = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.completeTask(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const failTask = (ctx: Context, id: string, message: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.failTask(
      queue,
      id,
      { message },
      { policy: ctx.policy, nowMs: ctx.deps.now(), random: ctx.deps.random, zone: localZone },
    );
    return { queue: r.queue, result: r.task };
  });

export const removeTask = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.removeTask(queue, id);
    return { queue: r.queue, result: r.task };
  });

export const retryDead = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.retryDeadTask(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const setPriority = (ctx: Context, id: string, priority: number): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = tasks.setPriority(queue, id, priority, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const purgeDead = (ctx: Context): Promise<number> =>
  change(ctx, inStates("dead"), (queue) => {
    const r = tasks.purgeDeadTasks(queue);
    return { queue: r.removed > 0 ? r.queue : queue, result: r.removed };
  });

export const setPaused = (ctx: Context, paused: boolean): Promise<boolean> =>
  change(ctx, NO_TASKS, (queue) => ({
    queue: queue.paused === paused ? queue : { ...queue, paused },
    result: paused,
  }));

/** Model cooldowns still in force at `nowMs` (expired entries stay in the file until rewritten). */
export function activeCooldowns(queue: Queue, nowMs: number): Record<string, string> {
  return Object.fromEntries(
    Object.entries(queue.cooldowns).filter(([, until]) => Date.parse(until) > nowMs),
  );
}

/** One retry for any task a person may send back (dead, under review, expired), as its own CLI command does. */
export const retryTask = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const now = ctx.deps.now();
    const state = tasks.getTask(queue, id).state;
    const r =
      state === "review"
        ? review.retryReviewed(queue, id, now)
        : state === "expired"
          ? expiry.reviveExpired(queue, id, now)
          : tasks.retryDeadTask(queue, id, now);
    return { queue: r.queue, result: r.task };
  });

export const retryReviewed = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = review.retryReviewed(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const dropReviewed = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = review.dropReviewed(queue, id);
    return { queue: r.queue, result: r.task };
  });

export const reviveExpired = (ctx: Context, id: string): Promise<Task> =>
  changeTask(ctx, id, (queue) => {
    const r = expiry.reviveExpired(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const purgeExpired = (ctx: Context): Promise<number> =>
  change(ctx, inStates("expired"), (queue) => {
    const r = expiry.purgeExpired(queue);
    return { queue: r.removed > 0 ? r.queue : queue, result: r.removed };
  });

export type { Stats };

/** Counts, success figures, spend (priced from the host's catalog, then the policy's), holds, budgets, pacing. */
export async function stats(ctx: Context): Promise<Stats> {
  const { queue, counts } = await ctx.store.read({ tasks: "none", history: HISTORY_LIMIT });
  const env = spendEnvFor(ctx);
  return queueStats(queue, counts, env.catalog, ctx.deps.now(), { policy: ctx.policy, env });
}
