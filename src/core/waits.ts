import type { Policy } from "../policy/schema.js";
import {
  capacityGate,
  countActive,
  gatewayFull,
  type DeferReason,
  type Gate,
  type Observation,
} from "./decide.js";
import { amount, budgetName, type BudgetBlockView } from "./budget.js";
import { compareTasks, isDue } from "./order.js";
import type { PaceView } from "./pacing.js";
import type { Queue, Task } from "./queue-model.js";

/**
 * Why one pending task is not running, in the words of the check: one of the DEFERRED reasons,
 * or `next` (a check would start it now) / `queued` (due, with other due tasks ahead of it).
 */
export type WaitReason = DeferReason | "next" | "queued";

export interface Wait {
  reason: WaitReason;
  /** When this reason stops holding, if anyone knows (epoch ms). */
  untilMs: number | null;
  /** Plain facts behind the reason, e.g. {active: 1, max: 1} or {load: 3.1, threshold: 0.8}. */
  facts: Record<string, number | string | null>;
  /** One short English line a page or a log can show as is. */
  text: string;
}

/** Everything per-task explanations share, computed once per view (each piece is O(tasks)). */
export interface WaitContext {
  queue: Queue;
  policy: Policy;
  obs: Observation;
  nowMs: number;
  /** What holds the best due task (null when none is due): models, slots, main session, machine. */
  gate: Gate | null;
  active: number;
  /** Pending tasks in the order they will run (see pendingRunOrder). */
  order: Task[];
  /** A due task's place in line (0 = next). */
  dueOrder: Map<string, number>;
}

/** Pending tasks in the order they will run: due ones in run order, then the waiting ones by retry time. */
export function pendingRunOrder(queue: Queue, nowMs: number): Task[] {
  const due: Task[] = [];
  const later: Array<{ at: number; task: Task }> = [];
  for (const t of queue.tasks) {
    if (t.state !== "pending") continue;
    if (isDue(t, nowMs)) due.push(t);
    else later.push({ at: Date.parse(t.run_at!), task: t });
  }
  due.sort(compareTasks);
  later.sort((a, b) => a.at - b.at || compareTasks(a.task, b.task));
  return [...due, ...later.map((l) => l.task)];
}

export function waitContext(
  queue: Queue,
  policy: Policy,
  obs: Observation,
  nowMs: number,
): WaitContext {
  const order = pendingRunOrder(queue, nowMs);
  const dueOrder = new Map<string, number>();
  for (const [i, t] of order.entries()) {
    if (!isDue(t, nowMs)) break;
    dueOrder.set(t.id, i);
  }
  const best = order[0] !== undefined && isDue(order[0], nowMs) ? order[0] : undefined;
  return {
    queue,
    policy,
    obs,
    nowMs,
    gate: best ? capacityGate(queue, policy, obs, nowMs, best) : null,
    active: countActive(queue, obs),
    order,
    dueOrder,
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function gateWait(w: WaitContext, gate: Extract<Gate, { kind: "closed" }>): Wait {
  const { policy, obs } = w;
  const until = gate.retryAtMs;
  switch (gate.reason) {
    case "quota_cooldown":
      return gate.hold
        ? {
            reason: gate.reason,
            untilMs: until,
            facts: {
              hold: gate.hold.key,
              scope: gate.hold.scope,
              source: gate.hold.source,
              state: gate.hold.state,
            },
            text: `${gate.hold.scope} ${gate.hold.key} is on hold after a rate limit (reset time from ${gate.hold.source})`,
          }
        : {
            reason: gate.reason,
            untilMs: until,
            facts: { models: policy.models.length },
            text: `every whitelisted model rests after a rate limit (${policy.models.length} of ${policy.models.length})`,
          };
    case "concurrency_limit":
      if (w.active < policy.maxConcurrent && obs.gateway && gatewayFull(w.active, obs))
        return {
          reason: gate.reason,
          untilMs: until,
          facts: {
            active: w.active + obs.gateway.othersActive,
            max: obs.gateway.max,
            scope: "gateway",
          },
          text: `background runs across the gateway's agents: ${w.active + obs.gateway.othersActive}/${obs.gateway.max}`,
        };
      return {
        reason: gate.reason,
        untilMs: until,
        facts: { active: w.active, max: policy.maxConcurrent },
        text: `background sessions busy: ${w.active}/${policy.maxConcurrent}`,
      };
    case "main_busy":
      return {
        reason: gate.reason,
        untilMs: until,
        facts: {},
        text: "the main session is mid-run",
      };
    case "system_load":
      return {
        reason: gate.reason,
        untilMs: until,
        facts: { load: round2(obs.loadPerCore), threshold: policy.loadThreshold },
        text: `load per core ${round2(obs.loadPerCore)} > ${policy.loadThreshold}`,
      };
    case "memory_pressure":
      return {
        reason: gate.reason,
        untilMs: until,
        facts: { free_mb: obs.freeMemoryMB, min_mb: policy.minFreeMemoryMB },
        text: `free memory ${obs.freeMemoryMB} MB < ${policy.minFreeMemoryMB} MB`,
      };
    case "budget":
      return gate.budget ? budgetWait(gate.budget, until) : plainWait(gate.reason, until);
    case "pacing":
      return gate.pacing ? pacingWait(gate.pacing, until) : plainWait(gate.reason, until);
    default:
      return plainWait(gate.reason, until);
  }
}

function plainWait(reason: DeferReason, untilMs: number | null): Wait {
  return { reason, untilMs, facts: {}, text: reason.replace(/_/g, " ") };
}

function budgetWait(b: BudgetBlockView, untilMs: number | null): Wait {
  const left = b.cap - b.spent - b.reserved;
  const why =
    left <= 0
      ? `${budgetName(b)} is used up: ${amount(b.spent, b.unit)} of ${amount(b.cap, b.unit)}`
      : `${budgetName(b)} has ${amount(left, b.unit)} left, the next run on ${b.model} is expected to cost ${amount(b.expected, b.unit)}`;
  return {
    reason: "budget",
    untilMs,
    facts: {
      budget: b.scope === "all" ? "all" : `${b.scope} ${b.key}`,
      window: b.window,
      unit: b.unit,
      spent: b.spent,
      cap: b.cap,
      reserved: b.reserved,
      expected: b.expected,
      model: b.model,
    },
    text: `${why}; ${b.window === "day" ? "it resets at midnight" : "it resets on the 1st"}`,
  };
}

const WINDOW_WORDS: Record<string, string> = {
  minute: "a minute",
  hour: "an hour",
  "5h": "5 hours",
  day: "a day",
};

function pacingWait(p: PaceView, untilMs: number | null): Wait {
  const facts = { limit: `${p.scope} ${p.key}`, window: p.window, used: p.used, max: p.limit };
  if (p.window === "concurrent")
    return {
      reason: "pacing",
      untilMs,
      facts,
      text: `${p.scope} ${p.key} has ${p.used}/${p.limit} runs out at once`,
    };
  const per = WINDOW_WORDS[p.window] ?? p.window;
  return {
    reason: "pacing",
    untilMs,
    facts,
    text:
      p.used >= p.limit
        ? `${p.scope} ${p.key} started ${p.used} of ${p.limit} runs allowed in ${per}`
        : `${p.scope} ${p.key}: ${p.used} of ${p.limit} runs in ${per}, so starts are spaced out${p.ramping ? " (ramping up after a rate limit)" : ""}`,
  };
}

/**
 * Why `task` (pending) waits, asked in the order `decide` asks: paused, its own retry time, then
 * what holds every task (models, slots, main session, machine), then its place in line.
 */
export function explainWait(w: WaitContext, task: Task): Wait {
  if (w.queue.paused)
    return { reason: "paused", untilMs: null, facts: {}, text: "the queue is paused" };
  if (!isDue(task, w.nowMs)) {
    const untilMs = Date.parse(task.run_at!);
    return task.last_error?.kind === "quota"
      ? { reason: "quota_cooldown", untilMs, facts: {}, text: "retry after a rate limit" }
      : {
          reason: "backoff",
          untilMs,
          facts: { failures: task.failures },
          text: `backing off after ${task.failures} failure${task.failures === 1 ? "" : "s"}`,
        };
  }
  if (w.gate?.kind === "closed") return gateWait(w, w.gate);
  const place = w.dueOrder.get(task.id) ?? 0;
  // The gate's task may be a probe that goes ahead of the line (the one task allowed on an ended hold).
  if (w.gate?.task.id === task.id)
    return {
      reason: "next",
      untilMs: null,
      facts: { model: w.gate.model },
      text: `starts at the next check, on ${w.gate.model}`,
    };
  return {
    reason: "queued",
    untilMs: null,
    facts: { ahead: place },
    text: `${place} due task${place === 1 ? "" : "s"} ahead`,
  };
}

/** Models resting after a quota error, soonest free first. */
export function modelHolds(
  queue: Queue,
  policy: Policy,
  nowMs: number,
): Array<{ model: string; untilMs: number; whitelisted: boolean }> {
  return Object.entries(queue.cooldowns)
    .map(([model, until]) => ({
      model,
      untilMs: Date.parse(until),
      whitelisted: policy.models.includes(model),
    }))
    .filter((h) => h.untilMs > nowMs)
    .sort((a, b) => a.untilMs - b.untilMs);
}
