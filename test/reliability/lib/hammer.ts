import { readFile } from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";
import { isTaskManagerError } from "../../../dist/base/errors.js";
import { runCheck } from "../../../dist/runtime/run-check.js";
import { createContext, type Context } from "../../../dist/runtime/context.js";
import * as ops from "../../../dist/runtime/operations.js";
import { decodeQueue, encodeQueue } from "../../../dist/store/file/codec.js";
import { FileQueueStore } from "../../../dist/store/file/file-store.js";
import { appendLine } from "./fake-gateway.ts";
import { countStates } from "../../../dist/store/change.js";

/**
 * - locked: the package as shipped;
 * - nolock: proper-lockfile's lock turned into a no-op (the revision check still runs);
 * - naive: FileQueueStore.mutate replaced by a plain unlocked read → transform → write, i.e. the
 *   package without either defence. The control that must lose updates.
 */
export type HammerMode = "locked" | "nolock" | "naive";

export interface HammerJob {
  kind: "hammer";
  workspace: string;
  worker: number;
  ops: number;
  mode: HammerMode;
  /** One JSON line per successful change: {op, id}. */
  log: string;
  holdersDir: string;
}

/** Outcome counts of one worker. `retries` are E_LOCKED / stale-write refusals, each retried. */
export interface HammerSummary {
  worker: number;
  done: Record<"add" | "claim" | "ack" | "remove" | "idle" | "rejected", number>;
  retries: Record<string, number>;
}

type Outcome =
  | { op: "add" | "claim" | "ack" | "remove"; id: string }
  | { op: "idle" }
  | { op: "rejected"; code: string };

const RETRYABLE = new Set(["E_LOCKED", "E_STALE_WRITE", "E_LOCK_COMPROMISED"]);

function installNaiveMutate(): void {
  const naive: FileQueueStore["mutate"] = async function (this: FileQueueStore, _scope, transform) {
    const bytes = await readFile(this.file).catch(() => null);
    const current = bytes === null ? null : decodeQueue(bytes, this.file, Date.now()).queue;
    const base = current ?? {
      version: 2 as const,
      revision: 0,
      paused: false,
      cooldowns: {},
      tasks: [],
      history: [],
      alerts: [],
      captured: [],
    };
    const { queue, result } = transform(base);
    if (queue === base)
      return { result, written: false, revision: base.revision, counts: countStates(base.tasks) };
    const next = { ...queue, revision: base.revision + 1 };
    await writeFileAtomic(this.file, encodeQueue(next));
    return { result, written: true, revision: next.revision, counts: countStates(next.tasks) };
  };
  FileQueueStore.prototype.mutate = naive;
}

/**
 * The worker's next operation: finish what it claimed, otherwise alternate add and check. The
 * last 5% are adds only, so the final queue holds tasks whose presence the checker can verify.
 */
async function operate(
  ctx: Context,
  i: number,
  mine: { claimed: string | null; running: string | null },
  job: HammerJob,
): Promise<Outcome> {
  const worker = job.worker;
  if (i >= job.ops * 0.95) return add(ctx, worker, i);
  if (mine.running) {
    const task = await ops.removeTask(ctx, mine.running);
    mine.running = null;
    return { op: "remove", id: task.id };
  }
  if (mine.claimed) {
    const task = await ops.ackTask(ctx, mine.claimed, {
      runId: `run-${mine.claimed}`,
      sessionKey: null,
    });
    mine.claimed = null;
    mine.running = task.id;
    return { op: "ack", id: task.id };
  }
  if (i % 2 === 1) {
    const status = await runCheck(ctx, { lockWaitMs: 10_000 });
    if (status.status === "READY") {
      mine.claimed = status.task.id;
      return { op: "claim", id: status.task.id };
    }
    if (status.status === "DEFERRED" && status.reason === "locked")
      throw Object.assign(new Error("locked"), { retry: "DEFERRED_locked" });
    if (status.status === "ERROR")
      throw Object.assign(new Error(status.message), { code: status.code });
    return { op: "idle" };
  }
  return add(ctx, worker, i);
}

async function add(ctx: Context, worker: number, i: number): Promise<Outcome> {
  const r = await ops.addTask(ctx, { prompt: `w${worker} op${i}`, source: "hammer" });
  return { op: "add", id: r.task.id };
}

function retryReason(err: unknown): string | null {
  if (isTaskManagerError(err) && RETRYABLE.has(err.code)) return err.code;
  const tagged = (err as { retry?: string }).retry;
  return typeof tagged === "string" ? tagged : null;
}

export async function runHammer(job: HammerJob): Promise<HammerSummary> {
  if (job.mode === "naive") installNaiveMutate();
  const ctx = await createContext({ workspace: job.workspace });
  const summary: HammerSummary = {
    worker: job.worker,
    done: { add: 0, claim: 0, ack: 0, remove: 0, idle: 0, rejected: 0 },
    retries: {},
  };
  const mine = { claimed: null as string | null, running: null as string | null };
  for (let i = 0; i < job.ops; i++) {
    let outcome: Outcome;
    for (;;) {
      try {
        outcome = await operate(ctx, i, mine, job);
        break;
      } catch (err) {
        const reason = retryReason(err);
        if (reason !== null) {
          summary.retries[reason] = (summary.retries[reason] ?? 0) + 1;
          continue;
        }
        // Without the lock (control runs) tasks and staging files vanish under us: record, move on.
        if (job.mode === "locked") throw err;
        mine.claimed = null;
        mine.running = null;
        outcome = {
          op: "rejected",
          code: isTaskManagerError(err) ? err.code : ((err as { code?: string }).code ?? "unknown"),
        };
        break;
      }
    }
    summary.done[outcome.op] += 1;
    if (outcome.op !== "idle" && outcome.op !== "rejected")
      appendLine(job.log, JSON.stringify(outcome));
  }
  return summary;
}
