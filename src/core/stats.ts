import { summarizeSpend, type ModelCatalog, type SpendSummary } from "./cost.js";
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
}

/**
 * `stats`: counts per state, success figures, spend, holds — one pure function of the queue's
 * state, its run history and its counts (a store counts tasks without loading them).
 */
export function queueStats(
  queue: Queue,
  counts: Record<Task["state"], number>,
  catalog: ModelCatalog,
  nowMs: number,
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
  };
}
