import { describe, expect, it } from "vitest";
import { HOUR_MS, runsPerHour, summarizeHistory } from "../../src/core/history.js";
import type { HistoryEntry } from "../../src/core/queue-model.js";
import { T0 } from "../helpers/fixtures.js";

const entry = (
  outcome: string,
  kind: HistoryEntry["kind"],
  endedMs: number,
  runSeconds = 30,
): HistoryEntry =>
  ({
    task_id: "t_x",
    outcome,
    kind,
    started_at: new Date(endedMs - runSeconds * 1000).toISOString(),
    ended_at: new Date(endedMs).toISOString(),
    model: "m/a",
  }) as HistoryEntry;

describe("run history for the status page: hourly buckets and success figures", () => {
  it("puts each run in its hour as done, failed or quota, over the last 7 days only", () => {
    const now = T0 + 30 * 60_000; // 12:30
    const h = runsPerHour(
      [
        entry("done", null, now - 60_000),
        entry("failed", "quota", now - HOUR_MS),
        entry("dead", "error", now - 2 * HOUR_MS),
        entry("failed", "timeout", now - 2 * HOUR_MS),
        entry("done", null, now - 8 * 24 * HOUR_MS), // older than the window
      ],
      now,
    );
    expect(h.buckets).toBe(168);
    expect(Date.parse(h.from)).toBe(T0 - 167 * HOUR_MS);
    expect(h.series.done!.at(-1)).toBe(1);
    expect(h.series.quota!.at(-2)).toBe(1);
    expect(h.series.failed!.at(-3)).toBe(2);
    expect(
      Object.values(h.series)
        .flat()
        .reduce((a, b) => a + b, 0),
    ).toBe(4);
  });

  it("an outcome this version does not know gets a series of its own instead of vanishing", () => {
    const h = runsPerHour([entry("expired", null, T0)], T0);
    expect(h.series.expired!.at(-1)).toBe(1);
    expect(Object.keys(h.series)).toEqual(["done", "failed", "quota", "expired"]);
  });

  it("success rate over all runs, mean run time over finished ones", () => {
    expect(
      summarizeHistory([
        entry("done", null, T0, 10),
        entry("done", null, T0, 30),
        entry("failed", "error", T0),
      ]),
    ).toEqual({
      runs: 3,
      done: 2,
      failed: 1,
      dead: 0,
      review: 0,
      success_rate: 0.667,
      mean_run_seconds: 20,
    });
    expect(summarizeHistory([])).toMatchObject({ success_rate: null, mean_run_seconds: null });
  });
});
