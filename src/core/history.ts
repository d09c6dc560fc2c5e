import type { HistoryEntry } from "./queue-model.js";
import { isoTime } from "./time.js";

/** Success figures over the bounded run history (`stats` and the status page both show these). */
export interface HistorySummary {
  runs: number;
  done: number;
  failed: number;
  dead: number;
  /** Runs that went to review (they may have acted; not re-run blindly). */
  review: number;
  success_rate: number | null;
  mean_run_seconds: number | null;
}

const runSeconds = (e: HistoryEntry): number | null =>
  e.started_at ? (Date.parse(e.ended_at) - Date.parse(e.started_at)) / 1000 : null;

export function summarizeHistory(history: readonly HistoryEntry[]): HistorySummary {
  let done = 0;
  let failed = 0;
  let dead = 0;
  let review = 0;
  let seconds = 0;
  let timed = 0;
  for (const e of history) {
    if (e.outcome === "done") {
      done += 1;
      const s = runSeconds(e);
      if (s !== null) {
        seconds += s;
        timed += 1;
      }
    } else if (e.outcome === "failed") failed += 1;
    else if (e.outcome === "dead") dead += 1;
    else if (e.outcome === "review") review += 1;
  }
  return {
    runs: history.length,
    done,
    failed,
    dead,
    review,
    success_rate: history.length > 0 ? Math.round((done / history.length) * 1000) / 1000 : null,
    mean_run_seconds: timed > 0 ? Math.round((seconds / timed) * 10) / 10 : null,
  };
}

/**
 * What a run's record counts as on the chart: done, quota (a rate limit: not the task's fault),
 * or failed. An outcome this version does not know (a newer queue's) is its own series, so it
 * is shown rather than folded into another.
 */
export function runCategory(entry: Pick<HistoryEntry, "outcome" | "kind">): string {
  const outcome: string = entry.outcome;
  if (outcome === "done") return "done";
  if (entry.kind === "quota") return "quota";
  if (outcome === "failed" || outcome === "dead") return "failed";
  return outcome;
}

export const HOUR_MS = 3_600_000;

/** Runs per hour, by category, for the `hours` hours up to and including the current one. */
export interface HourlyRuns {
  from: string;
  bucket_ms: number;
  buckets: number;
  /** Category → one count per hour, oldest first. done / failed / quota always present. */
  series: Record<string, number[]>;
}

export function runsPerHour(
  history: readonly HistoryEntry[],
  nowMs: number,
  hours = 7 * 24,
): HourlyRuns {
  const fromMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  const series: Record<string, number[]> = {};
  const row = (name: string): number[] => (series[name] ??= new Array<number>(hours).fill(0));
  for (const name of ["done", "failed", "quota"]) row(name);
  for (const e of history) {
    const at = Date.parse(e.ended_at);
    const slot = Math.floor((at - fromMs) / HOUR_MS);
    if (slot < 0 || slot >= hours) continue;
    row(runCategory(e))[slot]! += 1;
  }
  return { from: isoTime(fromMs), bucket_ms: HOUR_MS, buckets: hours, series };
}
