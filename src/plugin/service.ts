import { AsyncLocalStorage } from "node:async_hooks";
import { isoTime } from "../core/time.js";
import { NO_TASKS } from "../core/views.js";
import type { Wake } from "../core/wake.js";
import { resolveSchedule, type Schedule } from "../policy/schedule.js";
import type { GatewaySettings } from "../policy/schema.js";
import { toErrorStatus } from "../runtime/error-status.js";
import type { Spawner } from "../runtime/dispatch.js";
import { startScheduler, validateSchedule, type Scheduler } from "../runtime/scheduler.js";
import type { QueueStore } from "../store/port.js";
import { type Lane, type LaneResult, type LaneState, tickLanes } from "./lane-tick.js";
import { laneWake } from "./lane-wake.js";
import { summary, TickLog } from "./tick-log.js";
import { type Clock, Debouncer, systemClock, WakeTimer } from "./timers.js";

export type { Lane, LaneResult } from "./lane-tick.js";

/** What woke a tick. */
export type WakeTrigger = "schedule" | "due" | "queue" | "run_end" | "main_idle" | "manual";

export interface TickReport {
  at: string;
  /** What woke it (several wakes that came while a tick ran are one tick). */
  trigger: WakeTrigger[];
  captured: number;
  /** Every dispatch of the tick, each with the agent whose queue it was. */
  results: LaneResult[];
  /** Wall time of the tick, and the gateway process's CPU time while it ran (µs; other work interleaved at its awaits counts too). */
  took_ms?: number;
  cpu_us?: number;
  /** When the dispatcher looks again by itself (the earliest due moment), if anything is due. */
  next_wake?: { at: string; cause: string; agent: string } | null;
}

/** A run this gateway's dispatcher started: when, for which agent, and what woke the tick. */
export interface RecentStart {
  at: string;
  agent: string;
  task_id: string;
  model: string;
  trigger: WakeTrigger[];
}

/** How many recent starts the service remembers (for `task-manager.status`). */
const RECENT_STARTS = 20;

export interface ServiceDeps {
  /** Every agent served, in the gateway's order. */
  lanes: readonly Lane[];
  spawner: Spawner;
  /** The plugin config's gateway keys (agents, gatewayMaxConcurrent, holdGroups). */
  gateway: GatewaySettings;
  log(message: string): void;
  /** Every tick's results, for an operator at debug log level. */
  debug?(message: string): void;
  /** Time and timers (tests pass a fake clock); default the system's, every timer unref'd. */
  clock?: Clock;
  /** Queue changes closer together than `quietMs` are one wake, and a stream of them wakes every `maxWaitMs`. */
  debounce?: { quietMs: number; maxWaitMs: number };
  /** Told when a tick starts and ends (tests count overlaps). */
  onTick?(phase: "start" | "end"): void;
}

/** A queue change is looked at after 100 ms of quiet, or after 1 s of steady changes. */
export const DEFAULT_DEBOUNCE = { quietMs: 100, maxWaitMs: 1000 } as const;
/** After one of our runs ends, looked at again at these delays too: its record may lag the signal. */
export const RUN_END_FOLLOW_UPS_MS = [1500, 5000] as const;
/** The first look after the service starts (the gateway is still finishing its own start). */
const START_DELAY_MS = 1000;

interface WakeRequest {
  triggers: Set<WakeTrigger>;
  named: Set<string> | "every";
}

interface QueueWatch {
  location: string;
  store: QueueStore;
  stop(): void;
}

/**
 * The in-gateway dispatcher. A tick captures failed runs, then settles and dispatches every
 * agent's queue (lane-tick.ts). Wakes: the earliest due moment of any queue (one timer), a
 * change to a queue (its store's watch, debounced), one of our runs ending, a main session
 * going idle, and the schedule as the safety net. Every wake runs the same tick; ticks never
 * overlap (one chain), wakes that come while one runs are one more tick after it, and nothing a
 * tick does can throw into the gateway. `stop()` releases every timer and watch.
 */
export class TaskManagerService {
  readonly #deps: ServiceDeps;
  readonly #clock: Clock;
  readonly #timer: WakeTimer;
  readonly #debounce: Debouncer;
  #schedulers: Array<{ scheduler: Scheduler; agents: string[] }> = [];
  #chain: Promise<unknown> = Promise.resolve();
  #last: TickReport | null = null;
  #starts: RecentStart[] = [];
  #stopped = false;
  #pending: WakeRequest | null = null;
  #draining = false;
  readonly #watches = new Map<string, QueueWatch>();
  readonly #changed = new Set<string>();
  readonly #seenRevision = new Map<string, number>();
  readonly #laneWakes = new Map<string, Wake>();
  #followUps: Array<{ atMs: number; agent: string }> = [];
  #lastStarter: string | null = null;
  readonly #log: TickLog;
  /** Runs a function in the async context the service was made in (see the constructor). */
  readonly #detached: <R>(fn: () => R) => R;

  constructor(deps: ServiceDeps) {
    this.#deps = deps;
    // A wake that comes from a hook (subagent_ended, agent_end) runs inside that agent turn's
    // async context, and OpenClaw 2026.9.6 carries a turn's caller authority in it: a run started
    // from there is refused once the turn is over ("plugin subagent registry persistence failed;
    // run was not started | agent tool caller authority is no longer active"). Ticks are the
    // service's own work, so they run in the context the service was made in (its start).
    this.#detached = AsyncLocalStorage.snapshot();
    this.#clock = deps.clock ?? systemClock;
    this.#log = new TickLog(deps.log, deps.lanes.length);
    this.#timer = new WakeTimer(this.#clock, () => this.#onDue());
    const d = deps.debounce ?? DEFAULT_DEBOUNCE;
    this.#debounce = new Debouncer(this.#clock, d.quietMs, d.maxWaitMs, () => {
      void this.#onQueueBurst();
    });
  }

  get lastTick(): TickReport | null {
    return this.#last;
  }

  /** The last runs this dispatcher started, oldest first: what woke each start, for an operator. */
  get recentStarts(): readonly RecentStart[] {
    return this.#starts;
  }

  get lanes(): readonly Lane[] {
    return this.#deps.lanes;
  }

  /**
   * Starts each agent's schedule (one croner job per distinct pattern) and the first wake. An
   * agent whose config cannot be read is reported and ticked anyway (its ERROR says why).
   */
  async start(): Promise<{ schedules: Array<Schedule & { agents: string[] }>; errors: string[] }> {
    this.#stopped = false;
    const byPattern = new Map<string, Schedule & { agents: string[] }>();
    const errors: string[] = [];
    const due: string[] = [];
    for (const lane of this.#deps.lanes) {
      try {
        const ctx = await lane.context();
        if (ctx.policy.wake === "due") due.push(lane.id);
        const every = lane.heartbeatEvery ?? ctx.host.config?.heartbeatEvery ?? null;
        const schedule = resolveSchedule(ctx.policy.schedule, every);
        validateSchedule(schedule, ctx.policyFile);
        const key = `${schedule.pattern}\0${schedule.intervalSeconds ?? ""}`;
        const known = byPattern.get(key);
        if (known) known.agents.push(lane.id);
        else byPattern.set(key, { ...schedule, agents: [lane.id] });
      } catch (err) {
        errors.push(`${lane.id}: ${toErrorStatus(err).message}`);
      }
    }
    if (this.#stopped) return { schedules: [], errors };
    for (const schedule of byPattern.values()) {
      const agents = schedule.agents;
      this.#schedulers.push({
        agents,
        scheduler: startScheduler(schedule, async () => this.wake("schedule", agents)),
      });
    }
    // Work already due when the gateway starts starts now, not at the first schedule.
    const at = this.#clock.now() + START_DELAY_MS;
    this.#followUps.push(...due.map((agent) => ({ atMs: at, agent })));
    this.#arm();
    return { schedules: [...byPattern.values()], errors };
  }

  /** Stops schedules, timers and watches, waits for a tick in flight; later wakes do nothing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { scheduler } of this.#schedulers) scheduler.stop();
    this.#schedulers = [];
    this.#timer.stop();
    this.#debounce.stop();
    for (const w of this.#watches.values()) w.stop();
    this.#watches.clear();
    this.#pending = null;
    this.#followUps = [];
    await this.#chain;
  }

  /** The next moment the dispatcher looks by itself: its due timer or a schedule, whichever is first. */
  nextRun(): Date | null {
    let best = this.#timer.dueAt;
    for (const { scheduler } of this.#schedulers) {
      const at = scheduler.nextRun()?.getTime() ?? null;
      if (at !== null && (best === null || at < best)) best = at;
    }
    return best === null ? null : new Date(best);
  }

  /**
   * Something happened that may let work start: run a tick soon. Agents named here run even
   * under `wake: "heartbeat"`; every agent under `wake: "due"` runs on any wake.
   */
  wake(trigger: WakeTrigger, agents: readonly string[] | "every" = []): void {
    if (this.#stopped) return;
    this.#pending ??= { triggers: new Set(), named: new Set() };
    const p = this.#pending;
    p.triggers.add(trigger);
    if (agents === "every") p.named = "every";
    else if (p.named !== "every") for (const a of agents) p.named.add(a);
    if (this.#draining) return;
    this.#draining = true;
    this.#detached(() => void this.#drain());
  }

  /**
   * One of our runs ended (OpenClaw `subagent_ended`, Clawdbot `agent_end`): settle it and start
   * the next task now, and look again shortly after, in case the host's record of the run's end
   * lags the signal.
   */
  runEnded(agent: string): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    for (const ms of RUN_END_FOLLOW_UPS_MS) this.#followUps.push({ atMs: now + ms, agent });
    this.wake("run_end", [agent]);
  }

  /** Runs one tick of every agent now, after any tick already running. */
  tick(): Promise<TickReport> {
    return this.#detached(() => this.#enqueue({ triggers: new Set(["manual"]), named: "every" }));
  }

  /** Resolves once no tick runs and none waits to (a quiet moment: tests, a caller that must not race a tick). */
  async settled(): Promise<void> {
    do await this.#chain;
    while (this.#draining || this.#pending !== null);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== null && !this.#stopped) {
        const request = this.#pending;
        this.#pending = null;
        await this.#enqueue(request);
      }
    } finally {
      this.#draining = false;
    }
  }

  #enqueue(request: WakeRequest): Promise<TickReport> {
    const run = this.#chain.then(() => this.#tickOnce(request));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Lanes in slot order: the one that started a run last goes last. */
  #order(): string[] {
    const ids = this.#deps.lanes.map((l) => l.id);
    const last = this.#lastStarter;
    return last === null
      ? ids
      : [...ids.filter((id) => id !== last), ...ids.filter((id) => id === last)];
  }

  async #tickOnce(request: WakeRequest): Promise<TickReport> {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const report: TickReport = {
      at: isoTime(this.#clock.now()),
      trigger: [...request.triggers],
      captured: 0,
      results: [],
    };
    if (this.#stopped) return report;
    this.#deps.onTick?.("start");
    try {
      const outcome = await tickLanes({
        lanes: this.#deps.lanes,
        named: request.named,
        spawner: this.#deps.spawner,
        gateway: this.#deps.gateway,
        order: this.#order(),
        now: () => this.#clock.now(),
      });
      report.captured = outcome.captured;
      report.results = outcome.results;
      if (outcome.lastStarter !== null) this.#lastStarter = outcome.lastStarter;
      this.#afterTick(outcome.states);
    } catch (err) {
      report.results.push({ ...toErrorStatus(err), agent: "(all)" });
    }
    this.#log.results(report.results);
    for (const r of report.results)
      if (r.status === "READY" && r.dispatched)
        this.#starts.push({
          at: report.at,
          agent: r.agent,
          task_id: r.dispatched.task_id,
          model: r.dispatched.model,
          trigger: report.trigger,
        });
    this.#starts.splice(0, Math.max(0, this.#starts.length - RECENT_STARTS));
    const used = process.cpuUsage(cpu);
    report.took_ms = Date.now() - started;
    report.cpu_us = used.user + used.system;
    report.next_wake = this.#arm();
    this.#deps.debug?.(
      `tick ${report.at} (${report.trigger.join(",")}) took ${report.took_ms} ms (${report.cpu_us} µs CPU): ${report.results.map(summary).join("; ")}`,
    );
    this.#last = report;
    this.#deps.onTick?.("end");
    return report;
  }

  /** Watches, revisions and due moments from what the tick saw of each lane. */
  #afterTick(states: readonly LaneState[]): void {
    const now = this.#clock.now();
    for (const s of states) {
      const id = s.lane.id;
      if (!s.ctx || !s.queue) {
        this.#laneWakes.delete(id);
        continue;
      }
      this.#seenRevision.set(id, s.queue.revision);
      if (this.#stopped) continue;
      if (s.ctx.policy.wake !== "due") {
        this.#watches.get(id)?.stop();
        this.#watches.delete(id);
        this.#laneWakes.delete(id);
        continue;
      }
      this.#ensureWatch(id, s.ctx.store);
      if (!s.ran) continue;
      const wake = laneWake(s.queue, s.ctx.policy, s.results, now);
      if (wake) this.#laneWakes.set(id, wake);
      else this.#laneWakes.delete(id);
    }
  }

  #ensureWatch(id: string, store: QueueStore): void {
    const known = this.#watches.get(id);
    if (known?.location === store.location) return;
    known?.stop();
    const stop = store.watch(() => this.#queueChanged(id));
    this.#watches.set(id, { location: store.location, store, stop });
  }

  #queueChanged(id: string): void {
    if (this.#stopped) return;
    this.#changed.add(id);
    this.#debounce.poke();
  }

  /** A debounced burst of queue changes: a tick, unless every change was the last tick's own write. */
  async #onQueueBurst(): Promise<void> {
    const ids = [...this.#changed];
    this.#changed.clear();
    const moved: string[] = [];
    for (const id of ids) {
      const watch = this.#watches.get(id);
      if (!watch) continue;
      try {
        const { queue } = await watch.store.read(NO_TASKS);
        if (queue.revision !== this.#seenRevision.get(id)) moved.push(id);
      } catch {
        moved.push(id); // the tick reports what is wrong with it
      }
    }
    if (moved.length > 0) this.wake("queue", moved);
  }

  #onDue(): void {
    const now = this.#clock.now();
    const due = this.#followUps.filter((f) => f.atMs <= now);
    this.#followUps = this.#followUps.filter((f) => f.atMs > now);
    this.wake("due", [...new Set(due.map((f) => f.agent))]);
    // A tick that is already queued re-arms the timer when it ends; else nothing is pending.
    if (!this.#draining) this.#arm();
  }

  /** Sets the one timer to the earliest due moment of any lane (or a run's follow-up look). */
  #arm(): TickReport["next_wake"] {
    if (this.#stopped) {
      this.#timer.stop();
      return null;
    }
    const now = this.#clock.now();
    let best: { atMs: number; cause: string; agent: string } | null = null;
    for (const [agent, w] of this.#laneWakes) {
      // A moment that passed without its lane being looked at (the lane failed) never spins the timer.
      if (w.atMs <= now) this.#laneWakes.delete(agent);
      else if (best === null || w.atMs < best.atMs) best = { atMs: w.atMs, cause: w.cause, agent };
    }
    for (const f of this.#followUps)
      if (best === null || f.atMs < best.atMs)
        best = { atMs: Math.max(f.atMs, now), cause: "follow_up", agent: f.agent };
    this.#timer.arm(best?.atMs ?? null);
    return best ? { at: isoTime(best.atMs), cause: best.cause, agent: best.agent } : null;
  }
}
