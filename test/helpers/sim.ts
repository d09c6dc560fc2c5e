import {
  runCheckTransform,
  runKey,
  type CheckResult,
  type RunOutcome,
} from "../../src/core/check.js";
import type { Observation } from "../../src/core/decide.js";
import type { Queue } from "../../src/core/queue-model.js";
import type { SpendEnv } from "../../src/core/spend.js";
import type { StatusObject } from "../../src/core/status.js";
import { ackTask } from "../../src/core/tasks.js";
import type { Policy } from "../../src/policy/schema.js";
import { fixedRandom, idle } from "./fixtures.js";

/** A seeded generator (mulberry32): the same runs every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimRun {
  taskId: string;
  model: string;
  startedMs: number;
  endedMs: number | null;
  input: number;
  output: number;
}

export interface Tick {
  nowMs: number;
  status: StatusObject;
}

/**
 * The heartbeat over a simulated clock: every `tickMs` a check runs (the pure transform, as the
 * runtime calls it); a READY is spawned at once (acked), and each run ends `runMs` later, done,
 * with the usage `usageOf` gives it (as the host would record it: tokens, no cost).
 */
export function simulate(opts: {
  queue: Queue;
  policy: Policy;
  fromMs: number;
  toMs: number;
  tickMs: number;
  runMs: number;
  env: SpendEnv;
  usageOf: (run: SimRun) => { input: number; output: number };
  obs?: Partial<Observation>;
}): { queue: Queue; ticks: Tick[]; runs: SimRun[] } {
  let queue = opts.queue;
  const ticks: Tick[] = [];
  const runs: SimRun[] = [];
  const running = new Map<string, SimRun>();
  let token = 0;
  for (let now = opts.fromMs; now <= opts.toMs; now += opts.tickMs) {
    const outcomes = new Map<string, RunOutcome>();
    for (const task of queue.tasks) {
      if (task.state !== "running") continue;
      const run = running.get(task.id)!;
      if (now - run.startedMs < opts.runMs) continue;
      run.endedMs = now;
      outcomes.set(runKey(task), {
        status: "done",
        model: run.model,
        usage: { input: run.input, output: run.output, cacheRead: 0, cacheWrite: 0, costUsd: null },
      });
    }
    const r: CheckResult = runCheckTransform({
      queue,
      policy: opts.policy,
      observation: { ...idle, ...opts.obs, spend: opts.env },
      outcomes,
      nowMs: now,
      random: fixedRandom,
      newToken: () => `tok${++token}`,
      host: { kind: "none", state_dir: null, sessions_store: null },
      workspace: "/w",
    });
    queue = r.queue;
    ticks.push({ nowMs: now, status: r.status });
    if (r.status.status === "READY") {
      const id = r.status.task.id;
      const run: SimRun = {
        taskId: id,
        model: r.status.recommendation.model,
        startedMs: now,
        endedMs: null,
        input: 0,
        output: 0,
      };
      Object.assign(run, opts.usageOf(run));
      running.set(id, run);
      runs.push(run);
      queue = ackTask(
        queue,
        id,
        {
          runId: `run-${runs.length}`,
          sessionKey: `agent:main:subagent:sim-${runs.length}`,
          model: run.model,
        },
        now,
      ).queue;
    }
  }
  return { queue, ticks, runs };
}
