import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createContext } from "../src/runtime/context.js";
import type { WorkerReport } from "./add-worker.js";
import { compiledEntry } from "./entries.js";
import type { BenchHome } from "../lib/bench-home.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { formatMs, round, roundSummary, summarize } from "./statistics.js";

interface Adder {
  child: ChildProcess;
  ready: Promise<void>;
  done: Promise<WorkerReport>;
}

function startWorker(
  worker: string,
  workspace: string,
  index: number,
  count: number,
  env: NodeJS.ProcessEnv,
): Adder {
  const child = fork(worker, [workspace, String(index), String(count)], {
    env,
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  let markReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const done = new Promise<WorkerReport>((resolve, reject) => {
    child.on("message", (m: { ready?: boolean; report?: WorkerReport }) => {
      if (m.ready) markReady();
      if (m.report) resolve(m.report);
    });
    const fail = (err: Error): void => {
      failReady(err);
      reject(err);
    };
    child.once("exit", (code) =>
      fail(new Error(`adder ${index} exited (${code}) before reporting`)),
    );
    child.once("error", fail);
  });
  // Awaited later; this only keeps an early failure from counting as unhandled meanwhile.
  done.catch(() => undefined);
  return { child, ready, done };
}

/**
 * N processes adding at once to one queue: throughput, the wait for the lock, and the proof
 * that nothing was lost — the tasks are counted in the file afterwards, by their unique keys.
 */
export async function contentionRow(opts: BenchOptions, home: BenchHome): Promise<Row> {
  const workspace = path.join(home.root, "workspace-contention");
  mkdirSync(workspace, { recursive: true });
  const worker = await compiledEntry("add-worker");
  const workers = Array.from({ length: opts.adders }, (_, i) =>
    startWorker(worker, workspace, i, opts.addsPerAdder, home.env),
  );
  await Promise.all(workers.map((w) => w.ready));
  const start = performance.now();
  for (const w of workers) w.child.send("go");
  const reports = await Promise.all(workers.map((w) => w.done));
  const wallMs = performance.now() - start;
  const expected = opts.adders * opts.addsPerAdder;
  const ctx = await createContext({ workspace, deps: { env: home.env } });
  const { queue } = await ctx.store.read({ tasks: "all" });
  const keys = new Set(queue.tasks.map((t) => t.key));
  const found = Array.from({ length: opts.adders }, (_, w) =>
    Array.from({ length: opts.addsPerAdder }, (_, i) => keys.has(`w${w}-${i}`)),
  )
    .flat()
    .filter(Boolean).length;
  const lost = expected - found;
  const errors = reports.flatMap((r) => r.errors);
  const wait = summarize(reports.flatMap((r) => r.lockWaitMs));
  const op = summarize(reports.flatMap((r) => r.opMs));
  const opsPerSec = (expected / wallMs) * 1000;
  return {
    id: "concurrent_adds",
    measure: `${opts.adders} processes adding at once (${expected} adds)`,
    result: `${opsPerSec.toFixed(0)} adds/s, lock wait p99 ${formatMs(wait.p99)}`,
    reference: `lost ${lost}, errors ${errors.length}`,
    ratio: "",
    target: "0 lost",
    met: lost === 0 && errors.length === 0 && queue.tasks.length === expected,
    note: `lock wait = call → transform running (includes the locked read); per add p50 ${formatMs(op.median)}, p99 ${formatMs(op.p99)}; revision ${queue.revision}${errors.length > 0 ? `; first error: ${errors[0]}` : ""}`,
    data: {
      adders: opts.adders,
      expected,
      found,
      lost,
      errors: errors.length,
      wall_ms: round(wallMs, 1),
      ops_per_sec: round(opsPerSec, 1),
      lock_wait_ms: roundSummary(wait),
      op_ms: roundSummary(op),
    },
  };
}
