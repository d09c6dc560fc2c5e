import { lstatSync, mkdirSync, utimesSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { runCheck } from "../src/runtime/run-check.js";
import { createContext, type Context } from "../src/runtime/context.js";
import { RACY_WINDOW_MS } from "../src/base/read-cache.js";
import { seedDeferredQueue, type BenchHome } from "../lib/bench-home.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { formatMs, roundSummary, summarize, type Summary } from "./statistics.js";

/** Identity of the queue file, to prove an idle tick wrote nothing. */
function fileIdentity(file: string): string {
  const s = lstatSync(file, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}`;
}

async function timeTicks(
  ctx: Context,
  ticks: number,
  beforeTick?: (i: number) => void,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < ticks; i++) {
    beforeTick?.(i);
    const start = performance.now();
    const status = await runCheck(ctx);
    samples.push(performance.now() - start);
    if (status.status !== "DEFERRED" || status.reason !== "concurrency_limit") {
      throw new Error(
        `in-process tick ${i}: expected DEFERRED/concurrency_limit, got ${JSON.stringify(status).slice(0, 300)}`,
      );
    }
  }
  return samples;
}

interface Seeded {
  tasks: number;
  ticks: number;
  file: string;
  ctx: Context;
}

async function seed(home: BenchHome, tasks: number, ticks: number): Promise<Seeded> {
  const workspace = path.join(home.root, `workspace-${tasks}`);
  mkdirSync(workspace, { recursive: true });
  const file = await seedDeferredQueue({ ...home, workspace }, tasks);
  return { tasks, ticks, file, ctx: await createContext({ workspace, deps: { env: home.env } }) };
}

async function measureIdle(s: Seeded): Promise<Summary> {
  await timeTicks(s.ctx, Math.min(200, Math.max(5, Math.round(s.ticks / 10))));
  const before = fileIdentity(s.file);
  const idle = summarize(await timeTicks(s.ctx, s.ticks));
  if (fileIdentity(s.file) !== before)
    throw new Error(`in-process idle ticks at ${s.tasks} tasks rewrote the queue file`);
  return idle;
}

const fmtPair = (s: Summary): string => `p50 ${formatMs(s.median)}, p99 ${formatMs(s.p99)}`;

/**
 * The plugin's tick: runCheck on a long-lived Context, at growing queue sizes. Every tick is
 * the idle case (DEFERRED, nothing to change, no write — checked). One extra line at 1,000
 * tasks re-stamps the file before each tick, so the store must re-read and re-validate it.
 */
export async function inProcessRows(opts: BenchOptions, home: BenchHome): Promise<Row[]> {
  const seeded: Seeded[] = [];
  for (const size of opts.inProcess) seeded.push(await seed(home, size.tasks, size.ticks));
  // Steady state: a file written moments ago is "racy" and always re-read (read-cache.ts).
  await sleep(RACY_WINDOW_MS + 200);
  const rows: Row[] = [];
  let first: Summary | null = null;
  for (const s of seeded) {
    const idle = await measureIdle(s);
    first ??= idle;
    const isFirst = s === seeded[0];
    const atTarget = s.tasks === 1000;
    rows.push({
      id: `inprocess_${s.tasks}`,
      measure: `in-process check, ${s.tasks.toLocaleString("en")} tasks (idle tick, no write)`,
      result: fmtPair(idle),
      reference: isFirst ? "" : `vs ${seeded[0]!.tasks} tasks`,
      ratio: isFirst ? "1.0×" : `${(idle.median / first.median).toFixed(1)}×`,
      target: atTarget ? "p50 < 1 ms" : "",
      met: atTarget ? idle.median < 1 : null,
      data: { ticks: s.ticks, tasks: s.tasks, tick_ms: roundSummary(idle, 4) },
    });
  }
  const at1000 = seeded.find((s) => s.tasks === 1000);
  if (at1000) rows.push(await missRow(at1000));
  return rows;
}

async function missRow(m: Seeded): Promise<Row> {
  const ticks = Math.max(3, Math.round(m.ticks / 4));
  const base = Date.now() / 1000 - 120;
  const changed = summarize(
    await timeTicks(m.ctx, ticks, (i) => utimesSync(m.file, base + i / 1000, base + i / 1000)),
  );
  return {
    id: `inprocess_${m.tasks}_file_changed`,
    measure: `in-process check, ${m.tasks.toLocaleString("en")} tasks, file touched before every tick`,
    result: fmtPair(changed),
    reference: "",
    ratio: "",
    target: "",
    met: null,
    note: "worst case for the plugin: the queue changed since the last tick, so it is read, parsed and validated again",
    data: { ticks, tasks: m.tasks, tick_ms: roundSummary(changed, 4) },
  };
}
