/**
 * Resume latency and the cost of waking on due, in real OpenClaw 2026.9.6 gateways with this
 * package as their plugin: two gateways side by side in one run, one with `wake: "due"`, one
 * with `wake: "heartbeat"` (today's behaviour), both on a 60 s schedule, both answered by a model
 * that replies at once. Measured from `add` (a CLI process) and from a quota hold's end to the
 * host accepting the spawn (the run the queue records) and to the run's first model request,
 * one sample at a time on an idle gateway; then the idle gateways' CPU per minute, measured
 * over the same windows.
 */
import { EVERYTHING, NO_TASKS } from "../src/core/views.js";
import { execFile } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { placeHold } from "../src/core/holds.js";
import type { Queue } from "../src/core/queue-model.js";
import { resolveInside } from "../src/base/paths.js";
import { RUN_END_FOLLOW_UPS_MS } from "../src/plugin/service.js";
import { FileQueueStore } from "../src/store/file/file-store.js";
import { CLI } from "./cli.js";
import {
  OPENCLAW_ENTRY,
  openclawInstalled,
  processCpuMs,
  startBenchGateway,
  type BenchGateway,
} from "./gateway.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { formatMs, roundSummary, summarize, type Summary } from "./statistics.js";

type Mode = "due" | "heartbeat";
const MODES: readonly Mode[] = ["due", "heartbeat"];
/** One model per hold sample: a model-wide hold frees exactly one task when it ends. */
const HOLD_MODELS = Array.from({ length: 20 }, (_, i) => `m${String(i + 1).padStart(2, "0")}`);
const SCHEDULE = "0 * * * * *"; // every 60 s

interface Sample {
  accepted: number;
  firstRequest: number;
}

const skipped = (id: string, measure: string, target: string, why: string): Row => ({
  id,
  measure,
  result: "–",
  reference: why,
  ratio: "–",
  target,
  met: null,
  data: { skipped: true, reason: why },
});

function pluginConfig(mode: Mode): Record<string, unknown> {
  return {
    wake: mode,
    schedule: SCHEDULE,
    models: HOLD_MODELS.map((m) => `fake/${m}`),
    maxConcurrent: 20,
    loadThreshold: 100,
    minFreeMemoryMB: 0,
    leaseSeconds: 30,
  };
}

/** `task-manager add` from a CLI process, as a user or script adds; resolves to the task's added_at. */
function cliAdd(gw: BenchGateway, prompt: string): Promise<{ id: string; added: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, "add", prompt, "--json", "-w", gw.workspace],
      {
        env: {
          PATH: process.env.PATH,
          HOME: path.dirname(gw.stateDir),
          OPENCLAW_STATE_DIR: gw.stateDir,
        },
      },
      (err, stdout) => {
        if (err) return reject(err);
        const r = JSON.parse(stdout) as { task: { id: string; added_at: string } };
        resolve({ id: r.task.id, added: Date.parse(r.task.added_at) });
      },
    );
  });
}

function storeOf(gw: BenchGateway): FileQueueStore {
  return new FileQueueStore({
    workspace: gw.workspace,
    file: resolveInside(gw.workspace, "memory/pending_tasks.json", "queueFile"),
  });
}

async function queueOf(gw: BenchGateway): Promise<Queue> {
  return (await storeOf(gw).read(EVERYTHING)).queue;
}

/** Waits until `done(queue)` holds (polling the file), at most `ms`. */
async function until(
  gw: BenchGateway,
  done: (q: Queue) => boolean,
  ms: number,
  what: string,
): Promise<Queue> {
  const deadline = Date.now() + ms;
  for (;;) {
    const q = await queueOf(gw);
    if (done(q)) return q;
    if (Date.now() > deadline) throw new Error(`bench: ${what} not reached within ${ms / 1000} s`);
    await sleep(250);
  }
}

const firstRequestAt = (
  gw: BenchGateway,
  match: (text: string, model: string) => boolean,
): number =>
  Math.min(
    ...gw
      .requestLog()
      .filter((r) => match(r.text, r.model))
      .map((r) => r.at),
  );

/**
 * One sample at a time, on an idle gateway (wake "due"): what a user meets when a task arrives
 * (or a hold ends) while nothing else runs. Run ends wake the dispatcher, so overlapping samples
 * would measure the previous run's end rather than the wake under test. Each sample waits for
 * its run to finish, and for the looks that follow a run's end, before the next.
 */
async function sampleOnce(
  gw: BenchGateway,
  spreadMs: number,
  prompt: string,
  prepare: () => Promise<number | null>,
  from: (added: number) => number,
): Promise<Sample> {
  await sleep(Math.random() * spreadMs);
  const holdEnd = await prepare();
  const { id, added } = await cliAdd(gw, prompt);
  const q = await until(
    gw,
    (q) => q.tasks.find((t) => t.id === id)?.state === "done",
    240_000,
    `"${prompt}" done`,
  );
  const run = q.tasks.find((t) => t.id === id)!.run!;
  const t0 = holdEnd ?? from(added);
  // Past the dispatcher's follow-up looks after a run's end (RUN_END_FOLLOW_UPS_MS): the next
  // sample must find a gateway with nothing left to wake it but what is under test.
  await sleep(RUN_END_FOLLOW_UPS_MS.at(-1)! + 1000);
  return {
    accepted: Date.parse(run.started_at) - t0,
    firstRequest: firstRequestAt(gw, (text) => text.includes(prompt)) - t0,
  };
}

/** Sample starts of wake "due" are spread over 2 s, so none falls into a rhythm. */
const SPREAD_MS = 2000;
/** Sample numbers in prompts: two digits, so no prompt is the start of another. */
const n2 = (i: number): string => String(i).padStart(2, "0");
const PERIOD_MS = 60_000;

/** `count` adds from a CLI process, one after another (wake "due"). */
async function addSamples(gw: BenchGateway, count: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++)
    samples.push(
      await sampleOnce(
        gw,
        SPREAD_MS,
        `Resume latency due add ${n2(i)}.`,
        async () => null,
        (added) => added,
      ),
    );
  return samples;
}

/**
 * The reference (wake "heartbeat") waits for its schedule whatever else happens, so its samples
 * need not take turns: `count` moments spread at random over one schedule period, starting just
 * after a tick, each an add (or a hold's end) that the next tick serves. Nothing runs between
 * two ticks there, so no run's end wakes it early. One period per series instead of one per
 * sample: 20 samples in about two minutes rather than twenty.
 */
async function periodMoments(count: number): Promise<number[]> {
  const intoPeriod = Date.now() % PERIOD_MS;
  await sleep((PERIOD_MS - intoPeriod + 1500) % PERIOD_MS);
  const start = Date.now();
  return Array.from({ length: count }, () => start + Math.random() * (PERIOD_MS - 6000)).sort(
    (a, b) => a - b,
  );
}

/** Each of `ends` against the first spawn accepted (and first model request) at or after it. */
function firstAfter(ends: number[], accepted: number[], requests: number[]): Sample[] {
  const after = (list: number[], t: number): number => Math.min(...list.filter((x) => x >= t)) - t;
  return ends.map((t) => ({ accepted: after(accepted, t), firstRequest: after(requests, t) }));
}

/** Waits for every task named to be done; returns each one's accepted spawn time. */
async function runsOf(gw: BenchGateway, ids: string[], what: string): Promise<number[]> {
  const q = await until(
    gw,
    (q) => ids.every((id) => q.tasks.find((t) => t.id === id)?.state === "done"),
    240_000,
    what,
  );
  await sleep(RUN_END_FOLLOW_UPS_MS.at(-1)! + 1000);
  return ids.map((id) => Date.parse(q.tasks.find((t) => t.id === id)!.run!.started_at));
}

/** The reference's adds: one period of CLI adds at random moments, all served by the next tick. */
async function referenceAddSamples(gw: BenchGateway, count: number): Promise<Sample[]> {
  const moments = await periodMoments(count);
  const added: Array<{ id: string; added: number; prompt: string }> = [];
  for (const [i, at] of moments.entries()) {
    await sleep(Math.max(0, at - Date.now()));
    const prompt = `Resume latency heartbeat add ${n2(i)}.`;
    added.push({ ...(await cliAdd(gw, prompt)), prompt });
  }
  const starts = await runsOf(
    gw,
    added.map((a) => a.id),
    "the reference's adds done",
  );
  return added.map((a, i) => ({
    accepted: starts[i]! - a.added,
    firstRequest: firstRequestAt(gw, (text) => text.includes(a.prompt)) - a.added,
  }));
}

/**
 * `count` quota holds on the provider, one after another (wake "due"): each ends 3–8 s after it
 * is placed, with one task waiting on it (added after the hold, so its add finds it held).
 */
async function holdSamples(gw: BenchGateway, count: number): Promise<Sample[]> {
  const store = storeOf(gw);
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const place = async (): Promise<number> => {
      const end = Date.now() + 3000 + Math.random() * 5000;
      await store.mutate(NO_TASKS, (queue) => ({
        queue: placeHold(
          queue,
          "fake/m01",
          "provider",
          { untilMs: end, source: "message" },
          Date.now(),
        ),
        result: null,
      }));
      return end;
    };
    samples.push(
      await sampleOnce(gw, SPREAD_MS, `Resume latency due hold ${n2(i)}.`, place, (a) => a),
    );
  }
  return samples;
}

/**
 * The reference's holds: right after a tick, one hold per whitelisted model, each ending at a
 * random moment of the period, and as many tasks waiting (every model is held, so none can
 * start before a hold ends). Each hold's end is measured to the first spawn accepted after it.
 */
async function referenceHoldSamples(gw: BenchGateway, count: number): Promise<Sample[]> {
  const ends = await periodMoments(count);
  const models = HOLD_MODELS.slice(0, count).map((m) => `fake/${m}`);
  await storeOf(gw).mutate(NO_TASKS, (queue) => ({
    queue: models.reduce(
      (q, model, i) =>
        placeHold(q, model, "model", { untilMs: ends[i]!, source: "message" }, Date.now()),
      queue,
    ),
    result: null,
  }));
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await cliAdd(gw, `Resume latency heartbeat hold ${n2(i)}.`)).id);
  const starts = await runsOf(gw, ids, "the reference's held tasks done");
  const requests = gw
    .requestLog()
    .filter((r) => r.text.includes("Resume latency heartbeat hold"))
    .map((r) => r.at);
  return firstAfter(ends, starts, requests);
}

/** Both gateways' CPU per minute over the same windows, idle (empty queues); and model requests meanwhile. */
async function idleCpu(gws: Record<Mode, BenchGateway>, opts: BenchOptions) {
  const windows = Math.max(3, opts.gatewayPairs);
  const windowMs = opts.gatewayWindowMs;
  const cpu: Record<Mode, number[]> = { due: [], heartbeat: [] };
  const requestsBefore = MODES.map((m) => gws[m].requests().length);
  for (let i = 0; i < windows; i++) {
    const before = MODES.map((m) => processCpuMs(gws[m].pid));
    await sleep(windowMs);
    MODES.forEach((m, k) => {
      cpu[m].push(((processCpuMs(gws[m].pid) - before[k]!) * 60_000) / windowMs);
    });
  }
  const requests = MODES.map((m, k) => gws[m].requests().length - requestsBefore[k]!);
  return { cpu, requests: requests[0]! + requests[1]!, windows, windowMs };
}

const fmt = (s: Summary): string => `p50 ${formatMs(s.median)}, p99 ${formatMs(s.p99)}`;

function latencyRow(
  id: string,
  measure: string,
  due: number[],
  heartbeat: number[],
  target: boolean,
): Row {
  const d = summarize(due);
  const h = summarize(heartbeat);
  return {
    id,
    measure,
    result: fmt(d),
    reference: `wake "heartbeat", 60 s (${heartbeat.length} samples in one period): ${fmt(h)}`,
    ratio: `${(h.median / Math.max(1, d.median)).toFixed(0)}× sooner (p50)`,
    target: target ? "p99 ≤ 1 s" : "",
    met: target ? d.p99 <= 1000 : null,
    data: { due_ms: roundSummary(d, 0), heartbeat_ms: roundSummary(h, 0) },
  };
}

/**
 * The resume-latency rows and the idle-cost row. Gateways start side by side (a minute or two
 * on this machine), then: the idle windows, 20 adds per gateway at random moments over a
 * minute, 20 holds per gateway ending at random moments over a minute.
 */
export async function resumeRows(opts: BenchOptions, log: (m: string) => void): Promise<Row[]> {
  const ids = {
    add: "resume_add_to_spawn",
    hold: "resume_hold_end_to_spawn",
    addRequest: "resume_add_to_first_model_request",
    holdRequest: "resume_hold_end_to_first_model_request",
    idle: "wake_idle_cpu",
  };
  if (opts.skipHost || !openclawInstalled()) {
    const why = opts.skipHost
      ? "skipped (quick mode or TASK_MANAGER_BENCH_SKIP_HOST=1)"
      : `skipped: OpenClaw not installed at ${OPENCLAW_ENTRY} (run scripts/install-hosts.sh)`;
    return [
      skipped(ids.add, "Resume latency: add → spawn accepted", "p99 ≤ 1 s", why),
      skipped(ids.hold, "Resume latency: hold end → spawn accepted", "p99 ≤ 1 s", why),
      skipped(ids.addRequest, "Resume latency: add → first model request", "", why),
      skipped(ids.holdRequest, "Resume latency: hold end → first model request", "", why),
      skipped(ids.idle, "Idle gateway CPU: wake due vs heartbeat", "within noise", why),
    ];
  }
  const count = Math.max(5, Math.round(20 * Math.min(1, opts.scale)));
  log(
    `resume latency: two OpenClaw gateways (wake due and wake heartbeat, ${count} samples each)…`,
  );
  const started = await Promise.allSettled(
    MODES.map((m) =>
      startBenchGateway(pluginConfig(m), async () => undefined, {
        answer: true,
        models: HOLD_MODELS,
      }),
    ),
  );
  const gws = Object.fromEntries(
    started.map((s, i) => [MODES[i], s.status === "fulfilled" ? s.value : null]),
  ) as Record<Mode, BenchGateway | null>;
  try {
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const both = gws as Record<Mode, BenchGateway>;
    await sleep(opts.gatewaySettleMs);
    log("resume latency: idle CPU, both gateways over the same windows…");
    const idle = await idleCpu(both, opts);
    log("resume latency: adds, then hold ends (one at a time, both gateways at once)…");
    const [due, reference] = await Promise.all([
      (async () => ({
        adds: await addSamples(both.due, count),
        holds: await holdSamples(both.due, count),
      }))(),
      (async () => ({
        adds: await referenceAddSamples(both.heartbeat, count),
        holds: await referenceHoldSamples(both.heartbeat, count),
      }))(),
    ]);
    const adds = [due.adds, reference.adds];
    const holds = [due.holds, reference.holds];
    const a = summarize(idle.cpu.due);
    const b = summarize(idle.cpu.heartbeat);
    const within = Math.abs(a.median - b.median) <= Math.max(60, 0.25 * b.median);
    return [
      latencyRow(
        ids.add,
        `Resume latency: CLI add → the host accepts the spawn (${count} tasks, wake "due")`,
        adds[0]!.map((s) => s.accepted),
        adds[1]!.map((s) => s.accepted),
        true,
      ),
      latencyRow(
        ids.hold,
        `Resume latency: a quota hold's end → the host accepts the spawn (${count} holds, wake "due")`,
        holds[0]!.map((s) => s.accepted),
        holds[1]!.map((s) => s.accepted),
        true,
      ),
      latencyRow(
        ids.addRequest,
        'Resume latency: CLI add → the run\'s first model request (wake "due")',
        adds[0]!.map((s) => s.firstRequest),
        adds[1]!.map((s) => s.firstRequest),
        false,
      ),
      latencyRow(
        ids.holdRequest,
        "Resume latency: a quota hold's end → the run's first model request (wake \"due\")",
        holds[0]!.map((s) => s.firstRequest),
        holds[1]!.map((s) => s.firstRequest),
        false,
      ),
      {
        id: ids.idle,
        measure: 'Idle OpenClaw gateway with the plugin: CPU per minute, wake "due" vs "heartbeat"',
        result: `${formatMs(a.median)}/min (${formatMs(a.min)}–${formatMs(a.max)})`,
        reference: `wake "heartbeat": ${formatMs(b.median)}/min (${formatMs(b.min)}–${formatMs(b.max)}); model requests: ${idle.requests}`,
        ratio: `${(a.median / Math.max(1, b.median)).toFixed(2)}×`,
        target: "within noise, 0 requests",
        met: within && idle.requests === 0,
        note: `gateway process CPU (/proc/<pid>/stat, 10 ms ticks), both gateways measured over the same ${idle.windows} windows of ${Math.round(idle.windowMs / 1000)} s, empty queues, 60 s schedule; "within noise": medians within 60 ms/min or 25%`,
        data: {
          windows: idle.windows,
          window_ms: idle.windowMs,
          due_cpu_ms_per_min: roundSummary(a, 1),
          heartbeat_cpu_ms_per_min: roundSummary(b, 1),
          requests: idle.requests,
        },
      },
    ];
  } finally {
    await Promise.all(MODES.map((m) => gws[m]?.stop()));
  }
}
