import type { Policy } from "../policy/schema.js";
import {
  budgetBlock,
  budgetLimits,
  budgetStates,
  type BudgetBlockView,
  type BudgetState,
} from "./budget.js";
import { gate, holdView, probeTaskIds, type HoldView } from "./holds.js";
import { inFlightTasks, isDue, nextDueTask } from "./order.js";
import { paceBlock, paceLimits, type PaceView } from "./pacing.js";
import type { Queue, Task } from "./queue-model.js";
import { defaultSpendEnv, type SpendEnv } from "./spend.js";

/** Why a check did not start a task now. A closed set: each value explains itself. */
export const DEFER_REASONS = [
  "paused",
  "backoff",
  "quota_cooldown",
  "concurrency_limit",
  "main_busy",
  "system_load",
  "memory_pressure",
  "locked",
  "host_setup",
  "budget",
  "pacing",
] as const;
export type DeferReason = (typeof DEFER_REASONS)[number];

/** What the probes saw. Built by the runtime; plain data so decisions are testable. */
export interface Observation {
  /** Background (sub-agent) session keys the host shows as active, ours included. */
  activeSessionKeys: readonly string[];
  /** The main session is mid-run (plugin mode knows; skill mode: the check IS the main turn). */
  mainBusy: boolean;
  /** 1-minute load average divided by core count. */
  loadPerCore: number;
  freeMemoryMB: number;
  /** Where budget days begin and what models cost; absent: the policy's zone (else UTC) and prices. */
  spend?: SpendEnv;
  /**
   * Plugin mode with several agents: background runs of the gateway's other agents, and the
   * gateway-wide cap (`gatewayMaxConcurrent`) they share with this queue's own.
   */
  gateway?: { othersActive: number; max: number };
}

export type Decision =
  | {
      kind: "READY";
      task: Task;
      model: string /** Quota holds this claim is the probe for. */;
      probes: string[];
    }
  | ({ kind: "DEFERRED"; reason: DeferReason; retryAtMs: number | null } & BlockDetail)
  | { kind: "NO_TASKS" };

/** What blocks, when a gate knows: the quota hold, the budget or the pacing limit. */
export interface BlockDetail {
  /** quota_cooldown: the hold. */
  hold?: HoldView;
  /** budget: the budget, what is left in it and what the run was expected to cost. */
  budget?: BudgetBlockView;
  /** pacing: the limit and its window's use. */
  pacing?: PaceView;
}

/** How soon to look again after a transient deferral (concurrency, load, main session). */
export const RECHECK_MS = 60_000;

const restsUntil = (queue: Queue, model: string, nowMs: number): number | null => {
  const until = queue.cooldowns[model];
  const ms = until === undefined ? NaN : Date.parse(until);
  return ms > nowMs ? ms : null;
};

/** Models not resting and not held for `task`, in whitelist order. Only these may be recommended. */
export function availableModels(
  queue: Queue,
  policy: Policy,
  nowMs: number,
  taskId = "",
): string[] {
  return policy.models.filter(
    (m) => restsUntil(queue, m, nowMs) === null && gate(queue, m, taskId, nowMs).open,
  );
}

/** Why one model cannot take a task now, and when that ends. */
type Block = { reason: DeferReason; retryAtMs: number } & BlockDetail;

type ModelPick = { model: string; probes: string[] } | ({ model: null } & Block);

/** Budgets and pacing, evaluated once per decision; null when neither is configured (the default). */
interface Limits {
  env: SpendEnv;
  budgets: BudgetState[];
  pacing: boolean;
}

function limitsFor(queue: Queue, policy: Policy, obs: Observation, nowMs: number): Limits | null {
  const budgets = budgetLimits(policy).length > 0;
  const pacing = paceLimits(policy).length > 0;
  if (!budgets && !pacing) return null;
  const env = obs.spend ?? defaultSpendEnv(policy);
  return { env, budgets: budgets ? budgetStates(queue, policy, env, nowMs) : [], pacing };
}

/**
 * What keeps `task` off `model` now: a rest, a quota hold, a budget without room for the run, a
 * pacing limit. All must clear, so the one that ends last is what the model waits for.
 */
function modelBlock(
  queue: Queue,
  policy: Policy,
  task: Task,
  model: string,
  nowMs: number,
  limits: Limits | null,
): { open: true; probes: string[] } | ({ open: false } & Block) {
  const blocks: Block[] = [];
  let probes: string[] = [];
  const rests = restsUntil(queue, model, nowMs);
  if (rests !== null) blocks.push({ reason: "quota_cooldown", retryAtMs: rests });
  else {
    const g = gate(queue, model, task.id, nowMs);
    if (g.open) probes = g.probes;
    else
      blocks.push({
        reason: "quota_cooldown",
        retryAtMs: g.retryAtMs ?? nowMs + RECHECK_MS,
        hold: holdView(g.key, g.hold, nowMs),
      });
  }
  if (limits !== null && limits.budgets.length > 0) {
    const b = budgetBlock(queue, limits.budgets, limits.env, task, model);
    if (b) blocks.push({ reason: "budget", retryAtMs: b.retryAtMs, budget: b.view });
  }
  if (limits?.pacing) {
    const p = paceBlock(queue, policy, model, nowMs);
    if (p)
      blocks.push({
        reason: "pacing",
        retryAtMs: p.retryAtMs ?? nowMs + RECHECK_MS,
        pacing: p.view,
      });
  }
  if (blocks.length === 0) return { open: true, probes };
  let worst = blocks[0]!;
  for (const b of blocks) if (b.retryAtMs > worst.retryAtMs) worst = b;
  return { open: false, ...worst };
}

/** The first whitelisted model `task` may run on now, or when the soonest one frees up and why. */
function pickModel(
  queue: Queue,
  policy: Policy,
  task: Task,
  nowMs: number,
  limits: Limits | null,
): ModelPick {
  let soonest: Block | null = null;
  for (const model of policy.models) {
    const m = modelBlock(queue, policy, task, model, nowMs, limits);
    if (m.open) return { model, probes: m.probes };
    const { open: _open, ...block } = m;
    if (soonest === null || block.retryAtMs < soonest.retryAtMs) soonest = block;
  }
  return { model: null, ...soonest! };
}

/** Active background runs: the host's sub-agent sessions plus our own claims, counted once. */
export function countActive(queue: Queue, obs: Observation): number {
  const keys = new Set(obs.activeSessionKeys);
  let claimsWithoutSession = 0;
  for (const task of inFlightTasks(queue)) {
    const key = task.run?.session_key;
    if (key) keys.add(key);
    else claimsWithoutSession += 1;
  }
  return keys.size + claimsWithoutSession;
}

/**
 * The whole decision, as one pure function of (queue, policy, observation, now): which task on
 * which model, or why not now. Order matters: reasons about the queue itself come first, then
 * the cost of running anything at all (slots, main session, machine).
 */
export function decide(queue: Queue, policy: Policy, obs: Observation, nowMs: number): Decision {
  const pending = queue.tasks.filter((t) => t.state === "pending");
  if (pending.length === 0) return { kind: "NO_TASKS" };
  if (queue.paused) return { kind: "DEFERRED", reason: "paused", retryAtMs: null };
  const task = nextDueTask(queue, nowMs);
  if (!task) {
    const soonest = pending
      .filter((t) => !isDue(t, nowMs))
      .sort((a, b) => Date.parse(a.run_at ?? "") - Date.parse(b.run_at ?? ""))[0];
    const reason = soonest?.last_error?.kind === "quota" ? "quota_cooldown" : "backoff";
    return {
      kind: "DEFERRED",
      reason,
      retryAtMs: soonest?.run_at ? Date.parse(soonest.run_at) : null,
    };
  }
  const capacity = capacityGate(queue, policy, obs, nowMs, task);
  if (capacity.kind === "closed") {
    const { kind: _kind, ...block } = capacity;
    return { kind: "DEFERRED", ...block };
  }
  return { kind: "READY", task: capacity.task, model: capacity.model, probes: capacity.probes };
}

/** Whether anything may start now, once a due task exists: a model it may use, a slot, a quiet main session and machine. */
export type Gate =
  | { kind: "open"; model: string; task: Task; probes: string[] }
  | ({ kind: "closed"; reason: DeferReason; retryAtMs: number | null } & BlockDetail);

/**
 * The cost of running anything at all, in the order a check asks: a whitelisted model not
 * resting or held (or the probe task of an ended hold), then slots, the main session, the
 * machine. Shared by `decide` and the status page's per-task explanation, so both always give
 * the same reason.
 */
export function capacityGate(
  queue: Queue,
  policy: Policy,
  obs: Observation,
  nowMs: number,
  best: Task,
): Gate {
  const limits = limitsFor(queue, policy, obs, nowMs);
  const pick = pickModelOrProbe(queue, policy, best, nowMs, limits);
  if (pick.model === null) {
    const { model: _model, ...block } = pick;
    return { kind: "closed", ...block };
  }
  const retryAtMs = nowMs + RECHECK_MS;
  const active = countActive(queue, obs);
  if (active >= policy.maxConcurrent || gatewayFull(active, obs))
    return { kind: "closed", reason: "concurrency_limit", retryAtMs };
  if (obs.mainBusy) return { kind: "closed", reason: "main_busy", retryAtMs };
  if (obs.loadPerCore > policy.loadThreshold)
    return { kind: "closed", reason: "system_load", retryAtMs };
  if (obs.freeMemoryMB < policy.minFreeMemoryMB)
    return { kind: "closed", reason: "memory_pressure", retryAtMs };
  return { kind: "open", model: pick.model, task: pick.task, probes: pick.probes };
}

/** The gateway-wide cap: this queue's runs plus the other agents' reach it. */
export const gatewayFull = (active: number, obs: Observation): boolean =>
  obs.gateway !== undefined && active + obs.gateway.othersActive >= obs.gateway.max;

/**
 * The best due task on its first free model; when holds leave it none, a pending probe task
 * (the one task allowed on an ended hold) may still go — every other task sees the same holds.
 */
function pickModelOrProbe(
  queue: Queue,
  policy: Policy,
  best: Task,
  nowMs: number,
  limits: Limits | null,
): (ModelPick & { model: null }) | { model: string; probes: string[]; task: Task } {
  const pick = pickModel(queue, policy, best, nowMs, limits);
  if (pick.model !== null) return { ...pick, task: best };
  for (const id of probeTaskIds(queue)) {
    const task = queue.tasks.find((t) => t.id === id);
    if (task === undefined || task === best || task.state !== "pending" || !isDue(task, nowMs))
      continue;
    const probe = pickModel(queue, policy, task, nowMs, limits);
    if (probe.model !== null) return { ...probe, task };
  }
  return pick;
}
