/**
 * The two stores side by side in one run (issue 18): the JSON file (the embedded default) and
 * PostgreSQL (one queue several gateways share), each behind the same port, doing the same
 * operations — add→claim with 1 and 4 gateways, an add on one gateway claimed by another that
 * is woken by the store, claims per second with 8 workers, and an add,
 * a claim and the page's status view at 1,000 and 100,000 stored tasks.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { postgresAvailable, startPostgres, type PgServer } from "../lib/postgres-server.js";
import type { BenchHome } from "../lib/bench-home.js";
import { emptyQueue } from "../src/core/queue-model.js";
import { policySchema } from "../src/policy/schema.js";
import { createContext, type Context } from "../src/runtime/context.js";
import { buildPageView } from "../src/runtime/page-view.js";
import { closeStores } from "../src/runtime/store.js";
import { encodeQueue, MAX_QUEUE_BYTES } from "../src/store/file/codec.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { formatMs, round, roundSummary, summarize, type Summary } from "./statistics.js";
import { runGateways } from "./store-gateways.js";
import type { StoreWorkerReport } from "./store-worker.js";
import {
  PACED_ROUND_MS,
  addOne,
  benchTasks,
  claimNext,
  openSpec,
  PG_SCHEMA,
  seed,
  settle,
  type StoreSpec,
} from "./store-ops.js";

type Kind = "file" | "postgres";
type Log = (message: string) => void;

/** Iteration counts, scaled like every other row (never fewer than 3 samples). */
interface StorePlan {
  addClaimPerGateway: number;
  claimsPerWorker: number;
  sizes: number[];
  /** Operations timed at each size: the database's and the file's (a file op rewrites it all). */
  sizedOps: { postgres: number; file: number };
}

function storePlan(opts: BenchOptions): StorePlan {
  const n = (base: number): number => Math.max(3, Math.round(base * opts.scale));
  return {
    addClaimPerGateway: n(200),
    claimsPerWorker: n(100),
    sizes: opts.quick ? [100, 1000] : [1000, 100_000],
    sizedOps: { postgres: n(200), file: n(20) },
  };
}

const TARGET_LATENCY = "PG p50 ≤ 5 ms, p99 ≤ 20 ms";
const TARGET_VIEW = "PG p99 < 50 ms";
const pair = (s: Summary): string => `p50 ${formatMs(s.median)}, p99 ${formatMs(s.p99)}`;
const ratio = (file: Summary | null, pg: Summary | null): string =>
  file && pg ? `file/PG ${(file.median / pg.median).toFixed(1)}×` : "";

/** The workspace and the queue each measurement gets to itself. */
let queues = 0;
function freshSpec(home: BenchHome, kind: Kind, server: PgServer | null): StoreSpec {
  queues += 1;
  if (kind === "postgres") return { kind, url: server!.url, queue: `bench_${queues}` };
  const workspace = path.join(home.root, `stores-${queues}`);
  mkdirSync(workspace, { recursive: true });
  return { kind, workspace, file: path.join(workspace, "memory", "pending_tasks.json") };
}

/** A context on the spec's queue: what the page and the CLI would open there. */
async function contextFor(spec: StoreSpec, home: BenchHome): Promise<Context> {
  if (spec.kind === "file")
    return createContext({ workspace: spec.workspace, deps: { env: home.env } });
  const workspace = path.join(home.root, `stores-ctx-${spec.queue}`);
  mkdirSync(workspace, { recursive: true });
  return createContext({
    workspace,
    policy: policySchema.parse({ store: { kind: "postgres", queue: spec.queue } }),
    deps: { env: { ...home.env, TASK_MANAGER_DATABASE_URL: spec.url } },
  });
}

// ---------------------------------------------------------------------------------------------
// add → claim, 1 and 4 gateways; claims per second, 8 workers

interface AddClaim {
  addClaim: Summary;
  add: Summary;
  claim: Summary;
  empty: number;
  errors: string[];
}

async function addClaim(
  spec: StoreSpec,
  gateways: number,
  perGateway: number,
  env: NodeJS.ProcessEnv,
  paced = false,
): Promise<AddClaim> {
  const mode = paced ? "add-claim-paced" : "add-claim";
  const { reports } = await runGateways(spec, mode, gateways, perGateway, env);
  return {
    addClaim: summarize(reports.flatMap((r) => r.addClaimMs)),
    add: summarize(reports.flatMap((r) => r.addMs)),
    claim: summarize(reports.flatMap((r) => r.claimMs)),
    empty: reports.reduce((s, r) => s + r.empty, 0),
    errors: reports.flatMap((r) => r.errors),
  };
}

function addClaimRow(
  gateways: number,
  perGateway: number,
  file: AddClaim,
  pg: AddClaim | null,
  skip: string | null,
  paced = false,
): Row {
  const errors = file.errors.length + (pg?.errors.length ?? 0);
  const split = (s: AddClaim): string =>
    `add ${pair(s.add)}, claim ${pair(s.claim)}, ${s.empty} claims found nothing due`;
  const rhythm = paced
    ? `, each a round every ~${PACED_ROUND_MS} ms`
    : " on one queue, back to back";
  return {
    id: `stores_add_claim_${gateways}gw${paced ? "_paced" : ""}`,
    measure: `add→claim, ${gateways} gateway${gateways > 1 ? " processes" : " process"}${rhythm}`,
    result: pg ? `PG ${pair(pg.addClaim)}` : `PG ${skip}`,
    reference: `file ${pair(file.addClaim)}`,
    ratio: ratio(file.addClaim, pg?.addClaim ?? null),
    target: TARGET_LATENCY,
    met: pg ? pg.addClaim.median <= 5 && pg.addClaim.p99 <= 20 && errors === 0 : null,
    note: `an add then the dispatcher's claim (dispatch view, run order, claimTask), back to back, from the add's call to the claim's commit; ${perGateway} per gateway; each claimed task then settled, untimed. PG: ${pg ? split(pg) : skip}; file: ${split(file)}${errors > 0 ? `; first error: ${[...file.errors, ...(pg?.errors ?? [])][0]}` : ""}`,
    data: {
      gateways,
      paced_round_ms: paced ? PACED_ROUND_MS : null,
      per_gateway: perGateway,
      errors,
      file_add_claim_ms: roundSummary(file.addClaim),
      file_add_ms: roundSummary(file.add),
      file_claim_ms: roundSummary(file.claim),
      pg_add_claim_ms: pg ? roundSummary(pg.addClaim) : null,
      pg_add_ms: pg ? roundSummary(pg.add) : null,
      pg_claim_ms: pg ? roundSummary(pg.claim) : null,
      skipped: pg === null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// add on one gateway → claimed by another that only listens

interface CrossGateway {
  latency: Summary;
  /** Tasks added that the listening gateway never claimed (a missed wake). */
  missed: number;
  errors: string[];
}

/**
 * One gateway adds a task every ~PACED_ROUND_MS; another, free, never polls: it claims when
 * its store says the queue changed (PostgreSQL: LISTEN/NOTIFY; file: the folder watch). Per
 * task: the add's call → the other gateway's claim committed, on one machine's clock.
 */
async function crossGateway(
  spec: StoreSpec,
  count: number,
  env: NodeJS.ProcessEnv,
): Promise<CrossGateway> {
  const { reports } = await runGateways(spec, ["add-paced", "watch-claim"], 2, count, env);
  const [adder, claimer] = reports as [StoreWorkerReport, StoreWorkerReport];
  const ids = Object.keys(adder.addedAt);
  const waits = ids.flatMap((id) => {
    const claimed = claimer.claimedAt[id];
    return claimed === undefined ? [] : [claimed - adder.addedAt[id]!];
  });
  return {
    latency: summarize(waits),
    missed: ids.length - waits.length,
    errors: [...adder.errors, ...claimer.errors],
  };
}

function crossGatewayRow(
  count: number,
  file: CrossGateway,
  pg: CrossGateway | null,
  skip: string | null,
): Row {
  const errors = file.errors.length + (pg?.errors.length ?? 0);
  const missed = file.missed + (pg?.missed ?? 0);
  return {
    id: "stores_add_to_other_gateway_claim",
    measure: "add on one gateway → claimed by another, woken by the store (no polling)",
    result: pg ? `PG ${pair(pg.latency)}` : `PG ${skip}`,
    reference: `file ${pair(file.latency)}`,
    ratio: ratio(file.latency, pg?.latency ?? null),
    target: TARGET_LATENCY,
    met: pg
      ? pg.latency.median <= 5 && pg.latency.p99 <= 20 && pg.missed === 0 && errors === 0
      : null,
    note: `${count} adds, one every ~${PACED_ROUND_MS} ms, by one gateway process; a second claims only when its store reports a change (PG: LISTEN/NOTIFY on commit; file: a watch on the queue's folder), from the add's call to the claim's commit; the plugin adds its wake debounce (100 ms) on top. Missed wakes: PG ${pg?.missed ?? "–"}, file ${file.missed}${errors > 0 ? `; first error: ${[...file.errors, ...(pg?.errors ?? [])][0]}` : ""}`,
    data: {
      adds: count,
      errors,
      missed,
      file_ms: roundSummary(file.latency),
      pg_ms: pg ? roundSummary(pg.latency) : null,
      skipped: pg === null,
    },
  };
}

interface Throughput {
  perSec: number;
  claimed: number;
  claim: Summary;
  errors: string[];
}

async function claimThroughput(
  spec: StoreSpec,
  workers: number,
  perWorker: number,
  env: NodeJS.ProcessEnv,
): Promise<Throughput> {
  const store = openSpec(spec);
  try {
    await seed(store, workers * perWorker + 100);
  } finally {
    await store.close();
  }
  const { reports, wallMs } = await runGateways(spec, "claim", workers, perWorker, env);
  const claimed = reports.reduce((s, r) => s + r.claimed, 0);
  return {
    perSec: (claimed / wallMs) * 1000,
    claimed,
    claim: summarize(reports.flatMap((r) => r.claimMs)),
    errors: reports.flatMap((r) => r.errors),
  };
}

function throughputRow(
  workers: number,
  file: Throughput,
  pg: Throughput | null,
  skip: string | null,
): Row {
  const errors = file.errors.length + (pg?.errors.length ?? 0);
  const line = (t: Throughput): string =>
    `${t.perSec.toFixed(0)} claims/s (claim ${pair(t.claim)})`;
  return {
    id: `stores_claims_${workers}_workers`,
    measure: `claims per second, ${workers} worker processes on one queue`,
    result: pg ? `PG ${line(pg)}` : `PG ${skip}`,
    reference: `file ${line(file)}`,
    ratio: pg ? `PG/file ${(pg.perSec / file.perSec).toFixed(1)}×` : "",
    target: "",
    met: null,
    note: `each worker claims the best due task of a seeded queue, then settles it (ack + done: 2 more transactions, inside the wall time); claimed PG ${pg?.claimed ?? "–"}, file ${file.claimed}; anchor: graphile-worker ~15.6k jobs/s unbatched on a local PostgreSQL${errors > 0 ? `; errors ${errors}` : ""}`,
    data: {
      workers,
      errors,
      file_claims_per_sec: round(file.perSec, 1),
      file_claim_ms: roundSummary(file.claim),
      pg_claims_per_sec: pg ? round(pg.perSec, 1) : null,
      pg_claim_ms: pg ? roundSummary(pg.claim) : null,
      skipped: pg === null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// add, claim, status view at a queue size

interface Sized {
  /** Tasks stored when measured (the file: the largest count under its cap, when below `tasks`). */
  stored: number;
  add: Summary;
  claim: Summary;
  view: Summary;
  /** PostgreSQL: claims before the planner had statistics for the bulk-loaded rows. */
  cold: Summary | null;
}

/** The largest round count of bench tasks whose file stays well under the cap (room for the adds). */
function fileCapacity(): number {
  const sample = 1000;
  const bytes = encodeQueue({ ...emptyQueue(), tasks: benchTasks(sample, Date.now()) }).length;
  return Math.floor((MAX_QUEUE_BYTES * 0.9) / (bytes / sample) / 1000) * 1000;
}

async function measureSized(
  spec: StoreSpec,
  home: BenchHome,
  tasks: number,
  ops: number,
): Promise<Sized> {
  const ctx = await contextFor(spec, home);
  await seed(ctx.store, tasks);
  const cold = spec.kind === "postgres" ? await coldClaims(ctx, spec) : null;
  const add: number[] = [];
  const claim: number[] = [];
  const view: number[] = [];
  await buildPageView(ctx); // a first read: the connection, the schema check, the code loaded
  for (let i = 0; i < ops; i++) {
    const t0 = performance.now();
    await addOne(ctx.store, `sized ${tasks} add ${i}`);
    const t1 = performance.now();
    const id = await claimNext(ctx.store);
    const t2 = performance.now();
    if (id === null) throw new Error(`no due task to claim at ${tasks} tasks`);
    await settle(ctx.store, id);
    // The page re-reads after a change: the queue just changed (the file is re-read and parsed).
    const t3 = performance.now();
    const doc = await buildPageView(ctx);
    view.push(performance.now() - t3);
    add.push(t1 - t0);
    claim.push(t2 - t1);
    const total = doc.total;
    if (total !== tasks + i + 1)
      throw new Error(`status view at ${tasks} tasks counted ${total}, expected ${tasks + i + 1}`);
  }
  return {
    stored: tasks,
    add: summarize(add),
    claim: summarize(claim),
    view: summarize(view),
    cold,
  };
}

const COLD_CLAIMS = 5;

/**
 * Claims right after the bulk load (as after `store migrate`): without statistics for the new
 * rows the planner scanned and sorted them all, until autovacuum's analyze ran within about a
 * minute — the store now runs ANALYZE itself after a bulk write, and these show it did. Then
 * ANALYZE again, so the timed operations see the steady state of a database that has been running.
 */
async function coldClaims(ctx: Context, spec: StoreSpec & { kind: "postgres" }): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < COLD_CLAIMS; i++) {
    const start = performance.now();
    const id = await claimNext(ctx.store);
    samples.push(performance.now() - start);
    if (id !== null) await settle(ctx.store, id);
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: spec.url });
  await client.connect();
  try {
    await client.query(`ANALYZE ${PG_SCHEMA}.tasks`);
  } finally {
    await client.end();
  }
  return summarize(samples);
}

function sizedRows(
  tasks: number,
  file: Sized | null,
  fileNote: string,
  viewNote: string,
  pg: Sized | null,
  skip: string | null,
): Row[] {
  const parts = [
    { key: "add", label: "an add", target: "", pick: (s: Sized) => s.add },
    { key: "claim", label: "a claim", target: "", pick: (s: Sized) => s.claim },
    { key: "status_view", label: "the status view", target: "", pick: (s: Sized) => s.view },
  ] as const;
  const big = tasks >= 100_000;
  return parts.map((p) => {
    const viewTarget = p.key === "status_view" && big;
    const f = file && file.stored === tasks ? p.pick(file) : null;
    const shownFile = file
      ? `file ${file.stored === tasks ? "" : `(${file.stored.toLocaleString("en")} tasks) `}${pair(p.pick(file))}`
      : "file: over the file store's cap";
    const g = pg ? p.pick(pg) : null;
    return {
      id: `stores_${p.key}_${tasks}`,
      measure: `${p.label}, ${tasks.toLocaleString("en")} tasks stored`,
      result: g ? `PG ${pair(g)}` : `PG ${skip}`,
      reference:
        file && file.stored !== tasks ? `over the file store's cap; ${shownFile}` : shownFile,
      ratio: ratio(f, g),
      target: viewTarget ? TARGET_VIEW : p.key === "status_view" ? "" : TARGET_LATENCY,
      met:
        g === null
          ? null
          : viewTarget
            ? g.p99 < 50
            : p.key === "status_view"
              ? null
              : g.median <= 5 && g.p99 <= 20,
      ...(p.key === "add" && fileNote ? { note: fileNote } : {}),
      ...(p.key === "claim" && pg?.cold
        ? {
            note: `PG right after the bulk load (which the store follows with ANALYZE): ${pair(pg.cold)} over ${pg.cold.n} claims; the figure is the steady state after it`,
          }
        : {}),
      ...(p.key === "status_view" ? { note: viewNote } : {}),
      data: {
        tasks,
        file_tasks: file?.stored ?? null,
        file_ms: file ? roundSummary(p.pick(file)) : null,
        pg_ms: g ? roundSummary(g) : null,
        pg_cold_claim_ms: p.key === "claim" && pg?.cold ? roundSummary(pg.cold) : null,
        skipped: pg === null,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------

interface Pg {
  server: PgServer | null;
  skip: string | null;
}

async function startPg(opts: BenchOptions, log: Log): Promise<Pg> {
  if (opts.quick) return { server: null, skip: "skipped (quick mode)" };
  if (postgresAvailable() === null)
    return { server: null, skip: "skipped: PostgreSQL not installed (apt-get install postgresql)" };
  log("starting a PostgreSQL server (lib/postgres-server.ts)…");
  return { server: await startPostgres(), skip: null };
}

/** Every store row: the file store always, PostgreSQL when a server can be started here. */
export async function storeRows(opts: BenchOptions, home: BenchHome, log: Log): Promise<Row[]> {
  const plan = storePlan(opts);
  const pg = await startPg(opts, log);
  const both = async <T>(run: (kind: Kind) => Promise<T>): Promise<{ file: T; pg: T | null }> => ({
    file: await run("file"),
    pg: pg.server ? await run("postgres") : null,
  });
  try {
    const rows: Row[] = [];
    for (const gateways of [1, 4]) {
      log(`stores: add→claim, ${gateways} gateway(s)…`);
      const r = await both((kind) =>
        addClaim(freshSpec(home, kind, pg.server), gateways, plan.addClaimPerGateway, home.env),
      );
      rows.push(addClaimRow(gateways, plan.addClaimPerGateway, r.file, r.pg, pg.skip));
    }
    // The same 4 gateways at a steady rate: each waits behind the others' turns only when
    // they happen to meet, as gateways at real rates (a few adds a minute) do.
    log("stores: add→claim, 4 gateways at a steady rate…");
    const paced = await both((kind) =>
      addClaim(freshSpec(home, kind, pg.server), 4, plan.addClaimPerGateway, home.env, true),
    );
    rows.push(addClaimRow(4, plan.addClaimPerGateway, paced.file, paced.pg, pg.skip, true));
    log("stores: add on one gateway → claimed by another…");
    const cross = await both((kind) =>
      crossGateway(freshSpec(home, kind, pg.server), plan.addClaimPerGateway, home.env),
    );
    rows.push(crossGatewayRow(plan.addClaimPerGateway, cross.file, cross.pg, pg.skip));
    log("stores: claims per second, 8 workers…");
    const t = await both((kind) =>
      claimThroughput(freshSpec(home, kind, pg.server), 8, plan.claimsPerWorker, home.env),
    );
    rows.push(throughputRow(8, t.file, t.pg, pg.skip));
    const capacity = fileCapacity();
    for (const tasks of plan.sizes) {
      log(`stores: add, claim, status view at ${tasks} tasks…`);
      const fileTasks = Math.min(tasks, capacity);
      const file = await measureSized(
        freshSpec(home, "file", null),
        home,
        fileTasks,
        plan.sizedOps.file,
      );
      const fileNote =
        fileTasks < tasks
          ? `${tasks.toLocaleString("en")} tasks do not fit the file store's ${MAX_QUEUE_BYTES / 1024 / 1024} MiB cap (about ${capacity.toLocaleString("en")} of these tasks do, with room to add); the file figure is at ${fileTasks.toLocaleString("en")}`
          : "";
      const db = pg.server
        ? await measureSized(
            freshSpec(home, "postgres", pg.server),
            home,
            tasks,
            plan.sizedOps.postgres,
          )
        : null;
      const viewNote = `buildPageView (the page's document) right after a change, when the page re-reads; ${plan.sizedOps.postgres} PG / ${plan.sizedOps.file} file rounds of add, claim, settle, view`;
      rows.push(...sizedRows(tasks, file, fileNote, viewNote, db, pg.skip));
    }
    return rows;
  } finally {
    await closeStores();
    await pg.server?.stop();
  }
}
