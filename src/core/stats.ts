import type { Policy } from "../policy/schema.js";
import { summarizeSpend, type ModelCatalog, type SpendSummary } from "./cost.js";
import { limitsSummary, type LimitsSummary } from "./limits.js";
import { spendPerDay, type DailySpend, type SpendEnv } from "./spend.js";
import { summarizeHistory, type HistorySummary } from "./history.js";
import { holdView, type HoldView } from "./holds.js";
import type { Queue, Task } from "./queue-model.js";

export interface Stats {
  counts: Record<Task["state"], number>;
  total: number;
  /** Over the bounded run history (the last 500 settled runs). */
  history: HistorySummary;
  spend: SpendSummary;
  /** Model rests still running (a model the gateway could not run; quota cooldowns from older versions). */
  cooldowns: Record<string, string>;
  /** Quota holds, ended ones included until their probe settles. */
  holds: HoldView[];
  paused: boolean;
  /** Each budget's spend in its window and what is left, each pacing limit's use; null when none is set. */
  limits: LimitsSummary | null;
  /** The budget ledger's last 30 local days (it outlives the 500-run history). */
  spend_per_day: DailySpend | null;
}

/**
 * `stats`: counts per state, success figures, spend, holds, budgets and pacing — one pure
 * function of the queue's state, its run history and its counts (a store counts tasks without
 * loading them), and, for budgets, the policy and where days begin.
 */
export function queueStats(
  queue: Queue,
  counts: Record<Task["state"], number>,
  catalog: ModelCatalog,
  nowMs: number,
  budgets?: { policy: Policy; env: SpendEnv },
): Stats {
  return {
    counts: { ...counts },
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    history: summarizeHistory(queue.history),
    spend: summarizeSpend(queue.history, catalog),
    cooldowns: Object.fromEntries(
      Object.entries(queue.cooldowns).filter(([, until]) => Date.parse(until) > nowMs),
    ),
    holds: Object.entries(queue.holds ?? {}).map(([key, hold]) => holdView(key, hold, nowMs)),
    paused: queue.paused,
    limits: budgets ? limitsSummary(queue, budgets.policy, budgets.env, nowMs) : null,
    spend_per_day: budgets ? spendPerDay(queue, budgets.env.timeZone, nowMs) : null,
  };
}
