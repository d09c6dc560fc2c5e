import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createContext } from "../src/runtime/context.js";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { createPageHandler, type PageHandler } from "../src/page/handler.js";
import { seedDeferredQueue, type BenchHome } from "../lib/bench-home.js";
import { OPENCLAW_ENTRY, openclawInstalled, processCpuMs, startBenchGateway } from "./gateway.js";
import type { BenchOptions } from "./options.js";
import { type Row, skippedRow } from "./report.js";
import { formatMs, formatSpread, roundSummary, summarize } from "./statistics.js";

const CLI = path.join(PACKAGE_ROOT, "dist", "bin", "task-manager.cjs");

interface Endpoint {
  tasks: number;
  server: Server;
  handler: PageHandler;
  url: string;
}

async function endpoint(home: BenchHome, tasks: number): Promise<Endpoint> {
  const workspace = path.join(home.root, `status-${tasks}`);
  mkdirSync(workspace, { recursive: true });
  await seedDeferredQueue({ ...home, workspace }, tasks);
  const ctx = await createContext({ workspace, deps: { env: home.env } });
  const handler = createPageHandler({ context: async () => ctx, auth: { kind: "host" } });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    tasks,
    server,
    handler,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/task-manager/api/view`,
  };
}

/** One GET over a kept-alive connection; checks the document so a broken answer cannot pass as a fast one. */
function get(
  url: string,
  agent: Agent,
  tasks: number,
  headers: Record<string, string> = {},
): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const ms = performance.now() - start;
        const body = Buffer.concat(chunks);
        const total = (JSON.parse(body.toString("utf8")) as { total?: number }).total;
        if (res.statusCode !== 200 || total !== tasks)
          return reject(
            new Error(
              `status endpoint at ${tasks} tasks answered ${res.statusCode} with total ${String(total)}`,
            ),
          );
        resolve({ ms, bytes: body.length });
      });
    })
      .on("error", reject)
      .end();
  });
}

/**
 * GET /task-manager/api/view over loopback HTTP at two queue sizes, requests alternating
 * between them (A, B, A, B…) so both sizes see the same machine. Each answer is the full view:
 * counts, waits and history over every task; the first 100 tasks per state are listed.
 */
export async function statusEndpointRows(opts: BenchOptions, home: BenchHome): Promise<Row[]> {
  const sizes = opts.quick ? [1000, 2000] : [1000, 10_000];
  const endpoints = await Promise.all(sizes.map((n) => endpoint(home, n)));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const samples = endpoints.map(() => [] as number[]);
    const bytes = endpoints.map(() => 0);
    const warmup = 5;
    for (let i = 0; i < opts.statusRequests + warmup; i++) {
      for (const [k, e] of endpoints.entries()) {
        const r = await get(e.url, agent, e.tasks);
        if (i >= warmup) samples[k]!.push(r.ms);
        bytes[k] = r.bytes;
      }
    }
    const first = summarize(samples[0]!);
    return endpoints.map((e, k) => {
      const s = summarize(samples[k]!);
      return {
        id: `status_endpoint_${e.tasks}`,
        measure: `status endpoint GET /task-manager/api/view, ${e.tasks.toLocaleString("en")} tasks`,
        result: `p50 ${formatMs(s.median)}, p99 ${formatMs(s.p99)}`,
        reference: k === 0 ? "" : `vs ${endpoints[0]!.tasks.toLocaleString("en")} tasks`,
        ratio: k === 0 ? "1.0×" : `${(s.median / first.median).toFixed(1)}×`,
        target: "",
        met: null,
        note:
          k === 0
            ? `loopback HTTP, keep-alive, requests alternating between the sizes; ${Math.round(bytes[k]! / 1024)} KiB per answer at ${e.tasks} tasks (100 listed per state)`
            : `${Math.round(bytes[k]! / 1024)} KiB per answer`,
        data: {
          tasks: e.tasks,
          requests: samples[k]!.length,
          bytes: bytes[k]!,
          request_ms: roundSummary(s, 4),
        },
      };
    });
  } finally {
    agent.destroy();
    for (const e of endpoints) {
      e.handler.close();
      e.server.closeAllConnections();
      e.server.close();
    }
  }
}

/** CPU time a process has used so far, in ms (Linux: the scheduler's own count, in ns). */
function cpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * What an open page costs the server while nothing happens: `task-manager serve` with one page
 * loaded and its event stream open, against an idle Node process over the same window.
 */
export async function idleServeRow(opts: BenchOptions, home: BenchHome): Promise<Row> {
  const workspace = path.join(home.root, "serve-idle");
  mkdirSync(workspace, { recursive: true });
  await seedDeferredQueue({ ...home, workspace }, 1000);
  const serve = spawn(process.execPath, [CLI, "serve", "-w", workspace], {
    env: home.env,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const idle = spawn(process.execPath, ["-e", "setInterval(() => {}, 3_600_000)"], {
    stdio: "ignore",
  });
  let stream: ReturnType<typeof request> | null = null;
  try {
    let out = "";
    serve.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
    const deadline = Date.now() + 20_000;
    while (!out.includes("\n")) {
      if (Date.now() > deadline || serve.exitCode !== null)
        throw new Error(`serve printed no URL: ${out}`);
      await sleep(25);
    }
    const url = new URL(out.split("\n")[0]!.trim());
    const token = url.searchParams.get("token")!;
    const headers = { Authorization: `Bearer ${token}` };
    const base = `${url.origin}${url.pathname}`;
    const agent = new Agent({ keepAlive: false });
    await get(`${base}api/view`, agent, 1000, headers); // what opening the page asks
    stream = request(`${base}api/events`, { headers });
    const opened = new Promise<number>((resolve, reject) => {
      stream!.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      stream!.on("error", reject);
    });
    stream.end();
    const status = await opened;
    if (status !== 200) throw new Error(`the event stream answered ${status}`);
    // Two windows back to back: the first holds the page load's after-effects (V8 shrinking the
    // heap for ~20–30 s after the status build), the second is the steady idle state.
    const window = opts.idleWindowMs;
    const perMinute = async (): Promise<[number, number]> => {
      const before = [cpuMs(serve.pid!), cpuMs(idle.pid!)] as const;
      await sleep(window);
      return [
        ((cpuMs(serve.pid!) - before[0]) * 60_000) / window,
        ((cpuMs(idle.pid!) - before[1]) * 60_000) / window,
      ];
    };
    const afterLoad = await perMinute();
    const steady = await perMinute();
    return {
      id: "status_serve_idle_cpu",
      measure: "serve, one page open (event stream), idle: CPU per minute",
      result: formatMs(steady[0]),
      reference: `idle node process: ${formatMs(steady[1])}`,
      ratio: "",
      target: "",
      met: null,
      note: `CPU time (/proc/<pid>/schedstat) of serve with one page's event stream open and the queue unchanged (1,000 tasks), ${Math.round(window / 1000)} s windows: ${formatMs(afterLoad[0])}/min in the first window after the page loaded (the load's garbage collection), ${formatMs(steady[0])}/min in the next; the page's own once-a-minute re-read while visible is one status build (see the status endpoint rows)`,
      data: {
        window_ms: window,
        serve_cpu_ms_per_min: Number(steady[0].toFixed(2)),
        serve_cpu_ms_per_min_after_load: Number(afterLoad[0].toFixed(2)),
        idle_node_cpu_ms_per_min: Number(steady[1].toFixed(2)),
      },
    };
  } finally {
    stream?.destroy();
    await Promise.all([stopChild(serve), stopChild(idle)]);
  }
}

/** Opens what a page holds open: its first status read, then the event stream. Returns the closer. */
async function openPage(
  base: string,
  headers: Record<string, string>,
  tasks: number,
): Promise<() => void> {
  const agent = new Agent({ keepAlive: false });
  await get(`${base}api/view`, agent, tasks, headers);
  const stream = request(`${base}api/events`, { headers });
  const status = await new Promise<number>((resolve, reject) => {
    stream.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    stream.on("error", reject);
    stream.end();
  });
  if (status !== 200) throw new Error(`the event stream answered ${status}`);
  return () => {
    stream.destroy();
    agent.destroy();
  };
}

/**
 * The gateway's CPU with one status page open against the same gateway with none: a real
 * OpenClaw gateway with this plugin loaded, windows alternating (none, page, none, page…) so both
 * see the same machine and the gateway's own background work. A page window opens the page at
 * its start — one status build, then the event stream — as a visible page re-reads once a minute.
 */
export async function gatewayIdlePageRow(opts: BenchOptions, home: BenchHome): Promise<Row> {
  const base = {
    id: "status_gateway_idle_cpu",
    measure: "OpenClaw gateway with the plugin, idle: CPU per minute, one page open vs none",
    target: "",
    met: null,
  } as const;
  if (opts.skipHost || !openclawInstalled()) {
    const why = opts.skipHost
      ? "skipped (quick mode or TASK_MANAGER_BENCH_SKIP_HOST=1)"
      : `skipped: OpenClaw not installed at ${OPENCLAW_ENTRY} (run scripts/install-hosts.sh)`;
    return skippedRow(base.id, base.measure, base.target, why);
  }
  const tasks = 1000;
  // A schedule that never fires in the run: the plugin's own ticks would land in some windows only.
  const gateway = await startBenchGateway(
    { schedule: "0 0 1 1 *", loadThreshold: 100 },
    async (workspace) => void (await seedDeferredQueue({ ...home, workspace }, tasks)),
  );
  try {
    await sleep(opts.gatewaySettleMs); // start-up work (catalogs, maintenance, the plugin's first Task Flow sync)
    const pageBase = `http://127.0.0.1:${gateway.port}/task-manager/`;
    const headers = { Authorization: `Bearer ${gateway.pageKey}` };
    const window = opts.gatewayWindowMs;
    const perMinute = async (): Promise<number> => {
      const before = processCpuMs(gateway.pid);
      await sleep(window);
      return ((processCpuMs(gateway.pid) - before) * 60_000) / window;
    };
    const without: number[] = [];
    const withPage: number[] = [];
    for (let i = 0; i < opts.gatewayPairs; i++) {
      without.push(await perMinute());
      const close = await openPage(pageBase, headers, tasks);
      try {
        withPage.push(await perMinute());
      } finally {
        close();
      }
    }
    const a = summarize(without);
    const b = summarize(withPage);
    return {
      ...base,
      result: `${formatSpread(b)} with the page`,
      reference: `${formatSpread(a)} without`,
      // /proc/<pid>/stat counts in 10 ms ticks: a whole-millisecond difference is all it can say.
      ratio: `${(b.median / a.median).toFixed(2)}× (${b.median >= a.median ? "+" : "−"}${Math.abs(b.median - a.median).toFixed(0)} ms/min)`,
      note: `gateway process CPU (user + system, all threads, /proc/<pid>/stat), ${opts.gatewayPairs} pairs of ${Math.round(window / 1000)} s windows alternating without/with one page (${tasks.toLocaleString("en")} tasks; each page window opens the page at its start: one status build, then the event stream), after ${Math.round(opts.gatewaySettleMs / 1000)} s of settling; the plugin's schedule set to never fire during the run; median (min–max) per minute`,
      data: {
        window_ms: window,
        pairs: opts.gatewayPairs,
        tasks,
        without_page_cpu_ms_per_min: roundSummary(a, 1),
        with_page_cpu_ms_per_min: roundSummary(b, 1),
        difference_ms_per_min: Number((b.median - a.median).toFixed(1)),
      },
    };
  } finally {
    await gateway.stop();
  }
}
