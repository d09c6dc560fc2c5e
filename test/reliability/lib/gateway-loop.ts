import { existsSync } from "node:fs";
import { createContext } from "../../../dist/runtime/context.js";
import { dispatchOnce } from "../../../dist/runtime/dispatch.js";
import { EVERYTHING } from "../../../dist/core/views.js";
import { appendLine, FakeGateway } from "./fake-gateway.ts";

/**
 * A gateway's dispatcher as the plugin runs it, reduced to its loop: every `tickMs` a dispatch
 * (heartbeat as a plugin — so `store.gatewayLeaseSeconds` is its lease — settle, claim, spawn,
 * record). Each tick is one JSON line in `log`. With `freezeWhenRunning`, once that many of its
 * own runs are running it stops itself between ticks (SIGSTOP: a laptop lid closed), never
 * inside a transaction; the test wakes it with SIGCONT.
 */
export interface GatewayJob {
  kind: "gateway";
  workspace: string;
  stateDir: string;
  log: string;
  stopFile: string;
  tickMs: number;
  /** false: runs this gateway starts never answer. */
  finishRuns: boolean;
  freezeWhenRunning?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runGateway(job: GatewayJob): Promise<{ ticks: number }> {
  const ctx = await createContext({ workspace: job.workspace });
  const me = ctx.gateway?.id;
  const spawner = new FakeGateway(job.stateDir, "main", job.finishRuns);
  let frozen = false;
  let tick = 0;
  const parent = process.ppid;
  for (; !existsSync(job.stopFile) && process.ppid === parent; tick++) {
    const status = await dispatchOnce(ctx, spawner, { gatewayKind: "plugin", lockWaitMs: 2000 });
    appendLine(
      job.log,
      JSON.stringify({
        tick,
        at: Date.now(),
        frozenBefore: frozen,
        status: status.status,
        code: status.status === "ERROR" ? status.code : null,
        reason: status.status === "DEFERRED" ? status.reason : null,
        dispatched: status.dispatched?.task_id ?? null,
      }),
    );
    if (job.freezeWhenRunning !== undefined && !frozen) {
      const { queue } = await ctx.store.read(EVERYTHING);
      const mine = queue.tasks.filter((t) => t.state === "running" && t.run?.owner === me);
      if (mine.length >= job.freezeWhenRunning) {
        frozen = true;
        appendLine(job.log, JSON.stringify({ freezing: true, at: Date.now(), gateway: me }));
        process.kill(process.pid, "SIGSTOP");
        appendLine(job.log, JSON.stringify({ woke: true, at: Date.now() }));
      }
    }
    await sleep(job.tickMs);
  }
  await ctx.store.close();
  return { ticks: tick };
}
