import { summarizeSpend, type ModelCatalog, type SpendSummary } from "./cost.js";
import { holdView, type HoldView } from "./holds.js";
import { countByState } from "./order.js";
import type { Queue, Task } from "./queue-schema.js";

export interface Stats {
  counts: Record<Task["state"], number>;
  total: number;
  /** Over the bounded run history (the last 500 settled runs). */
  history: { runs: number; done: number; failed: number; dead: number; review: number; success_rate: number | null; mean_run_seconds: number | null };
  spend: SpendSummary;
  /** Model rests still running (a model the gateway could not run; quota cooldowns from older versions). */
  cooldowns: Record<string, string>;
  /** Quota holds, ended ones included until their probe settles. */
  holds: HoldView[];
  paused: boolean;
}

/** `stats`: counts per state, success figures, spend, holds — one pure function of the queue. */
export function queueStats(queue: Queue, catalog: ModelCatalog, nowMs: number): Stats {
  const h = queue.history;
  const count = (outcome: string): number => h.filter((e) => e.outcome === outcome).length;
  const done = h.filter((e) => e.outcome === "done");
  const durations = done.filter((e) => e.started_at).map((e) => (Date.parse(e.ended_at) - Date.parse(e.started_at!)) / 1000);
  return {
    counts: countByState(queue),
    total: queue.tasks.length,
    history: {
      runs: h.length,
      done: done.length,
      failed: count("failed"),
      dead: count("dead"),
      review: count("review"),
      success_rate: h.length > 0 ? Math.round((done.length / h.length) * 1000) / 1000 : null,
      mean_run_seconds: durations.length > 0 ? Math.round((durations.reduce((a, b) => a + b, 0) / durations.length) * 10) / 10 : null,
    },
    spend: summarizeSpend(h, catalog),
    cooldowns: Object.fromEntries(Object.entries(queue.cooldowns).filter(([, until]) => Date.parse(until) > nowMs)),
    holds: Object.entries(queue.holds ?? {}).map(([key, hold]) => holdView(key, hold, nowMs)),
    paused: queue.paused,
  };
}
