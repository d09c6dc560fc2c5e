import { summarizeHistory, type HistorySummary } from "../core/history.js";
import { countByState, sortedTasks } from "../core/order.js";
import type { Queue, Task } from "../core/queue-schema.js";
import * as tasks from "../core/tasks.js";
import type { Context } from "./context.js";

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
  };
}

async function change<T>(ctx: Context, fn: (queue: Queue) => { queue: Queue; result: T }): Promise<T> {
  return (await ctx.store.mutate(fn)).result;
}

export async function addTask(ctx: Context, input: tasks.NewTask): Promise<{ status: "ADDED" | "DUPLICATE"; task: Task }> {
  return change(ctx, (queue) => {
    const r = tasks.addTask(queue, input, ctx.deps.now(), ctx.deps.newId());
    return { queue: r.queue, result: { status: r.kind === "added" ? "ADDED" : "DUPLICATE", task: r.task } };
  });
}

export async function listTasks(ctx: Context, all: boolean): Promise<Task[]> {
  const { queue } = await ctx.store.read();
  return sortedTasks(all ? queue.tasks : queue.tasks.filter((t) => tasks.ACTIVE_STATES.includes(t.state)));
}

export async function showTask(ctx: Context, id: string): Promise<Task> {
  const { queue } = await ctx.store.read();
  return tasks.getTask(queue, id);
}

export const ackTask = (ctx: Context, id: string, ack: tasks.Ack): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.ackTask(queue, id, ack, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const completeTask = (ctx: Context, id: string): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.completeTask(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const failTask = (ctx: Context, id: string, message: string): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.failTask(queue, id, { message }, { policy: ctx.policy, nowMs: ctx.deps.now(), random: ctx.deps.random });
    return { queue: r.queue, result: r.task };
  });

export const removeTask = (ctx: Context, id: string): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.removeTask(queue, id);
    return { queue: r.queue, result: r.task };
  });

export const retryDead = (ctx: Context, id: string): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.retryDeadTask(queue, id, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const setPriority = (ctx: Context, id: string, priority: number): Promise<Task> =>
  change(ctx, (queue) => {
    const r = tasks.setPriority(queue, id, priority, ctx.deps.now());
    return { queue: r.queue, result: r.task };
  });

export const purgeDead = (ctx: Context): Promise<number> =>
  change(ctx, (queue) => {
    const r = tasks.purgeDeadTasks(queue);
    return { queue: r.removed > 0 ? r.queue : queue, result: r.removed };
  });

export const setPaused = (ctx: Context, paused: boolean): Promise<boolean> =>
  change(ctx, (queue) => ({ queue: queue.paused === paused ? queue : { ...queue, paused }, result: paused }));

export interface Stats {
  counts: Record<Task["state"], number>;
  total: number;
  history: HistorySummary;
  cooldowns: Record<string, string>;
  paused: boolean;
}

/** Model cooldowns still in force at `nowMs` (expired entries stay in the file until rewritten). */
export function activeCooldowns(queue: Queue, nowMs: number): Record<string, string> {
  return Object.fromEntries(Object.entries(queue.cooldowns).filter(([, until]) => Date.parse(until) > nowMs));
}

/** Counts per state and success figures from the bounded run history. */
export async function stats(ctx: Context): Promise<Stats> {
  const { queue } = await ctx.store.read();
  return {
    counts: countByState(queue),
    total: queue.tasks.length,
    history: summarizeHistory(queue.history),
    cooldowns: activeCooldowns(queue, ctx.deps.now()),
    paused: queue.paused,
  };
}
