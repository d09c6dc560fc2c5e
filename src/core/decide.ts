import type { Policy } from "../policy/schema.js";
import { gate, holdView, probeTaskIds, type HoldView } from "./holds.js";
import { inFlightTasks, isDue, nextDueTask } from "./order.js";
import type { Queue, Task } from "./queue-model.js";

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
}

export type Decision =
  | {
      kind: "READY";
      task: Task;
      model: string /** Quota holds this claim is the probe for. */;
      probes: string[];
    }
  | {
      kind: "DEFERRED";
      reason: DeferReason;
      retryAtMs: number | null /** The quota hold that blocks (quota_cooldown). */;
      hold?: HoldView;
    }
  | { kind: "NO_TASKS" };

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

type ModelPick =
  | { model: string; probes: string[] }
  | { model: null; retryAtMs: number | null; hold?: HoldView };

/** The first whitelisted model `task` may run on now, or when the soonest one frees up and why. */
function pickModel(queue: Queue, policy: Policy, task: Task, nowMs: number): ModelPick {
  let retryAtMs: number | null = null;
  let hold: HoldView | undefined;
  for (const model of policy.models) {
    const rests = restsUntil(queue, model, nowMs);
    const g = rests === null ? gate(queue, model, task.id, nowMs) : null;
    if (g?.open) return { model, probes: g.probes };
    const freeAt =
      rests ?? (g && !g.open ? (g.retryAtMs ?? nowMs + RECHECK_MS) : nowMs + RECHECK_MS);
    if (retryAtMs === null || freeAt < retryAtMs) {
      retryAtMs = freeAt;
      hold = g && !g.open ? holdView(g.key, g.hold, nowMs) : undefined;
    }
  }
  return hold ? { model: null, retryAtMs, hold } : { model: null, retryAtMs };
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
  if (capacity.kind === "closed")
    return {
      kind: "DEFERRED",
      reason: capacity.reason,
      retryAtMs: capacity.retryAtMs,
      ...(capacity.hold ? { hold: capacity.hold } : {}),
    };
  return { kind: "READY", task: capacity.task, model: capacity.model, probes: capacity.probes };
}

/** Whether anything may start now, once a due task exists: a model it may use, a slot, a quiet main session and machine. */
export type Gate =
  | { kind: "open"; model: string; task: Task; probes: string[] }
  | { kind: "closed"; reason: DeferReason; retryAtMs: number | null; hold?: HoldView };

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
  const pick = pickModelOrProbe(queue, policy, best, nowMs);
  if (pick.model === null)
    return {
      kind: "closed",
      reason: "quota_cooldown",
      retryAtMs: pick.retryAtMs,
      ...(pick.hold ? { hold: pick.hold } : {}),
    };
  const retryAtMs = nowMs + RECHECK_MS;
  if (countActive(queue, obs) >= policy.maxConcurrent)
    return { kind: "closed", reason: "concurrency_limit", retryAtMs };
  if (obs.mainBusy) return { kind: "closed", reason: "main_busy", retryAtMs };
  if (obs.loadPerCore > policy.loadThreshold)
    return { kind: "closed", reason: "system_load", retryAtMs };
  if (obs.freeMemoryMB < policy.minFreeMemoryMB)
    return { kind: "closed", reason: "memory_pressure", retryAtMs };
  return { kind: "open", model: pick.model, task: pick.task, probes: pick.probes };
}

/**
 * The best due task on its first free model; when holds leave it none, a pending probe task
 * (the one task allowed on an ended hold) may still go — every other task sees the same holds.
 */
function pickModelOrProbe(
  queue: Queue,
  policy: Policy,
  best: Task,
  nowMs: number,
): (ModelPick & { model: null }) | { model: string; probes: string[]; task: Task } {
  const pick = pickModel(queue, policy, best, nowMs);
  if (pick.model !== null) return { ...pick, task: best };
  for (const id of probeTaskIds(queue)) {
    const task = queue.tasks.find((t) => t.id === id);
    if (task === undefined || task === best || task.state !== "pending" || !isDue(task, nowMs))
      continue;
    const probe = pickModel(queue, policy, task, nowMs);
    if (probe.model !== null) return { ...probe, task };
  }
  return pick;
}
