import { existsSync } from "node:fs";
import { isTaskManagerError } from "../../../dist/base/errors.js";
import { createContext, type Context } from "../../../dist/runtime/context.js";
import * as ops from "../../../dist/runtime/operations.js";
import { runCheck } from "../../../dist/runtime/run-check.js";
import { EVERYTHING } from "../../../dist/core/views.js";
import { appendLine } from "./fake-gateway.ts";

/**
 * One worker of the PostgreSQL hammer: the file hammer's mix (add, a check that claims, ack,
 * remove; the last 5% adds only) on a queue several hosts share. A change that fails because
 * the database went away (E_STORE_UNAVAILABLE) or stayed locked is retried as the same change,
 * so the ledger records each committed change exactly once even when the answer to a COMMIT
 * was lost: a repeated add finds its own task (DUPLICATE), a repeated ack is a no-op, a repeated
 * remove finds the task gone, and a claim whose answer was lost is found by its owner — this
 * worker's own gateway id — and adopted.
 */
export interface PgHammerJob {
  kind: "pg-hammer";
  workspace: string;
  worker: number;
  /** Operations to run; with `stopFile`, the least to run before stopping once the file exists. */
  ops: number;
  stopFile?: string;
  /** One JSON line per committed change: {op, id}. */
  log: string;
  /** One JSON line per failed attempt: {at, op, code, message}. */
  errorLog: string;
  /** A control run (the queue lock removed): a refused change is counted and skipped, not fatal. */
  control?: boolean;
}

export interface PgHammerSummary {
  worker: number;
  gateway: string | null;
  done: Record<"add" | "claim" | "ack" | "remove" | "idle", number>;
  errors: Record<string, number>;
  adopted: number;
  /** Control runs only: changes refused (the queue no longer what this worker was told). */
  rejected: number;
  ops: number;
}

type Op = "add" | "claim" | "ack" | "remove";
type Outcome = { op: Op; id: string } | { op: "idle" };

/** Errors that say "not now": the database is away or the queue stayed locked. */
const RETRYABLE = new Set(["E_STORE_UNAVAILABLE", "E_LOCKED"]);

class Retry extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code; // a plain field: Node's type stripping runs this file as it is
  }
}

interface Mine {
  claimed: string | null;
  running: string | null;
  /** An attempt of this op failed after it may have reached the database. */
  uncertain: boolean;
  /** Claims whose answer was lost, found committed and taken up. */
  adopted: number;
}

async function claimOrAdopt(ctx: Context, mine: Mine): Promise<Outcome> {
  if (mine.uncertain) {
    // The last check's answer was lost: if its claim committed, the task is claimed by us.
    const me = ctx.gateway?.id;
    const { queue } = await ctx.store.read(EVERYTHING);
    const ours = queue.tasks.find((t) => t.state === "claimed" && t.lease?.owner === me);
    if (ours) {
      mine.claimed = ours.id;
      mine.adopted += 1;
      return { op: "claim", id: ours.id };
    }
  }
  const status = await runCheck(ctx, { lockWaitMs: 10_000 });
  if (status.status === "READY") {
    mine.claimed = status.task.id;
    return { op: "claim", id: status.task.id };
  }
  if (status.status === "DEFERRED" && status.reason === "locked")
    throw new Retry("E_LOCKED", "DEFERRED locked");
  if (status.status === "ERROR") {
    if (RETRYABLE.has(status.code)) throw new Retry(status.code, status.message);
    throw new Error(`check: ${status.code} ${status.message}`);
  }
  return { op: "idle" };
}

async function operate(ctx: Context, i: number, last: boolean, mine: Mine, worker: number) {
  if (last) return add(ctx, worker, i);
  if (mine.running) {
    const id = mine.running;
    try {
      await ops.removeTask(ctx, id);
    } catch (err) {
      // Our own earlier attempt removed it; its answer was lost.
      if (!(mine.uncertain && isTaskManagerError(err) && err.code === "E_TASK_NOT_FOUND"))
        throw err;
    }
    mine.running = null;
    return { op: "remove", id } as const;
  }
  if (mine.claimed) {
    const id = mine.claimed;
    await ops.ackTask(ctx, id, { runId: `run-${id}`, sessionKey: null });
    mine.claimed = null;
    mine.running = id;
    return { op: "ack", id } as const;
  }
  if (i % 2 === 1) return claimOrAdopt(ctx, mine);
  return add(ctx, worker, i);
}

async function add(ctx: Context, worker: number, i: number): Promise<Outcome> {
  const r = await ops.addTask(ctx, { prompt: `w${worker} op${i}`, source: "hammer" });
  return { op: "add", id: r.task.id };
}

function retryCode(err: unknown): string | null {
  if (err instanceof Retry) return err.code;
  if (isTaskManagerError(err) && RETRYABLE.has(err.code)) return err.code;
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runPgHammer(job: PgHammerJob): Promise<PgHammerSummary> {
  const ctx = await createContext({ workspace: job.workspace });
  const summary: PgHammerSummary = {
    worker: job.worker,
    gateway: ctx.gateway?.id ?? null,
    done: { add: 0, claim: 0, ack: 0, remove: 0, idle: 0 },
    errors: {},
    adopted: 0,
    rejected: 0,
    ops: 0,
  };
  const mine: Mine = { claimed: null, running: null, uncertain: false, adopted: 0 };
  const stopped = (): boolean => job.stopFile !== undefined && existsSync(job.stopFile);
  let tail = -1; // with a stop file: the op from which only adds are made
  for (let i = 0; ; i++) {
    if (job.stopFile === undefined) {
      if (i >= job.ops) break;
    } else if (tail < 0 && i >= job.ops && stopped()) tail = i;
    if (tail >= 0 && i >= tail + Math.max(1, Math.round(job.ops * 0.05))) break;
    const last = job.stopFile === undefined ? i >= job.ops * 0.95 : tail >= 0;
    let outcome: Outcome;
    for (let attempt = 0; ; attempt++) {
      try {
        outcome = await operate(ctx, i, last, mine, job.worker);
        mine.uncertain = false;
        break;
      } catch (err) {
        const code = retryCode(err);
        if (code === null && job.control) {
          summary.rejected += 1;
          mine.claimed = null;
          mine.running = null;
          outcome = { op: "idle" };
          break;
        }
        if (code === null) throw err;
        summary.errors[code] = (summary.errors[code] ?? 0) + 1;
        // A lock not had wrote nothing; a lost connection may have lost the answer to a COMMIT.
        if (code === "E_STORE_UNAVAILABLE") mine.uncertain = true;
        appendLine(
          job.errorLog,
          JSON.stringify({
            at: Date.now(),
            worker: job.worker,
            code,
            message: (err as Error).message,
          }),
        );
        await sleep(Math.min(500, 20 * (attempt + 1)));
      }
    }
    summary.done[outcome.op] += 1;
    summary.ops = i + 1;
    if (outcome.op !== "idle") appendLine(job.log, JSON.stringify(outcome));
  }
  await ctx.store.close();
  return { ...summary, adopted: mine.adopted };
}
