/**
 * A gateway frozen past its lease on a shared PostgreSQL queue (SIGSTOP: a laptop lid closed
 * with a run in flight). Two gateway processes — each its own state folder, so its own
 * identity — run the plugin's dispatch loop on one queue. The first starts a task and freezes;
 * once its lease has run out the second settles that run as interrupted and runs the task
 * again (the next attempt). Woken (SIGCONT), the first finds its own run finished on its host,
 * but the task is no longer its attempt: it publishes nothing — the queue is unchanged by every
 * tick it makes after waking.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PgServer } from "../../lib/postgres-server.ts";
import type { Queue, Task } from "../../dist/core/queue-model.js";
import { cli, DRIVER, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import type { GatewayJob } from "./lib/gateway-loop.ts";
import {
  migrateNow,
  noPostgres,
  type PgSandbox,
  pgSandbox,
  readPgQueue,
  startServer,
} from "./lib/pg.ts";

const LEASE_S = 10;
const QUEUE = "frozen";
let server: PgServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (noPostgres) return;
  server = await startServer();
  await migrateNow(server, QUEUE);
}, 180_000);
afterAll(async () => {
  for (const c of children) {
    c.kill("SIGCONT");
    c.kill("SIGKILL");
  }
  await server?.stop();
  removeSandboxes();
});

interface Line {
  tick?: number;
  at: number;
  frozenBefore?: boolean;
  dispatched?: string | null;
  freezing?: boolean;
  woke?: boolean;
  gateway?: string;
}

const lines = (log: string): Line[] =>
  existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Line)
    : [];

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startGateway(s: PgSandbox, freezeWhenRunning?: number): { log: string; stop: string } {
  const job: GatewayJob = {
    kind: "gateway",
    workspace: s.workspace,
    stateDir: s.stateDir,
    log: path.join(s.root, "gateway.log"),
    stopFile: path.join(s.root, "stop"),
    tickMs: 300,
    finishRuns: true,
    ...(freezeWhenRunning !== undefined ? { freezeWhenRunning } : {}),
  };
  const child = spawn(process.execPath, [DRIVER, JSON.stringify(job)], {
    env: s.env,
    stdio: "ignore",
  });
  children.push(child);
  return { log: job.log, stop: job.stopFile };
}

const taskIn = async (id: string): Promise<{ queue: Queue; task: Task }> => {
  const queue = await readPgQueue(server, QUEUE);
  return { queue, task: queue.tasks.find((t) => t.id === id)! };
};

describe.skipIf(noPostgres)("a gateway frozen past its lease on PostgreSQL", () => {
  test("another recovers its task; woken, it publishes nothing", async () => {
    const policy = {
      maxConcurrent: 1,
      retry: { baseDelayMs: 1000 },
      store: { gatewayLeaseSeconds: LEASE_S },
    };
    const a = pgSandbox("frozen-a", server, QUEUE, policy);
    const b = pgSandbox("frozen-b", server, QUEUE, policy);
    // Idempotent: a run whose gateway is gone may have acted, and only a task safe to repeat is
    // run again (any other goes to review — the recovering gateway cannot see the lost run).
    const added = await cli(a, ["add", "--idempotent", "a run the frozen gateway started"]);
    expect(added.code, added.stderr).toBe(0);
    const id = (JSON.parse(added.stdout) as { task: { id: string } }).task.id;

    const ga = startGateway(a, 1);
    const frozeAt = (
      await until("the first gateway to start the task and freeze", () =>
        lines(ga.log).find((l) => l.freezing),
      )
    ).at;
    const frozen = await taskIn(id);
    expect(frozen.task).toMatchObject({ state: "running", attempts: 1 });
    const frozenOwner = frozen.task.run!.owner;

    const gb = startGateway(b);
    const recovered = await until("the second gateway to finish the task", async () => {
      const { task } = await taskIn(id);
      return task.state === "done" ? task : undefined;
    }).catch(async (err: Error) => {
      // What each side believed: the gateways the store knows, and the task.
      const doctor = await cli(b, ["doctor"]);
      const seen = (JSON.parse(doctor.stdout) as { store: unknown }).store;
      const { task } = await taskIn(id);
      throw new Error(`${err.message}\n${JSON.stringify(seen)}\n${JSON.stringify(task)}`);
    });
    const recoveredMs = Date.now() - frozeAt;
    expect(recovered.attempts).toBe(2);
    expect(recovered.run!.owner).not.toBe(frozenOwner);
    // Not before the lease ran out: a slow gateway is not a gone one.
    expect(recoveredMs).toBeGreaterThanOrEqual(LEASE_S * 1000);
    const before = await readPgQueue(server, QUEUE);
    writeFileSync(gb.stop, "");

    const child = children[0]!;
    child.kill("SIGCONT");
    await until("three ticks of the woken gateway", () => {
      const after = lines(ga.log).filter((l) => l.frozenBefore === true);
      return after.length >= 3 ? after : undefined;
    });
    writeFileSync(ga.stop, "");
    const after = await readPgQueue(server, QUEUE);
    // It published nothing: same revision, same task, same history.
    expect(after.revision).toBe(before.revision);
    expect(after.tasks).toEqual(before.tasks);
    expect(after.history).toEqual(before.history);
    const outcomes = after.history.filter((h) => h.task_id === id).map((h) => h.outcome);
    await recordFigure("pg-gateway-frozen-past-lease", {
      store: "postgres",
      lease_s: LEASE_S,
      recovered_after_ms: recoveredMs,
      attempts: recovered.attempts,
      history: outcomes,
      woken_ticks_published: after.revision - before.revision,
    });
  }, 300_000);
});
