/**
 * One "gateway" of the store rows (a child process of stores.ts): its own store instance on
 * the shared queue, started together with the others on "go". `add-claim` adds a task then
 * claims the best due one, timing each; `claim` only claims (from a seeded queue). Every
 * claimed task is then settled, untimed, so the tasks in flight stay few as in real use.
 */
import { performance } from "node:perf_hooks";
import type { QueueStore } from "../src/store/port.js";
import {
  addOne,
  claimNext,
  openSpec,
  PACED_ROUND_MS,
  settle,
  type StoreSpec,
} from "./store-ops.js";

export type WorkerMode = "add-claim" | "add-claim-paced" | "claim";

export interface StoreWorkerReport {
  worker: number;
  addMs: number[];
  claimMs: number[];
  /** add start → claim committed, for add-claim. */
  addClaimMs: number[];
  claimed: number;
  /** Claims that found no due task (another gateway took it first). */
  empty: number;
  errors: string[];
  /** performance.timeOrigin + now at the first and last operation, for a shared wall clock. */
  startedAt: number;
  endedAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

async function work(
  store: QueueStore,
  mode: WorkerMode,
  worker: number,
  count: number,
): Promise<StoreWorkerReport> {
  const owner = `bench-gateway-${worker}`;
  const r: StoreWorkerReport = {
    worker,
    addMs: [],
    claimMs: [],
    addClaimMs: [],
    claimed: 0,
    empty: 0,
    errors: [],
    startedAt: performance.timeOrigin + performance.now(),
    endedAt: 0,
  };
  for (let i = 0; i < count; i++) {
    try {
      const start = performance.now();
      const adds = mode !== "claim";
      if (adds) await addOne(store, `gateway ${worker} task ${i}`);
      const added = performance.now();
      const id = await claimNext(store, owner);
      const end = performance.now();
      if (adds) {
        r.addMs.push(added - start);
        r.addClaimMs.push(end - start);
      }
      r.claimMs.push(end - added);
      if (id === null) r.empty += 1;
      else {
        r.claimed += 1;
        await settle(store, id);
      }
    } catch (err) {
      r.errors.push((err as Error).message);
    }
    if (mode === "add-claim-paced") await sleep(PACED_ROUND_MS * (0.5 + Math.random()));
  }
  r.endedAt = performance.timeOrigin + performance.now();
  await store.close();
  return r;
}

const [spec, mode, worker, count] = process.argv.slice(2);
if (!spec || !process.send)
  throw new Error("store-worker is started by the store bench (fork with IPC)");
// Opened and used once before "go", so a pool's first connection and the schema check are not timed.
const store = openSpec(JSON.parse(spec) as StoreSpec);
await store.read({ tasks: "none" });
process.send({ ready: true });
process.once("message", () => {
  void work(store, mode as WorkerMode, Number(worker), Number(count)).then((report) =>
    process.send!({ report }, () => process.exit(0)),
  );
});
