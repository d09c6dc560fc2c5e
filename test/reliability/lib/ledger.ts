import { existsSync, readFileSync } from "node:fs";
import type { Queue } from "../../../dist/core/queue-model.js";

/** Successful changes reported by the workers, one JSON line each. */
export interface LedgerEntry {
  op: "add" | "claim" | "ack" | "remove";
  id: string;
}

export function readLedger(files: string[]): LedgerEntry[] {
  return files.flatMap((f) =>
    existsSync(f)
      ? readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as LedgerEntry)
      : [],
  );
}

export interface Reconciliation {
  writes: number;
  revision: number;
  expected: number;
  present: number;
  /** Tasks whose confirmed changes are missing from the final queue (lost add, undone remove or transition). */
  lost: number;
  /** Confirmed writes minus the final revision: writes that were overwritten. */
  lostWrites: number;
  /** Tasks claimed twice, or present more than once. */
  duplicated: number;
  details: string[];
}

const count = (xs: Iterable<string>): Map<string, number> => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

/**
 * Compares what the workers were told happened with what the queue says. Every confirmed write
 * bumps the revision by exactly one, so revision < writes means some write was overwritten even
 * when its effect was later removed again; the per-task checks say which ones.
 */
export function reconcile(entries: LedgerEntry[], queue: Queue): Reconciliation {
  const details: string[] = [];
  const byOp = (op: LedgerEntry["op"]): string[] =>
    entries.filter((e) => e.op === op).map((e) => e.id);
  const added = new Set(byOp("add"));
  const removed = new Set(byOp("remove"));
  const acked = new Set(byOp("ack"));
  const claims = count(byOp("claim"));
  const inQueue = count(queue.tasks.map((t) => t.id));
  let lost = 0;
  for (const id of added) {
    if (removed.has(id) ? inQueue.has(id) : !inQueue.has(id)) {
      lost += 1;
      details.push(`${id}: ${removed.has(id) ? "removed but back" : "added but missing"}`);
    }
  }
  for (const task of queue.tasks) {
    const want = acked.has(task.id) ? "running" : claims.has(task.id) ? "claimed" : "pending";
    if (task.state !== want) {
      lost += 1;
      details.push(`${task.id}: ${task.state}, expected ${want}`);
    }
  }
  const writes = entries.length;
  const dupClaims = [...claims.values()].filter((n) => n > 1).length;
  const dupIds = [...inQueue.values()].filter((n) => n > 1).length;
  if (writes !== queue.revision)
    details.push(`revision ${queue.revision} after ${writes} confirmed writes`);
  return {
    writes,
    revision: queue.revision,
    expected: added.size - removed.size,
    present: queue.tasks.length,
    lost,
    lostWrites: Math.max(0, writes - queue.revision),
    duplicated: dupClaims + dupIds,
    details: details.slice(0, 10),
  };
}
