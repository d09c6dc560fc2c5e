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
import { type Row, skippedRow } from "./report.js";
import { formatMs, roundSummary, summarize, type Summary } from "./statistics.js";

type Mode = "due" | "heartbeat";
const MODES: readonly Mode[] = ["due", "heartbeat"];
/** The fake provider's catalog, all whitelisted; a hold sample holds the whole provider. */
const HOLD_MODELS = Array.from({ length: 20 }, (_, i) => `m${String(i + 1).padStart(2, "0")}`);
const SCHEDULE = "0 * * * * *"; // every 60 s

interface Sample {
  accepted: number;
  firstRequest: number;
}

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
 * One sample at a time, on an idle gateway: what a user meets when a task arrives (or a hold
 * ends) while nothing else runs. Run ends wake the dispatcher in both modes, and one tick starts
 * its tasks one after another, so overlapping samples would measure the previous run's end or
 * spawn rather than the wake under test. Each sample waits for its run to finish, and for the
 * looks that follow a run's end, before the next.
 */
async function sampleOnce(
  gw: BenchGateway,
  wait: () => Promise<void>,
  prompt: string,
  prepare: () => Promise<number | null>,
  from: (added: number) => number,
): Promise<Sample> {
  await wait();
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
const spreadDue = (): Promise<void> => sleep(Math.random() * 2000);
/** Sample numbers in prompts: two digits, so no prompt is the start of another. */
const n2 = (i: number): string => String(i).padStart(2, "0");
const PERIOD_MS = 60_000;

/**
 * The next moment, at least `minMs` from now, that is a random point of the schedule's period:
 * the reference waits for its schedule, so a sample's phase in the period decides its wait, and
 * a steady rhythm of samples would lock onto one phase.
 */
function randomPhaseMoment(minMs: number): number {
  const earliest = Date.now() + minMs;
  const at = earliest - (earliest % PERIOD_MS) + Math.random() * PERIOD_MS;
  return at >= earliest ? at : at + PERIOD_MS;
}
const atRandomPhase = async (): Promise<void> => {
  await sleep(randomPhaseMoment(0) - Date.now());
};

/** `count` adds from a CLI process, one after another. */
async function addSamples(gw: BenchGateway, mode: Mode, count: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++)
    samples.push(
      await sampleOnce(
        gw,
        mode === "due" ? spreadDue : atRandomPhase,
        `Resume latency ${mode} add ${n2(i)}.`,
        async () => null,
        (added) => added,
      ),
    );
  return samples;
}

/**
 * `count` quota holds on the provider, one after another, each with one task waiting on it
 * (added after the hold, so its add finds it held). Wake "due": each ends 3–8 s after it is
 * placed; the reference's at a random point of its schedule's period, at least 3 s away.
 */
async function holdSamples(gw: BenchGateway, mode: Mode, count: number): Promise<Sample[]> {
  const store = storeOf(gw);
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const place = async (): Promise<number> => {
      const end =
        mode === "due" ? Date.now() + 3000 + Math.random() * 5000 : randomPhaseMoment(3000);
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
      await sampleOnce(
        gw,
        mode === "due" ? spreadDue : async () => undefined,
        `Resume latency ${mode} hold ${n2(i)}.`,
        place,
        (a) => a,
      ),
    );
  }
  return samples;
}

/**
 * One run before any sample: a gateway's first sub-agent run after its start is accepted about a
 * second later than the next ones (OpenClaw loads its run machinery then; INTEGRATION.md, "Host
 * facts"), which is the gateway starting, not the wake under test.
 */
async function warmUp(gw: BenchGateway): Promise<void> {
  const { id } = await cliAdd(gw, "Resume latency warm-up.");
  await until(gw, (q) => q.tasks.find((t) => t.id === id)?.state === "done", 240_000, "warm-up");
  await sleep(RUN_END_FOLLOW_UPS_MS.at(-1)! + 1000);
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
    reference: `wake "heartbeat", 60 s (${heartbeat.length} samples): ${fmt(h)}`,
    ratio: `${(h.median / Math.max(1, d.median)).toFixed(0)}× sooner (p50)`,
    target: target ? "p99 ≤ 1 s" : "",
    met: target ? d.p99 <= 1000 : null,
    data: { due_ms: roundSummary(d, 0), heartbeat_ms: roundSummary(h, 0) },
  };
}

/**
 * The resume-latency rows and the idle-cost row. Gateways start side by side (a minute or two
 * on this machine), run one warm-up task each, then: the idle windows; 20 adds then 20 hold ends
 * on wake "due", one at a time, 2 s apart; 10 of each on the reference, each at a random point
 * of its schedule's period (about 25 minutes in all).
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
      skippedRow(ids.add, "Resume latency: add → spawn accepted", "p99 ≤ 1 s", why),
      skippedRow(ids.hold, "Resume latency: hold end → spawn accepted", "p99 ≤ 1 s", why),
      skippedRow(ids.addRequest, "Resume latency: add → first model request", "", why),
      skippedRow(ids.holdRequest, "Resume latency: hold end → first model request", "", why),
      skippedRow(ids.idle, "Idle gateway CPU: wake due vs heartbeat", "within noise", why),
    ];
  }
  const count = Math.max(5, Math.round(20 * Math.min(1, opts.scale)));
  // Each reference sample waits out a schedule period (~70 s with its run): half as many of them
  // keep the run under half an hour; their spread is the schedule's, uniform over the period.
  const counts: Record<Mode, number> = {
    due: count,
    heartbeat: Math.max(3, Math.round(count / 2)),
  };
  log(
    `resume latency: two OpenClaw gateways (wake due: ${counts.due} samples, wake heartbeat: ${counts.heartbeat})…`,
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
    log("resume latency: one warm-up run on each gateway…");
    await Promise.all(MODES.map((m) => warmUp(both[m])));
    log("resume latency: idle CPU, both gateways over the same windows…");
    const idle = await idleCpu(both, opts);
    log("resume latency: adds, then hold ends (one at a time, both gateways at once)…");
    const series = await Promise.all(
      MODES.map(async (m) => ({
        adds: await addSamples(both[m], m, counts[m]),
        holds: await holdSamples(both[m], m, counts[m]),
      })),
    );
    const adds = series.map((x) => x.adds);
    const holds = series.map((x) => x.holds);
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
