/**
 * Faults on the PostgreSQL store, with real processes on several "hosts" sharing one real server:
 * writers SIGKILLed inside a transaction, every connection cut mid-run, the server restarted
 * mid-run. Each run is reconciled with the workers' ledgers (one line per committed change):
 * nothing lost, nothing duplicated, no half-written change, and the survivors never wait on a
 * lock a dead writer held.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PgServer } from "../../lib/postgres-server.ts";
import { driver, type Exit, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import { readLedger, reconcile } from "./lib/ledger.ts";
import type { PgHammerSummary } from "./lib/pg-hammer.ts";
import {
  consistency,
  migrateNow,
  pgSandbox,
  readPgQueue,
  noPostgres,
  startServer,
  terminateBackends,
} from "./lib/pg.ts";

const HOSTS = 3;
let server: PgServer;

beforeAll(async () => {
  if (noPostgres) return;
  server = await startServer();
  await migrateNow(server, "setup");
}, 180_000);
afterAll(async () => {
  await server?.stop();
  removeSandboxes();
});

interface Worker {
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one pg-hammer process per worker over `hosts` hosts on `queue`; `during` runs alongside.
 * Where answers to a COMMIT can be lost (a cut, a restart), each worker is its own host: the
 * hammer finds a claim whose answer it lost by its gateway's identity, which two processes of
 * one host share.
 */
async function hammer(
  queue: string,
  ops: number,
  workers: Worker[],
  during?: () => Promise<void>,
  hostCount = HOSTS,
) {
  await migrateNow(server, queue);
  const hosts = Array.from({ length: hostCount }, (_, h) =>
    pgSandbox(`${queue}-host${h}`, server, queue, { maxConcurrent: 4 }),
  );
  const logs = workers.map((_, w) => path.join(hosts[w % hostCount]!.root, `w${w}.log`));
  const running = workers.map((worker, w) => {
    const host = hosts[w % hostCount]!;
    const job = {
      kind: "pg-hammer",
      workspace: host.workspace,
      worker: w,
      ops,
      log: logs[w],
      errorLog: path.join(host.root, "errors.log"),
    };
    return driver(host, job, worker.env ?? {});
  });
  if (during) {
    await firstWrite(logs);
    await during();
  }
  const exits: Exit[] = await Promise.all(running);
  const queueNow = await readPgQueue(server, queue);
  return {
    exits,
    reconciled: reconcile(readLedger(logs), queueNow),
    consistency: await consistency(server, queue),
  };
}

/** Waits until some worker has committed a change, so a fault lands mid-run on a loaded machine. */
async function firstWrite(logs: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!logs.some((l) => existsSync(l) && statSync(l).size > 0)) {
    if (Date.now() > deadline) throw new Error("no worker committed a change within 120 s");
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

const summaryOf = (e: Exit): PgHammerSummary => JSON.parse(e.stdout) as PgHammerSummary;

function errorsOf(exits: Exit[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const e of exits.filter((x) => x.code === 0))
    for (const [k, v] of Object.entries(summaryOf(e).errors)) errors[k] = (errors[k] ?? 0) + v;
  return errors;
}

describe.skipIf(noPostgres)("faults on PostgreSQL: nothing lost, nothing half-written", () => {
  test("writers SIGKILLed inside a transaction leave no trace and block no one", async () => {
    const points = ["after_lock#7", "after_write#11", "before_commit#5", "after_write#23"];
    const workers: Worker[] = [
      ...points.map((p) => ({ env: { TM_PG_CRASH_AT: p } })),
      {},
      {},
      {},
      {},
    ];
    const r = await hammer("sigkill", 150, workers);
    const killed = r.exits.filter((e) => e.signal === "SIGKILL").length;
    await recordFigure("pg-sigkill-mid-transaction", {
      store: "postgres",
      killed,
      survivors: r.exits.length - killed,
      ...r.reconciled,
      consistency: r.consistency,
    });
    expect(killed).toBe(points.length);
    for (const e of r.exits.slice(points.length)) expect(e.code, e.stderr).toBe(0);
    // A killed writer's open transaction was rolled back: every committed change is in a
    // ledger (revision = confirmed writes), nothing lost or doubled, counts agree with rows.
    expect(r.reconciled.details).toEqual([]);
    expect(r.reconciled.lost).toBe(0);
    expect(r.reconciled.duplicated).toBe(0);
    expect(r.reconciled.revision).toBe(r.reconciled.writes);
    expect(r.consistency.countsMatch, JSON.stringify(r.consistency)).toBe(true);
  }, 600_000);

  test("every connection cut mid-run: clear errors, then recovery, nothing lost", async () => {
    let cut = 0;
    const r = await hammer(
      "cut",
      300,
      [{}, {}, {}, {}, {}, {}],
      async () => {
        for (let i = 0; i < 5; i++) {
          await new Promise((ok) => setTimeout(ok, 700));
          cut += await terminateBackends(server);
        }
      },
      6,
    );
    const errors = errorsOf(r.exits);
    await recordFigure("pg-connection-cut", {
      store: "postgres",
      connectionsCut: cut,
      errors,
      ...r.reconciled,
    });
    for (const e of r.exits) expect(e.code, e.stderr).toBe(0);
    expect(cut).toBeGreaterThan(0);
    expect(
      Object.keys(errors).filter((c) => c !== "E_STORE_UNAVAILABLE" && c !== "E_LOCKED"),
    ).toEqual([]);
    expect(r.reconciled.details).toEqual([]);
    expect(r.reconciled.lost).toBe(0);
    expect(r.reconciled.duplicated).toBe(0);
    expect(r.consistency.countsMatch, JSON.stringify(r.consistency)).toBe(true);
  }, 600_000);

  test("the server restarted mid-run: E_STORE_UNAVAILABLE while it is down, then nothing lost", async () => {
    const r = await hammer(
      "restart",
      300,
      [{}, {}, {}, {}, {}, {}],
      async () => {
        await new Promise((ok) => setTimeout(ok, 1_500));
        await server.restart();
      },
      6,
    );
    const errors = errorsOf(r.exits);
    await recordFigure("pg-server-restart", { store: "postgres", errors, ...r.reconciled });
    for (const e of r.exits) expect(e.code, e.stderr).toBe(0);
    expect(errors.E_STORE_UNAVAILABLE ?? 0).toBeGreaterThan(0);
    expect(r.reconciled.details).toEqual([]);
    expect(r.reconciled.lost).toBe(0);
    expect(r.reconciled.duplicated).toBe(0);
    expect(r.consistency.countsMatch, JSON.stringify(r.consistency)).toBe(true);
  }, 600_000);
});
