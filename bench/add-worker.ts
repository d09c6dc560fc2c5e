/**
 * One of the concurrent adders (a child process of the contention bench). Waits for "go" so
 * all adders start together, then adds its tasks one locked change at a time and reports, per
 * add, the wait for the lock (call → transform running, which includes the locked read) and the
 * whole operation.
 */
import { performance } from "node:perf_hooks";
import { addTask } from "../src/core/tasks.js";
import { createContext } from "../src/runtime/context.js";

export interface WorkerReport {
  worker: number;
  added: number;
  duplicates: number;
  lockWaitMs: number[];
  opMs: number[];
  errors: string[];
}

async function work(workspace: string, worker: number, count: number): Promise<WorkerReport> {
  const ctx = await createContext({ workspace });
  const report: WorkerReport = {
    worker,
    added: 0,
    duplicates: 0,
    lockWaitMs: [],
    opMs: [],
    errors: [],
  };
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    let locked = start;
    try {
      const prompt = `adder ${worker} task ${i}`;
      const key = `w${worker}-${i}`;
      const { result } = await ctx.store.mutate(
        { tasks: "duplicates", prompt, source: "bench", key },
        (queue) => {
          locked = performance.now();
          const r = addTask(
            queue,
            { prompt, source: "bench", key },
            ctx.deps.now(),
            ctx.deps.newId(),
          );
          return { queue: r.queue, result: r.kind };
        },
        { waitMs: 30_000 },
      );
      if (result === "added") report.added += 1;
      else report.duplicates += 1;
    } catch (err) {
      report.errors.push((err as Error).message);
    }
    report.opMs.push(performance.now() - start);
    report.lockWaitMs.push(locked - start);
  }
  return report;
}

const [workspace, worker, count] = process.argv.slice(2);
if (!workspace || !process.send)
  throw new Error("add-worker is started by the contention bench (fork with IPC)");
process.send({ ready: true });
process.once("message", () => {
  void work(workspace, Number(worker), Number(count)).then((report) =>
    process.send!({ report }, () => process.exit(0)),
  );
});
