/**
 * Test-only worker for the reliability suite, run as `node driver.ts '<job json>'` (Node strips
 * the types). It drives the built package in dist/ exactly as the CLI and plugin do — same
 * context, same store, same lock — and reports one JSON line on stdout. Jobs:
 *  - hammer: M operations (add / check that claims / ack / remove) for the contention test;
 *  - add, dispatch: one step of the crash tests (a crash point may kill it part-way);
 *  - loop: add + dispatch forever, until the test kills it at a random moment;
 *  - pg-hammer: the hammer on a PostgreSQL queue several hosts share, surviving outages;
 *  - gateway: a plugin's dispatch loop (heartbeat, settle, claim, spawn) until told to stop.
 * TM_PG_CRASH_AT / TM_PG_PAUSE_AT put fault points inside the PostgreSQL store's transactions
 * (lib/pg-faults.ts), beside the package's own TASK_MANAGER_CRASH_AT points between them.
 */
import { createContext, type Context } from "../../dist/runtime/context.js";
import { dispatchOnce } from "../../dist/runtime/dispatch.js";
import * as ops from "../../dist/runtime/operations.js";
import { appendLine, FakeGateway } from "./lib/fake-gateway.ts";
import { trackHolders, type HolderStats } from "./lib/holders.ts";
import { runHammer, type HammerJob } from "./lib/hammer.ts";
import { runGateway, type GatewayJob } from "./lib/gateway-loop.ts";
import { installPgFaults } from "./lib/pg-faults.ts";
import { runPgHammer, type PgHammerJob } from "./lib/pg-hammer.ts";

interface StepJob {
  kind: "add" | "dispatch" | "loop";
  workspace: string;
  /** Shifts this process's clock (lease expiry without waiting); steps use increasing offsets. */
  clockOffsetMs?: number;
  prompt?: string;
  /** Acknowledged adds are appended here only after the store confirmed the write. */
  ackLog: string;
  holdersDir: string;
}

type Job = StepJob | HammerJob | PgHammerJob | GatewayJob;

async function context(workspace: string, clockOffsetMs = 0): Promise<Context> {
  return createContext({ workspace, deps: { now: () => Date.now() + clockOffsetMs } });
}

async function addStep(ctx: Context, job: StepJob, prompt: string): Promise<string> {
  const r = await ops.addTask(ctx, { prompt, source: "reliability" });
  appendLine(job.ackLog, JSON.stringify({ added: r.task.id, pid: process.pid }));
  return r.task.id;
}

/** A dispatch, retried while the lock is busy (a killed holder's lock is stale for 2 s). */
async function dispatchStep(ctx: Context): Promise<Awaited<ReturnType<typeof dispatchOnce>>> {
  const gateway = new FakeGateway(process.env.CLAWDBOT_STATE_DIR ?? "");
  for (let i = 0; ; i++) {
    const status = await dispatchOnce(ctx, gateway, { lockWaitMs: 5000 });
    if (status.status !== "DEFERRED" || status.reason !== "locked" || i >= 20) return status;
  }
}

async function step(job: StepJob, holders: HolderStats): Promise<unknown> {
  const ctx = await context(job.workspace, job.clockOffsetMs);
  if (job.kind === "add")
    return {
      added: await addStep(ctx, job, job.prompt ?? `task ${process.pid}`),
      acquiredAt: holders.firstAcquiredAt,
    };
  if (job.kind === "dispatch")
    return { ...(await dispatchStep(ctx)), acquiredAt: holders.firstAcquiredAt };
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  // The test kills this loop within a second; if the test itself died first, do not run on.
  const parent = process.ppid;
  const deadline = Date.now() + 30_000;
  for (let i = 0; process.ppid === parent && Date.now() < deadline; i++) {
    await addStep(ctx, job, `loop ${process.pid} #${i}`);
    await dispatchStep(ctx);
  }
  return { orphaned: true };
}

async function run(job: Job): Promise<{ result: unknown; holders: HolderStats | null }> {
  if (job.kind === "pg-hammer") return { result: await runPgHammer(job), holders: null };
  if (job.kind === "gateway") return { result: await runGateway(job), holders: null };
  const holders = trackHolders(job.holdersDir, job.kind === "hammer" && job.mode === "nolock");
  const result = job.kind === "hammer" ? await runHammer(job) : await step(job, holders);
  return { result, holders };
}

async function main(): Promise<void> {
  installPgFaults();
  const job = JSON.parse(process.argv[2] ?? "{}") as Job;
  const { result, holders } = await run(job);
  process.stdout.write(
    `${JSON.stringify({ ...(result as object), pid: process.pid, maxHolders: holders?.maxHolders ?? 0 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `driver failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 3;
});
