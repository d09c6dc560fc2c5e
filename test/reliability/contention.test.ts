import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Queue } from "../../dist/core/queue-model.js";
import {
  driver,
  intFromEnv,
  makeSandbox,
  queuePath,
  type Sandbox,
  removeSandboxes,
} from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import type { HammerMode, HammerSummary } from "./lib/hammer.ts";
import { readLedger, reconcile, type Reconciliation } from "./lib/ledger.ts";

const PROCS = intFromEnv("TM_SOAK_PROCS", 16);
const OPS = intFromEnv("TM_SOAK_OPS", 500);
/** The control runs only need to show the checker catching losses; they stay small. */
const CONTROL_OPS = 100;

interface Hammered extends Reconciliation {
  maxHolders: number;
  retries: Record<string, number>;
  rejected: number;
}

/** N real processes hammer one queue; then the workers' ledgers are reconciled with the file. */
async function hammer(s: Sandbox, mode: HammerMode, procs: number, ops: number): Promise<Hammered> {
  const logs = Array.from({ length: procs }, (_, w) => path.join(s.root, `w${w}.log`));
  const exits = await Promise.all(
    logs.map((log, worker) =>
      driver(s, {
        kind: "hammer",
        workspace: s.workspace,
        worker,
        ops,
        mode,
        log,
        holdersDir: path.join(s.root, "holders"),
      }),
    ),
  );
  for (const e of exits) expect(e.code, e.stderr).toBe(0);
  const summaries = exits.map(
    (e) => JSON.parse(e.stdout) as HammerSummary & { maxHolders: number },
  );
  const queue = JSON.parse(readFileSync(queuePath(s), "utf8")) as Queue;
  const retries: Record<string, number> = {};
  for (const sum of summaries)
    for (const [k, v] of Object.entries(sum.retries)) retries[k] = (retries[k] ?? 0) + v;
  return {
    ...reconcile(readLedger(logs), queue),
    maxHolders: Math.max(...summaries.map((x) => x.maxHolders)),
    retries,
    rejected: summaries.reduce((n, x) => n + x.done.rejected, 0),
  };
}

afterAll(removeSandboxes);

describe("contention: many processes on one queue", () => {
  test(`${PROCS} processes × ${OPS} operations lose nothing, duplicate nothing, and hold the lock one at a time`, async () => {
    const s = makeSandbox("contention");
    const r = await hammer(s, "locked", PROCS, OPS);
    await recordFigure("contention", { procs: PROCS, ops: OPS, ...r });
    expect(r.details).toEqual([]);
    expect(r.lost).toBe(0);
    expect(r.lostWrites).toBe(0);
    expect(r.duplicated).toBe(0);
    expect(r.maxHolders).toBe(1);
    expect(r.writes).toBe(PROCS * OPS);
    expect(r.expected).toBeGreaterThan(0);
    expect(r.present).toBe(r.expected);
  }, 300_000);

  test("control: the same hammer through an unlocked read-modify-write loses updates (the checker can fail)", async () => {
    const s = makeSandbox("contention-naive");
    const r = await hammer(s, "naive", PROCS, CONTROL_OPS);
    await recordFigure("contention-control-naive", {
      procs: PROCS,
      ops: CONTROL_OPS,
      ...r,
      details: r.details.slice(0, 3),
    });
    expect(r.lost + r.lostWrites).toBeGreaterThan(0);
  }, 120_000);

  test("control: with the lock disabled, several processes hold it at once (the revision check refuses most collisions but is a second line, not a substitute)", async () => {
    const s = makeSandbox("contention-nolock");
    const r = await hammer(s, "nolock", PROCS, CONTROL_OPS);
    await recordFigure("contention-control-nolock", {
      procs: PROCS,
      ops: CONTROL_OPS,
      ...r,
      details: r.details.slice(0, 3),
    });
    expect(r.maxHolders).toBeGreaterThan(1);
    expect(r.lost + r.lostWrites + r.rejected + (r.retries.E_STALE_WRITE ?? 0)).toBeGreaterThan(0);
  }, 120_000);
});
