import type { Alert } from "../core/queue-model.js";
import { resolveSchedule, type Schedule } from "../policy/schedule.js";
import type { Context } from "../runtime/context.js";
import { dispatchOnce, type DispatchResult, type Spawner } from "../runtime/dispatch.js";
import { toErrorStatus } from "../runtime/error-status.js";
import { startScheduler, validateSchedule, type Scheduler } from "../runtime/scheduler.js";
import { scanFailedSubagents } from "./run-capture.js";
import type { MainActivity } from "./main-activity.js";

export interface TickReport {
  at: string;
  captured: number;
  results: DispatchResult[];
  /** Wall time of the tick, and the gateway process's CPU time while it ran (µs; other work interleaved at its awaits counts too). */
  took_ms?: number;
  cpu_us?: number;
}

export interface ServiceDeps {
  /** A fresh context per tick, so edits to .taskmanagerrc apply without a gateway restart. */
  context(): Promise<Context>;
  spawner: Spawner;
  main: MainActivity;
  /** Tells the main session about dead tasks (a system event on its next turn). */
  notify(alerts: Alert[]): void;
  log(message: string): void;
  /** Every tick's results, for an operator at debug log level. */
  debug?(message: string): void;
  /** After each tick, with the tick's context (OpenClaw: the Task Flow mirror). Must not throw. */
  afterTick?(ctx: Context): Promise<unknown>;
}

/**
 * The in-gateway dispatcher: on each tick, capture failed sub-agent runs, then settle and
 * dispatch until the check stops saying READY (at most maxConcurrent starts per tick). Ticks
 * never overlap (croner `protect`, plus a chain for ticks requested through the gateway
 * method), and nothing a tick does can throw into the gateway.
 */
export class TaskManagerService {
  readonly #deps: ServiceDeps;
  #scheduler: Scheduler | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #last: TickReport | null = null;
  #stopped = false;

  constructor(deps: ServiceDeps) {
    this.#deps = deps;
  }

  get lastTick(): TickReport | null {
    return this.#last;
  }

  async start(heartbeatEvery: string | null): Promise<Schedule> {
    this.#stopped = false;
    const ctx = await this.#deps.context();
    const schedule = resolveSchedule(ctx.policy.schedule, heartbeatEvery);
    validateSchedule(schedule, ctx.policyFile);
    this.#scheduler = startScheduler(schedule, async () => {
      await this.tick();
    });
    return schedule;
  }

  /** Stops the schedule and waits for a tick in flight; later tick requests do nothing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#scheduler?.stop();
    this.#scheduler = null;
    await this.#chain;
  }

  nextRun(): Date | null {
    return this.#scheduler?.nextRun() ?? null;
  }

  /** Runs one tick now, after any tick already running. */
  tick(): Promise<TickReport> {
    const run = this.#chain.then(() => this.#tickOnce());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #tickOnce(): Promise<TickReport> {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const report: TickReport = { at: new Date(started).toISOString(), captured: 0, results: [] };
    if (this.#stopped) return report;
    try {
      const ctx = await this.#deps.context();
      report.captured = await scanFailedSubagents(ctx);
      for (let i = 0; i < ctx.policy.maxConcurrent; i++) {
        const result = await dispatchOnce(ctx, this.#deps.spawner, {
          mainBusy: this.#deps.main.busy(),
          gatewayKind: "plugin",
        });
        report.results.push(result);
        if (result.status !== "ERROR" && result.alerts?.length) this.#deps.notify(result.alerts);
        if (result.status !== "READY") break;
      }
      await this.#deps.afterTick?.(ctx);
    } catch (err) {
      report.results.push(toErrorStatus(err));
    }
    for (const r of report.results) {
      if (r.status === "ERROR") this.#deps.log(`tick: ${r.code}: ${r.message}`);
      else if (r.status === "DEFERRED" && r.detail)
        this.#deps.log(`tick: waiting (${r.reason}): ${r.detail}`);
      else if (r.dispatched)
        this.#deps.log(
          `tick: started ${r.dispatched.task_id} on ${r.dispatched.model}${r.dispatched.reused ? " (existing run recorded)" : ""}`,
        );
    }
    const used = process.cpuUsage(cpu);
    report.took_ms = Date.now() - started;
    report.cpu_us = used.user + used.system;
    this.#deps.debug?.(
      `tick ${report.at} took ${report.took_ms} ms (${report.cpu_us} µs CPU): ${report.results.map(summary).join("; ")}`,
    );
    this.#last = report;
    return report;
  }
}

/** One result in a few words: status, reason, what was settled. */
function summary(r: DispatchResult): string {
  const settled =
    r.status !== "ERROR" && r.settled?.length
      ? ` settled ${r.settled.map((s) => `${s.id}:${s.outcome}`).join(",")}`
      : "";
  return `${r.status}${r.status === "DEFERRED" ? `/${r.reason}` : ""}${settled}`;
}
