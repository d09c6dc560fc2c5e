import path from "node:path";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";

/**
 * Benchmark knobs, all from the environment so `npm run bench` needs no arguments:
 * - TASK_MANAGER_BENCH_QUICK=1   tiny iteration counts, no host (the test suite uses this);
 * - TASK_MANAGER_BENCH_SCALE=x   multiplies every iteration count (default 1; 0.2 for a smoke run);
 * - TASK_MANAGER_BENCH_SKIP_HOST=1  skip the rows that need a real host (`clawdbot sessions`, the OpenClaw gateway);
 * - TASK_MANAGER_BENCH_OUT=file  where the JSON goes (default bench-results.json in the repo);
 * - TASK_MANAGER_BENCH_ONLY=a,b  only these groups of rows (default all): cli, inprocess, page,
 *   contention, stores, openclaw, resume.
 */
export interface BenchOptions {
  quick: boolean;
  scale: number;
  skipHost: boolean;
  out: string;
  /** The groups of rows to run (TASK_MANAGER_BENCH_ONLY); null: all. */
  only: string[] | null;
  /** Pairs of interleaved CLI runs (check vs `node -e 0`). */
  cliPairs: number;
  /** Pairs of interleaved runs against the host's session check (~2 s each). */
  hostPairs: number;
  /** Max-RSS samples of a CLI check (and of `node -e 0`). */
  memoryRuns: number;
  /** Queue sizes for the in-process check, with the ticks timed at each. */
  inProcess: { tasks: number; ticks: number }[];
  /** Concurrent adders and adds per adder. */
  adders: number;
  addsPerAdder: number;
  /** Interleaved pairs of config loads (ours vs cosmiconfig's), in-process. */
  configLoadPairs: number;
  /** Tasks in the queue the CLI checks. */
  cliQueueTasks: number;
  /** Requests to the status endpoint at each queue size. */
  statusRequests: number;
  /** How long an idle `serve` with one open page is watched for CPU use. */
  idleWindowMs: number;
  /** The OpenClaw gateway row: window length, window pairs (without/with a page), settle time after start. */
  gatewayWindowMs: number;
  gatewayPairs: number;
  gatewaySettleMs: number;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}".`);
  return value;
}

export function benchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = env.TASK_MANAGER_BENCH_QUICK === "1";
  const scale = quick ? 0.05 : envNumber(env, "TASK_MANAGER_BENCH_SCALE", 1);
  // Never fewer than 3 samples: a median of one run says nothing about spread.
  const n = (base: number): number => Math.max(3, Math.round(base * scale));
  return {
    quick,
    scale,
    skipHost: quick || env.TASK_MANAGER_BENCH_SKIP_HOST === "1",
    only: benchGroups(env.TASK_MANAGER_BENCH_ONLY),
    out: path.resolve(env.TASK_MANAGER_BENCH_OUT ?? path.join(PACKAGE_ROOT, "bench-results.json")),
    cliPairs: n(40),
    hostPairs: n(5),
    memoryRuns: n(10),
    inProcess: [
      { tasks: 10, ticks: n(3000) },
      { tasks: 1000, ticks: n(1000) },
      { tasks: quick ? 2000 : 10_000, ticks: n(150) },
    ],
    adders: 8,
    addsPerAdder: n(25),
    configLoadPairs: n(400),
    cliQueueTasks: 100,
    statusRequests: n(300),
    idleWindowMs: quick ? 2000 : Math.max(5000, Math.round(30_000 * scale)),
    gatewayWindowMs: Math.max(10_000, Math.round(60_000 * scale)),
    gatewayPairs: n(4),
    gatewaySettleMs: Math.max(10_000, Math.round(30_000 * scale)),
  };
}

/** Every group of rows `npm run bench` has, in the order it runs them. */
export const BENCH_GROUPS = [
  "cli",
  "inprocess",
  "page",
  "contention",
  "stores",
  "openclaw",
  "resume",
];

function benchGroups(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === "") return null;
  const groups = raw.split(",").map((g) => g.trim());
  const unknown = groups.filter((g) => !BENCH_GROUPS.includes(g));
  if (unknown.length > 0)
    throw new Error(
      `TASK_MANAGER_BENCH_ONLY: unknown group ${unknown.join(", ")}; the groups are ${BENCH_GROUPS.join(", ")}.`,
    );
  return groups;
}
