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

export type WorkerMode = "add-claim" | "add-claim-paced" | "claim" | "add-paced" | "watch-claim";

export interface StoreWorkerReport {
  worker: number;
  addMs: number[];
  claimMs: number[];
  /** add start → claim committed, for add-claim. */
  addClaimMs: number[];
  /** add-paced: each task's add call, and watch-claim: each claim's commit, on the shared clock. */
  addedAt: Record<string, number>;
  claimedAt: Record<string, number>;
  claimed: number;
  /** Claims that found no due task (another gateway took it first). */
  empty: number;
  errors: string[];
  /** performance.timeOrigin + now at the first and last operation, for a shared wall clock. */
  startedAt: number;
  endedAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
const wallNow = (): number => performance.timeOrigin + performance.now();

/** add-paced: adds only, a task every ~PACED_ROUND_MS, each add's call time kept by task id. */
async function addPaced(store: QueueStore, r: StoreWorkerReport, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    try {
      const at = wallNow();
      const start = performance.now();
      const id = await addOne(store, `gateway ${r.worker} task ${i}`);
      r.addMs.push(performance.now() - start);
      r.addedAt[id] = at;
    } catch (err) {
      r.errors.push((err as Error).message);
    }
    await sleep(PACED_ROUND_MS * (0.5 + Math.random()));
  }
}

/**
 * watch-claim: a free gateway that never polls. It claims only when the store says the queue
 * changed (the database's LISTEN/NOTIFY, the file's folder watch), every due task each time,
 * until it has `count` claims or waited `idleMs` without one.
 */
function watchClaim(
  store: QueueStore,
  r: StoreWorkerReport,
  count: number,
  owner: string,
  idleMs = 30_000,
): Promise<void> {
  return new Promise((resolve) => {
    let running = false;
    let again = false;
    let idle: NodeJS.Timeout;
    const finish = (): void => {
      clearTimeout(idle);
      stop();
      resolve();
    };
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(finish, idleMs);
    };
    const drain = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          for (
            let id = await claimNext(store, owner);
            id !== null;
            id = await claimNext(store, owner)
          ) {
            r.claimedAt[id] = wallNow();
            r.claimed += 1;
            armIdle();
            await settle(store, id);
          }
        } catch (err) {
          r.errors.push((err as Error).message);
        }
      } while (again && r.claimed < count);
      running = false;
      if (r.claimed >= count) finish();
    };
    const stop = store.watch(() => void drain());
    armIdle();
  });
}

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
    addedAt: {},
    claimedAt: {},
    claimed: 0,
    empty: 0,
    errors: [],
    startedAt: performance.timeOrigin + performance.now(),
    endedAt: 0,
  };
  if (mode === "add-paced") await addPaced(store, r, count);
  if (mode === "watch-claim") await watchClaim(store, r, count, owner);
  const rounds = mode === "add-paced" || mode === "watch-claim" ? 0 : count;
  for (let i = 0; i < rounds; i++) {
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
// A watcher listens before "go" (a LISTEN connection or a folder watch takes a moment to arm).
const unwatch = mode === "watch-claim" ? store.watch(() => undefined) : null;
if (unwatch) await sleep(1000);
process.send({ ready: true });
process.once("message", () => {
  void work(store, mode as WorkerMode, Number(worker), Number(count)).then((report) =>
    process.send!({ report }, () => process.exit(0)),
  );
});
