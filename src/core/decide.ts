import type { Policy } from "../policy/schema.js";
import { inFlightTasks, isDue, nextDueTask } from "./order.js";
import type { Queue, Task } from "./queue-schema.js";

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
  | { kind: "READY"; task: Task; model: string }
  | { kind: "DEFERRED"; reason: DeferReason; retryAtMs: number | null }
  | { kind: "NO_TASKS" };

/** How soon to look again after a transient deferral (concurrency, load, main session). */
export const RECHECK_MS = 60_000;

/** Models not resting after a quota error, in whitelist order. Only these may be recommended. */
export function availableModels(queue: Queue, policy: Policy, nowMs: number): string[] {
  return policy.models.filter((m) => {
    const until = queue.cooldowns[m];
    return until === undefined || Date.parse(until) <= nowMs;
  });
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

function earliest(times: Iterable<string | null>): number | null {
  let min: number | null = null;
  for (const t of times) {
    if (t === null) continue;
    const ms = Date.parse(t);
    if (min === null || ms < min) min = ms;
  }
  return min;
}

/** Whether anything may start now, once a due task exists: a whitelisted model, a slot, a quiet main session and machine. */
export type Gate = { kind: "open"; model: string } | { kind: "closed"; reason: DeferReason; retryAtMs: number | null };

/**
 * The cost of running anything at all, in the order a check asks: a model not resting after a
 * quota error, then slots, the main session, the machine. Shared by `decide` and the status
 * page's per-task explanation, so both always give the same reason.
 */
export function capacityGate(queue: Queue, policy: Policy, obs: Observation, nowMs: number): Gate {
  const model = availableModels(queue, policy, nowMs)[0];
  if (model === undefined) {
    return { kind: "closed", reason: "quota_cooldown", retryAtMs: earliest(policy.models.map((m) => queue.cooldowns[m] ?? null)) };
  }
  const retryAtMs = nowMs + RECHECK_MS;
  if (countActive(queue, obs) >= policy.maxConcurrent) return { kind: "closed", reason: "concurrency_limit", retryAtMs };
  if (obs.mainBusy) return { kind: "closed", reason: "main_busy", retryAtMs };
  if (obs.loadPerCore > policy.loadThreshold) return { kind: "closed", reason: "system_load", retryAtMs };
  if (obs.freeMemoryMB < policy.minFreeMemoryMB) return { kind: "closed", reason: "memory_pressure", retryAtMs };
  return { kind: "open", model };
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
    const soonest = pending.filter((t) => !isDue(t, nowMs)).sort((a, b) => Date.parse(a.run_at ?? "") - Date.parse(b.run_at ?? ""))[0];
    const reason = soonest?.last_error?.kind === "quota" ? "quota_cooldown" : "backoff";
    return { kind: "DEFERRED", reason, retryAtMs: soonest?.run_at ? Date.parse(soonest.run_at) : null };
  }
  const gate = capacityGate(queue, policy, obs, nowMs);
  if (gate.kind === "closed") return { kind: "DEFERRED", reason: gate.reason, retryAtMs: gate.retryAtMs };
  return { kind: "READY", task, model: gate.model };
}
