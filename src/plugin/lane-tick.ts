import { adoptHolds, waitingHolds } from "../core/holds.js";
import type { Alert, Queue } from "../core/queue-model.js";
import type { GatewaySettings } from "../policy/schema.js";
import type { Context } from "../runtime/context.js";
import { dispatchScope, NO_TASKS } from "../core/views.js";
import { dispatchOnce, type DispatchResult, type Spawner } from "../runtime/dispatch.js";
import { toErrorStatus } from "../runtime/error-status.js";
import { activeRuns } from "../runtime/run-check.js";
import type { MainActivity } from "./main-activity.js";
import { scanFailedSubagents } from "./run-capture.js";

/** One agent of the gateway, as the dispatcher serves it: its workspace queue under its policy. */
export interface Lane {
  id: string;
  /** A fresh context per tick (edits to its .taskmanagerrc apply at once), for this agent. */
  context(): Promise<Context>;
  /** This agent's main session (the VIP lane: its tasks wait while it runs). */
  main: MainActivity;
  /** Tells this agent's main session about dead tasks (a system event on its next turn). */
  notify(alerts: Alert[]): void;
  /** This agent's heartbeat interval (its own, else the gateway default; null: the host default). */
  heartbeatEvery: string | null;
  /** After each tick this lane ran in (OpenClaw: its Task Flow mirror). Must not throw. */
  afterTick?(ctx: Context): Promise<unknown>;
}

/** A result of one dispatch, with the agent whose queue it was. */
export type LaneResult = DispatchResult & { agent: string };

/** What one tick saw of a lane. */
export interface LaneState {
  lane: Lane;
  ctx: Context | null;
  /** The queue as last read this tick (after the lane's own writes, when it ran). */
  queue: Queue | null;
  /** Background runs counting against the gateway-wide cap. */
  active: number;
  /** Whether this tick ran the lane's check (else it only counted its runs). */
  ran: boolean;
  results: LaneResult[];
}

export interface LaneTickInput {
  lanes: readonly Lane[];
  /** Lanes named by what woke the tick; a lane whose policy says `wake: "due"` runs on any wake. */
  named: ReadonlySet<string> | "every";
  spawner: Spawner;
  gateway: GatewaySettings;
  /** Lane ids in the order they get slots this tick. */
  order: readonly string[];
  now(): number;
}

export interface LaneTickOutcome {
  captured: number;
  results: LaneResult[];
  states: LaneState[];
  /** The last lane that started a run this tick (it goes last next time: no agent starves). */
  lastStarter: string | null;
}

const tag = (agent: string, r: DispatchResult): LaneResult => ({ ...r, agent });

/** Which agents share provider accounts with `id` (INTEGRATION.md, "Quota holds across agents"). */
export function holdMates(
  id: string,
  lanes: readonly string[],
  groups: GatewaySettings["holdGroups"],
): Set<string> {
  const mates = new Set<string>();
  for (const group of groups ?? [lanes])
    if (group.includes(id)) for (const m of group) mates.add(m);
  mates.delete(id);
  return mates;
}

/** The gateway-wide cap: as set, else the largest maxConcurrent of the agents served. */
export function gatewayCap(gateway: GatewaySettings, states: readonly LaneState[]): number {
  if (gateway.gatewayMaxConcurrent !== undefined) return gateway.gatewayMaxConcurrent;
  return Math.max(1, ...states.map((s) => s.ctx?.policy.maxConcurrent ?? 1));
}

async function look(lane: Lane): Promise<LaneState> {
  const state: LaneState = { lane, ctx: null, queue: null, active: 0, ran: false, results: [] };
  try {
    state.ctx = await lane.context();
    state.queue = (await state.ctx.store.read(dispatchScope(state.ctx.policy))).queue;
    state.active = await activeRuns(state.ctx);
  } catch (err) {
    state.results.push(tag(lane.id, toErrorStatus(err)));
  }
  return state;
}

/** Takes over the waiting quota holds of the agents this one shares provider accounts with. */
async function shareHolds(
  state: LaneState,
  mates: ReadonlySet<string>,
  states: readonly LaneState[],
  nowMs: number,
): Promise<void> {
  const holds = states
    .filter((s) => mates.has(s.lane.id) && s.queue !== null)
    .flatMap((s) => waitingHolds(s.queue!, nowMs));
  if (holds.length === 0 || adoptHolds(state.queue!, holds, nowMs) === state.queue) return;
  await state.ctx!.store.mutate(NO_TASKS, (queue) => ({
    queue: adoptHolds(queue, holds, nowMs),
    result: null,
  }));
}

/**
 * One lane's part of a tick: capture failed runs, take over shared holds, then check → spawn →
 * record until the check stops saying READY (at most maxConcurrent starts), counting the other
 * agents' runs against the gateway-wide cap.
 */
async function runLane(
  state: LaneState,
  input: LaneTickInput,
  states: readonly LaneState[],
  cap: number,
): Promise<{ captured: number; started: boolean }> {
  const ctx = state.ctx!;
  const id = state.lane.id;
  const captured = await scanFailedSubagents(ctx);
  const mates = holdMates(
    id,
    input.lanes.map((l) => l.id),
    input.gateway.holdGroups,
  );
  await shareHolds(state, mates, states, input.now());
  const othersActive = states.reduce((n, s) => (s === state ? n : n + s.active), 0);
  let started = false;
  for (let i = 0; i < ctx.policy.maxConcurrent; i++) {
    const result = await dispatchOnce(ctx, input.spawner, {
      mainBusy: state.lane.main.busy(),
      gatewayKind: "plugin",
      gateway: { othersActive, max: cap },
    });
    state.results.push(tag(id, result));
    if (result.status !== "ERROR" && result.alerts?.length) state.lane.notify(result.alerts);
    if (result.status !== "READY") break;
    started = true;
  }
  state.queue = (await ctx.store.read(dispatchScope(ctx.policy))).queue;
  state.active = await activeRuns(ctx);
  await state.lane.afterTick?.(ctx);
  return { captured, started };
}

/**
 * One tick over every agent of the gateway. Each lane's own runs, and the others', are counted
 * first, so the gateway-wide cap holds across agents; lanes then get slots in `order`. A lane
 * that fails (a bad .taskmanagerrc) is an ERROR result of its own; the others go on.
 */
export async function tickLanes(input: LaneTickInput): Promise<LaneTickOutcome> {
  const states = await Promise.all(input.lanes.map(look));
  const cap = gatewayCap(input.gateway, states);
  const byId = new Map(states.map((s) => [s.lane.id, s]));
  let captured = 0;
  let lastStarter: string | null = null;
  for (const id of input.order) {
    const state = byId.get(id);
    if (!state?.ctx) continue;
    const named = input.named === "every" || input.named.has(id);
    if (!named && state.ctx.policy.wake !== "due") continue;
    state.ran = true;
    try {
      const r = await runLane(state, input, states, cap);
      captured += r.captured;
      if (r.started) lastStarter = id;
    } catch (err) {
      state.results.push(tag(id, toErrorStatus(err)));
    }
  }
  return { captured, results: states.flatMap((s) => s.results), states, lastStarter };
}
