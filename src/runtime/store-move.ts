import { TaskManagerError } from "../base/errors.js";
import type { Queue } from "../core/queue-model.js";
import { EVERYTHING } from "../core/views.js";
import type { QueueStore } from "../store/port.js";
import type { MigrateReport } from "../store/postgres/migrations.js";
import type { Context } from "./context.js";
import { openStore, storeChoice } from "./store.js";

/** What a move copied, counted in the target after the copy. */
export interface MoveReport {
  status: "MOVED";
  from: { kind: string; location: string };
  to: { kind: string; location: string };
  tasks: number;
  history: number;
  holds: number;
  alerts: number;
  /** The source is left as it was: switch `store.kind` (or the env) when ready. */
  note: string;
}

/** Nothing stored at all: no task, no run history, no hold, alert, cooldown or captured run. */
function isEmpty(q: Queue): boolean {
  return (
    q.tasks.length === 0 &&
    q.history.length === 0 &&
    q.alerts.length === 0 &&
    q.captured.length === 0 &&
    Object.keys(q.holds ?? {}).length === 0 &&
    Object.keys(q.cooldowns).length === 0
  );
}

/** The queue without the fields a store keeps for itself, to compare a copy with its source. */
const content = (q: Queue): Queue => ({ ...q, revision: 0 });

/** The workspace's queue in one store or the other, whatever the policy picks now. */
async function storeOf(ctx: Context, kind: "file" | "postgres"): Promise<QueueStore> {
  const policy = { ...ctx.policy, store: { ...ctx.policy.store, kind } };
  return openStore(ctx.workspace.dir, policy, ctx.deps);
}

/**
 * `task-manager store migrate --to <kind>`: copies the queue — tasks in every state, the run
 * history, holds, cooldowns, alerts, captured runs, pause — into the other store, in one
 * transaction there, and checks the copy equals its source. A target that holds anything is
 * refused and left as it is; the source is never changed.
 */
export async function moveQueue(ctx: Context, to: "file" | "postgres"): Promise<MoveReport> {
  const source = await storeOf(ctx, to === "postgres" ? "file" : "postgres");
  const target = await storeOf(ctx, to);
  try {
    const { queue } = await source.read(EVERYTHING);
    await target.mutate(EVERYTHING, (view) => {
      if (!isEmpty(view)) {
        throw new TaskManagerError(
          "E_STORE_NOT_EMPTY",
          `The target queue ${target.location} is not empty (${view.tasks.length} tasks, ${view.history.length} runs in its history); it was left as it is and nothing was copied. Move or remove what is there first.`,
          { location: target.location, tasks: view.tasks.length },
        );
      }
      return { queue: { ...queue, revision: view.revision }, result: null };
    });
    const copied = (await target.read(EVERYTHING)).queue;
    if (
      JSON.stringify(content(copied)) !== JSON.stringify(content(queue)) &&
      !sameQueue(copied, queue)
    ) {
      throw new TaskManagerError(
        "E_INTERNAL",
        `The copy in ${target.location} differs from its source; keep using ${source.location}.`,
      );
    }
    return {
      status: "MOVED",
      from: { kind: source.kind, location: source.location },
      to: { kind: target.kind, location: target.location },
      tasks: copied.tasks.length,
      history: copied.history.length,
      holds: Object.keys(copied.holds ?? {}).length,
      alerts: copied.alerts.length,
      note: `${source.location} was left as it was. Set store.kind to "${to}" in .taskmanagerrc${to === "postgres" ? " (or TASK_MANAGER_DATABASE_URL)" : ""} to use the copy.`,
    };
  } finally {
    if (source !== ctx.store) await source.close();
    if (target !== ctx.store) await target.close();
  }
}

/** Deep equality regardless of key order (PostgreSQL's jsonb keeps its own order of keys). */
function sameQueue(a: Queue, b: Queue): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canon(content(a))) === JSON.stringify(canon(content(b)));
}

/** `task-manager db migrate`: brings the database schema up to this version. */
export async function migrateDatabase(
  ctx: Context,
): Promise<MigrateReport & { status: "OK"; location: string }> {
  const choice = await storeChoice(
    { ...ctx.policy, store: { ...ctx.policy.store, kind: "postgres" } },
    ctx.deps.env,
  );
  if (choice.kind !== "postgres") throw new Error("unreachable");
  const { migrate } = await import("../store/postgres/migrations.js");
  const { describeStore, openPool } = await import("../store/postgres/connection.js");
  const pool = await openPool(choice.settings);
  try {
    return {
      status: "OK",
      location: describeStore(choice.settings),
      ...(await migrate(pool, choice.settings)),
    };
  } finally {
    await pool.end();
  }
}
