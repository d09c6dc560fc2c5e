import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { emptyQueue } from "../src/core/queue-model.js";
import type { Queue, Task } from "../src/core/queue-model.js";
import { addTask, claimTask } from "../src/core/tasks.js";
import { createContext } from "../src/runtime/context.js";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { EVERYTHING } from "../src/core/views.js";

/** The real host installed by scripts/install-hosts.sh, if it is there. */
export const HOST_ENTRY = path.join(
  PACKAGE_ROOT,
  ".cache/clawdbot-host/node_modules/clawdbot/dist/entry.js",
);

/** A private HOME with a Clawdbot state dir and a workspace; nothing outside it is read. */
export interface BenchHome {
  root: string;
  stateDir: string;
  sessionsDir: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** True when `clawdbot setup` made it (so the host CLI can run against it). */
  hostReady: boolean;
  dispose(): void;
}

/**
 * Environment for every child: the caller's, minus anything that would point at a real host or
 * change how Node or the host behaves, plus a private HOME. Node's own directory comes first in
 * PATH so the host's `#!/usr/bin/env node` respawn uses the same Node as everything else.
 */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k.startsWith("VITEST") ||
      k.startsWith("CLAWDBOT_") ||
      k.startsWith("TASK_MANAGER_") ||
      k === "NODE_ENV" ||
      k === "NODE_OPTIONS"
    )
      continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    NO_COLOR: "1",
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
  };
}

/** Makes the private home; with `withHost`, lets the real host set it up (about 2 s). */
export function makeHome(withHost: boolean): BenchHome {
  const root = mkdtempSync(path.join(os.tmpdir(), "tm-bench-"));
  const stateDir = path.join(root, ".clawdbot");
  const workspace = path.join(root, "workspace");
  const env = isolatedEnv(root);
  let hostReady = false;
  if (withHost && existsSync(HOST_ENTRY)) {
    const r = spawnSync(process.execPath, [HOST_ENTRY, "setup", "--workspace", workspace], {
      env,
      encoding: "utf8",
      timeout: 120_000,
    });
    if (r.status !== 0)
      throw new Error(`clawdbot setup failed (${r.status}): ${r.stderr}${r.stdout}`);
    hostReady = true;
  }
  const sessionsDir = path.join(stateDir, "agents", "main", "sessions");
  mkdirSync(sessionsDir, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  return {
    root,
    stateDir,
    sessionsDir,
    workspace,
    env,
    hostReady,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A lived-in sessions store: the main session plus three busy sub-agents (last transcript line
 * is the user's turn), so both task-manager and `clawdbot sessions` have real entries to read.
 */
export function writeSessions(home: BenchHome, nowMs: number): void {
  const store: Record<
    string,
    { sessionId: string; updatedAt: number; model: string; label?: string }
  > = {
    "agent:main:main": {
      sessionId: "s-main",
      updatedAt: nowMs - 60_000,
      model: "fake/expensive-large",
    },
  };
  for (let i = 1; i <= 3; i++) {
    const sessionId = `s-sub-${i}`;
    store[`agent:main:subagent:bench-${i}`] = {
      sessionId,
      updatedAt: nowMs - i * 1000,
      model: "fake/cheap-flash",
      label: `bench-${i}`,
    };
    const line = {
      type: "message",
      message: { role: "user", content: [{ type: "text", text: `sub-agent task ${i}` }] },
    };
    writeFileSync(path.join(home.sessionsDir, `${sessionId}.jsonl`), `${JSON.stringify(line)}\n`);
  }
  writeFileSync(
    path.join(home.sessionsDir, "sessions.json"),
    `${JSON.stringify(store, null, 2)}\n`,
  );
}

/** `count` pending tasks made by the core's own addTask, so they are exactly what `add` writes. */
export function pendingTasks(count: number, nowMs: number): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const id = `t_bench${i.toString(36).padStart(6, "0")}`;
    const r = addTask(
      emptyQueue(),
      {
        prompt: `Resume bench task ${i}: summarise the notes in memory/notes-${i}.md`,
        priority: 1 + (i % 5),
        source: "bench",
      },
      nowMs - (count - i) * 1000,
      id,
    );
    tasks.push(r.task);
  }
  return tasks;
}

/**
 * Writes a queue of `count` tasks whose first is claimed under a long lease. With the default
 * maxConcurrent of 1 every check is then DEFERRED/concurrency_limit and writes nothing: the
 * realistic idle heartbeat tick, identical on every repetition.
 */
export async function seedDeferredQueue(home: BenchHome, count: number): Promise<string> {
  const nowMs = Date.now();
  const ctx = await createContext({ workspace: home.workspace, deps: { env: home.env } });
  await ctx.store.mutate(EVERYTHING, () => {
    const base: Queue = { ...emptyQueue(), tasks: pendingTasks(count, nowMs) };
    const first = base.tasks[0];
    const queue = first
      ? claimTask(
          base,
          first,
          { token: "bench", model: ctx.policy.models[0]!, leaseSeconds: 6 * 3600 },
          nowMs,
        ).queue
      : base;
    return { queue, result: null };
  });
  return ctx.store.location;
}
