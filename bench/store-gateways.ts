import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { StoreSpec } from "./store-ops.js";
import type { StoreWorkerReport, WorkerMode } from "./store-worker.js";
import { compiledEntry } from "./entries.js";

interface Gateway {
  child: ChildProcess;
  ready: Promise<void>;
  done: Promise<StoreWorkerReport>;
}

function startGateway(
  worker: string,
  spec: StoreSpec,
  mode: WorkerMode,
  index: number,
  count: number,
  env: NodeJS.ProcessEnv,
): Gateway {
  const child = fork(worker, [JSON.stringify(spec), mode, String(index), String(count)], {
    env,
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  let markReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const done = new Promise<StoreWorkerReport>((resolve, reject) => {
    child.on("message", (m: { ready?: boolean; report?: StoreWorkerReport }) => {
      if (m.ready) markReady();
      if (m.report) resolve(m.report);
    });
    const fail = (err: Error): void => {
      failReady(err);
      reject(err);
    };
    child.once("exit", (code) =>
      fail(new Error(`store gateway ${index} exited (${code}) before reporting`)),
    );
    child.once("error", fail);
  });
  // Awaited later; this only keeps an early failure from counting as unhandled meanwhile.
  done.catch(() => undefined);
  ready.catch(() => undefined);
  return { child, ready, done };
}

export interface GatewaysRun {
  reports: StoreWorkerReport[];
  /** "go" → the last gateway's last operation. */
  wallMs: number;
}

/**
 * `gateways` processes, each with its own store on the queue `spec` names, started together
 * (all in one mode, or gateway i in `mode[i]`):
 * the file store's gateways share one machine-local file, the database's one queue.
 */
export async function runGateways(
  spec: StoreSpec,
  mode: WorkerMode | readonly WorkerMode[],
  gateways: number,
  count: number,
  env: NodeJS.ProcessEnv,
): Promise<GatewaysRun> {
  const worker = await compiledEntry("store-worker");
  const modeOf = (i: number): WorkerMode => (typeof mode === "string" ? mode : mode[i]!);
  const started = Array.from({ length: gateways }, (_, i) =>
    startGateway(worker, spec, modeOf(i), i, count, env),
  );
  try {
    await Promise.all(started.map((g) => g.ready));
    const go = performance.timeOrigin + performance.now();
    for (const g of started) g.child.send("go");
    const reports = await Promise.all(started.map((g) => g.done));
    return { reports, wallMs: Math.max(...reports.map((r) => r.endedAt)) - go };
  } finally {
    for (const g of started) if (g.child.exitCode === null) g.child.kill();
  }
}
