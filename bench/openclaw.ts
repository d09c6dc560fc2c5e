import path from "node:path";
import { openclawHost } from "../src/host/openclaw/adapter.js";
import { CLI } from "./cli.js";
import { compiledEntry } from "./entries.js";
import { makeHome, seedDeferredQueue } from "../lib/bench-home.js";
import {
  NODE24,
  OPENCLAW_ENTRY,
  openclawInstalled,
  startBenchGateway,
  startForeignRuns,
  type BenchGateway,
} from "./gateway.js";
import type { BenchOptions } from "./options.js";
import { interleave, type Command } from "./proc.js";
import { type Row, skippedRow } from "./report.js";
import { formatSpread, roundSummary, summarize } from "./statistics.js";

const ms = (v: number): string => `${v.toFixed(v < 100 ? 1 : 0)} ms`;

/**
 * The OpenClaw rows, all against one real OpenClaw 2026.9.6 gateway on Node 24 with three busy
 * sub-agent runs of someone else's and this package loaded as its plugin:
 * - the skill-mode CLI check on Node 24, against `node -e 0` on the same Node;
 * - how the check observes the host: a read-only look at its SQLite (what it does) against the
 *   alternative, a WebSocket `sessions.list` call to the gateway from a fresh process;
 * - the plugin's idle tick inside the gateway: CPU time per tick, and model requests (none).
 */
export async function openclawRows(opts: BenchOptions, log: (m: string) => void): Promise<Row[]> {
  const ids = [
    "openclaw_cli_check_vs_node24",
    "openclaw_observe_sqlite_vs_rpc",
    "openclaw_idle_tick",
  ] as const;
  if (opts.skipHost || !openclawInstalled()) {
    const why = opts.skipHost
      ? "skipped (quick mode or TASK_MANAGER_BENCH_SKIP_HOST=1)"
      : `skipped: OpenClaw or Node 24 not installed (${OPENCLAW_ENTRY}; run scripts/install-hosts.sh)`;
    return [
      skippedRow(ids[0], "OpenClaw: CLI check on Node 24", "≤ 1.3×", why),
      skippedRow(ids[1], "OpenClaw: observing the host", "", why),
      skippedRow(ids[2], "OpenClaw: idle plugin tick", "0 requests", why),
    ];
  }
  log("OpenClaw: starting a private gateway (tens of seconds)…");
  // Its own workspace's queue is empty: the plugin's ticks are idle; the CLI checks another one.
  const gw = await startBenchGateway(
    {
      schedule: "*/1 * * * * *",
      models: ["fake/cheap-flash"],
      loadThreshold: 100,
      minFreeMemoryMB: 0,
    },
    async () => undefined,
  );
  try {
    await startForeignRuns(gw, 3);
    await waitBusy(gw, 3);
    log("OpenClaw: idle plugin ticks…");
    const tick = await idleTickRow(opts, gw);
    log("OpenClaw: CLI check on Node 24 vs node -e 0, and SQLite vs RPC…");
    return [...(await cliRows(opts, gw)), tick];
  } finally {
    await gw.stop();
  }
}

/** The three foreign runs must be busy in the host's own records before anything is timed. */
async function waitBusy(gw: BenchGateway, count: number): Promise<void> {
  const host = openclawHost(gw.stateDir, null, "main");
  try {
    const deadline = Date.now() + 180_000;
    while ((await host.view().busySubagents(Date.now(), 3_600_000)).length < count) {
      if (Date.now() > deadline)
        throw new Error(`the bench gateway did not show ${count} busy sub-agent runs`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    host.close();
  }
}

async function cliRows(opts: BenchOptions, gw: BenchGateway): Promise<Row[]> {
  const home = makeHome(false);
  try {
    const env: NodeJS.ProcessEnv = {
      ...home.env,
      OPENCLAW_STATE_DIR: gw.stateDir,
      PATH: `${path.dirname(NODE24)}:${process.env.PATH ?? ""}`,
    };
    await seedDeferredQueue({ ...home, env }, opts.cliQueueTasks);
    const floor: Command = { label: "node -e 0 (Node 24)", file: NODE24, args: ["-e", "0"], env };
    const check: Command = {
      label: "task-manager check (Node 24, OpenClaw host)",
      file: NODE24,
      args: [CLI, "check", "-w", home.workspace],
      env,
      verify: expectBusyOpenClaw,
    };
    const rpc: Command = {
      label: "sessions.list over the gateway's WebSocket",
      file: NODE24,
      args: [await compiledEntry("rpc-sessions"), gw.url],
      env: { ...env, TM_BENCH_TOKEN: gw.token },
      verify: expectRpcCount,
    };
    const vsNode = interleave(check, floor, opts.cliPairs);
    const c = summarize(vsNode.a);
    const f = summarize(vsNode.b);
    const vsRpc = interleave(check, rpc, Math.max(3, Math.round(opts.cliPairs / 2)));
    const c2 = summarize(vsRpc.a);
    const r = summarize(vsRpc.b);
    const ratio = c.median / f.median;
    return [
      {
        id: "openclaw_cli_check_vs_node24",
        measure: `OpenClaw: CLI check on Node 24, ${opts.cliQueueTasks}-task queue, 3 busy sub-agents (DEFERRED, no write)`,
        result: formatSpread(c, ms),
        reference: `node -e 0 (Node 24): ${formatSpread(f, ms)}`,
        ratio: `${ratio.toFixed(2)}×`,
        target: "≤ 1.3×",
        met: ratio <= 1.3,
        data: {
          pairs: opts.cliPairs,
          check_ms: roundSummary(c, 2),
          node_ms: roundSummary(f, 2),
          ratio: Number(ratio.toFixed(3)),
        },
      },
      {
        id: "openclaw_observe_sqlite_vs_rpc",
        measure:
          "OpenClaw: the whole check (reads the host's SQLite) vs only observing over the gateway (`sessions.list`, fresh process)",
        result: formatSpread(c2, ms),
        reference: `RPC alone: ${formatSpread(r, ms)}`,
        ratio: `${(r.median / c2.median).toFixed(2)}× slower by RPC`,
        target: "",
        met: null,
        note: "RPC also needs a running gateway and its token; the SQLite read works with the gateway down",
        data: { pairs: vsRpc.a.length, check_ms: roundSummary(c2, 2), rpc_ms: roundSummary(r, 2) },
      },
    ];
  } finally {
    home.dispose();
  }
}

function expectBusyOpenClaw(stdout: string): string | null {
  try {
    const s = JSON.parse(stdout) as {
      status?: string;
      reason?: string;
      active_sessions?: number;
      host?: { kind?: string };
    };
    if (s.host?.kind !== "openclaw")
      return `expected host.kind openclaw, got ${stdout.slice(0, 200)}`;
    return s.status === "DEFERRED" &&
      s.reason === "concurrency_limit" &&
      (s.active_sessions ?? 0) >= 3
      ? null
      : `expected DEFERRED/concurrency_limit with 3 busy sub-agents, got ${stdout.slice(0, 300)}`;
  } catch {
    return `stdout is not one JSON document: ${stdout.slice(0, 300)}`;
  }
}

function expectRpcCount(stdout: string): string | null {
  return /^\d+$/.test(stdout.trim()) && Number(stdout) >= 3
    ? null
    : `expected the session count, got ${stdout.slice(0, 200)}`;
}

/** Samples the plugin's last tick once a second: its CPU time and wall time; model requests meanwhile. */
async function idleTickRow(opts: BenchOptions, gw: BenchGateway): Promise<Row> {
  const samples = Math.max(10, Math.round(60 * opts.scale));
  const requestsBefore = gw.requests().length;
  const cpu: number[] = [];
  const wall: number[] = [];
  let last = "";
  while (cpu.length < samples) {
    await new Promise((r) => setTimeout(r, 1000));
    const status = await gw.client.request<{
      last_tick: {
        at: string;
        cpu_us?: number;
        took_ms?: number;
        results: Array<{ status: string }>;
      } | null;
    }>("task-manager.status", {});
    const t = status.last_tick;
    if (!t || t.at === last || t.cpu_us === undefined) continue;
    last = t.at;
    if (t.results[0]?.status !== "NO_TASKS")
      throw new Error(`expected idle ticks, got ${JSON.stringify(t.results[0])}`);
    cpu.push(t.cpu_us / 1000);
    wall.push(t.took_ms ?? 0);
  }
  const requests = gw.requests().length - requestsBefore;
  const c = summarize(cpu);
  return {
    id: "openclaw_idle_tick",
    measure: `OpenClaw: the plugin's idle tick in the gateway (${samples} ticks, 3 busy sub-agents of someone else's)`,
    result: `CPU ${formatSpread(c, ms)} a tick`,
    reference: `wall ${formatSpread(summarize(wall), ms)}; model requests: ${requests}`,
    ratio: "–",
    target: "0 requests",
    met: requests === 0,
    note: "CPU: process.cpuUsage of the gateway process across the tick (other work at its awaits counts too)",
    data: { ticks: samples, cpu_ms: roundSummary(c, 3), requests },
  };
}
