/**
 * The contention test on PostgreSQL: real processes on three "hosts" (each its own workspace and
 * host state folder, so its own gateway identity) hammer one database queue. Every committed
 * change is reconciled with the workers' ledgers, and every committed state of the queue is
 * checked for tasks in flight (a trigger counts them at each commit, see lib/pg.ts): never more
 * than maxConcurrent across all hosts together.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PgServer } from "../../lib/postgres-server.ts";
import { driver, intFromEnv, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import { readLedger, reconcile, type Reconciliation } from "./lib/ledger.ts";
import {
  consistency,
  installInFlightProbe,
  migrateNow,
  pgSandbox,
  readInFlightProbe,
  readPgQueue,
  noPostgres,
  startServer,
  type Consistency,
} from "./lib/pg.ts";
import type { PgHammerSummary } from "./lib/pg-hammer.ts";

const PROCS = intFromEnv("TM_SOAK_PROCS", 16);
const OPS = intFromEnv("TM_SOAK_OPS", 500);
const HOSTS = 3;
const MAX_CONCURRENT = 4;
const CONTROL_OPS = 100;

let server: PgServer;

interface Hammered extends Reconciliation {
  maxInFlight: number;
  inFlightChecks: number;
  gateways: number;
  errors: Record<string, number>;
  rejected: number;
  /** Checks that found nothing to claim (the cap was full): they change nothing. */
  idle: number;
  consistency: Consistency;
  wallMs: number;
}

async function hammer(
  queue: string,
  ops: number,
  env: NodeJS.ProcessEnv = {},
  control = false,
): Promise<Hammered> {
  await migrateNow(server, queue);
  const hosts = Array.from({ length: HOSTS }, (_, h) =>
    pgSandbox(`${queue}-host${h}`, server, queue, { maxConcurrent: MAX_CONCURRENT }),
  );
  const logs = Array.from({ length: PROCS }, (_, w) =>
    path.join(hosts[w % HOSTS]!.root, `w${w}.log`),
  );
  const started = Date.now();
  const exits = await Promise.all(
    logs.map((log, worker) => {
      const host = hosts[worker % HOSTS]!;
      return driver(
        host,
        {
          kind: "pg-hammer",
          workspace: host.workspace,
          worker,
          ops,
          log,
          errorLog: path.join(host.root, "errors.log"),
          control,
        },
        env,
      );
    }),
  );
  const wallMs = Date.now() - started;
  for (const e of exits) expect(e.code, e.stderr).toBe(0);
  const summaries = exits.map((e) => JSON.parse(e.stdout) as PgHammerSummary);
  const errors: Record<string, number> = {};
  for (const sum of summaries)
    for (const [k, v] of Object.entries(sum.errors)) errors[k] = (errors[k] ?? 0) + v;
  const probe = await readInFlightProbe(server, queue);
  return {
    ...reconcile(readLedger(logs), await readPgQueue(server, queue)),
    maxInFlight: probe.maxInFlight,
    inFlightChecks: probe.checks,
    gateways: new Set(summaries.map((x) => x.gateway)).size,
    errors,
    rejected: summaries.reduce((n, x) => n + x.rejected, 0),
    idle: summaries.reduce((n, x) => n + x.done.idle, 0),
    consistency: await consistency(server, queue),
    wallMs,
  };
}

beforeAll(async () => {
  if (noPostgres) return;
  server = await startServer();
  await migrateNow(server, "setup");
  await installInFlightProbe(server);
}, 180_000);
afterAll(async () => {
  await server?.stop();
  removeSandboxes();
});

describe.skipIf(noPostgres)(
  "contention on PostgreSQL: processes on three hosts share one database queue",
  () => {
    test(`${PROCS} processes × ${OPS} operations over ${HOSTS} hosts: nothing lost or duplicated, never more than maxConcurrent in flight`, async () => {
      const r = await hammer("contention", OPS);
      await recordFigure("pg-contention", {
        store: "postgres",
        procs: PROCS,
        ops: OPS,
        hosts: HOSTS,
        maxConcurrent: MAX_CONCURRENT,
        ...r,
      });
      expect(r.details).toEqual([]);
      expect(r.lost).toBe(0);
      expect(r.lostWrites).toBe(0);
      expect(r.duplicated).toBe(0);
      // Every operation committed exactly one change, but a check that found the cap full.
      expect(r.writes).toBe(PROCS * OPS - r.idle);
      expect(r.expected).toBeGreaterThan(0);
      expect(r.present).toBe(r.expected);
      expect(r.gateways).toBe(HOSTS);
      // Every committed state was counted, and the limit was reached but never passed.
      expect(r.inFlightChecks).toBeGreaterThanOrEqual(r.writes);
      expect(r.maxInFlight).toBe(MAX_CONCURRENT);
      expect(r.consistency.countsMatch, JSON.stringify(r.consistency)).toBe(true);
      expect(r.consistency.derivedMismatch).toBe(0);
      expect(Object.keys(r.errors).filter((c) => c !== "E_LOCKED")).toEqual([]);
    }, 600_000);

    test("control: the same hammer without the queue's row lock passes maxConcurrent or loses changes (the checks can fail)", async () => {
      const r = await hammer("contention_nolock", CONTROL_OPS, { TM_PG_NO_QUEUE_LOCK: "1" }, true);
      await recordFigure("pg-contention-control-nolock", {
        store: "postgres",
        procs: PROCS,
        ops: CONTROL_OPS,
        hosts: HOSTS,
        maxConcurrent: MAX_CONCURRENT,
        ...r,
        details: r.details.slice(0, 3),
      });
      const broken =
        (r.maxInFlight > MAX_CONCURRENT ? 1 : 0) +
        r.lost +
        r.duplicated +
        r.rejected +
        (r.consistency.countsMatch ? 0 : 1);
      expect(broken).toBeGreaterThan(0);
    }, 300_000);
  },
);
