import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/core/queue-schema.js";
import { interpretHostConfig } from "../../src/host/host-config.js";
import { hostMainModel, hostPrices, summarizeSpend } from "../../src/runtime/spend.js";

const run = (model: string | null, extra: Record<string, unknown> = {}): HistoryEntry =>
  ({ task_id: "t_x", outcome: "done", kind: null, started_at: "2026-11-28T10:00:00.000Z", ended_at: "2026-11-28T10:01:00.000Z", model, ...extra }) as HistoryEntry;

const config = interpretHostConfig({
  models: { providers: { fake: { apiKey: "k", models: [{ id: "big", cost: { input: 15, output: 75, cacheRead: 0, cacheWrite: 0 } }, { id: "flash", cost: { input: 0.1, output: 0.4 } }] } } },
  agents: { defaults: { model: { primary: "fake/big" } } },
});

describe("spend per model, and saved against the main session's model", () => {
  it("reads prices and the main model from the host config", () => {
    expect(hostMainModel(config)).toBe("fake/big");
    expect(hostPrices(config).get("fake/flash")).toEqual({ input: 0.1, output: 0.4, cacheRead: 0, cacheWrite: 0 });
  });

  it("sums recorded cost per model; saved = the same tokens at the main model's price minus what was paid", () => {
    const history = [
      run("fake/flash", { usage: { input: 1_000_000, output: 100_000, costUsd: 0.14 } }),
      run("fake/flash", { usage: { input: 1_000_000, output: 0, cache_read: 0, cache_write: 0 } }), // no cost recorded: priced from the catalog
      run("other/x", { cost_usd: 0.5 }), // a cost without tokens: counted in spend, not in "saved"
    ];
    const s = summarizeSpend(history, hostPrices(config), "fake/big");
    expect(s.by_model).toEqual([
      { model: "other/x", runs: 1, priced_runs: 1, cost_usd: 0.5, tokens: null },
      { model: "fake/flash", runs: 2, priced_runs: 2, cost_usd: 0.24, tokens: { input: 2_000_000, output: 100_000, cache_read: 0, cache_write: 0 } },
    ]);
    expect(s.total_usd).toBe(0.74);
    // on fake/big: 2M × $15/M + 0.1M × $75/M = $37.50; paid 0.24
    expect(s.saved_usd).toBe(37.26);
    expect(s.note).toBeNull();
  });

  it("says why, instead of showing zeros, when the history has no cost or the main model has no price", () => {
    expect(summarizeSpend([run("fake/flash")], hostPrices(config), "fake/big")).toMatchObject({ total_usd: null, saved_usd: null, note: "the queue's run history has no usage or cost yet", by_model: [{ model: "fake/flash", runs: 1, cost_usd: null }] });
    const unpriced = summarizeSpend([run("fake/flash", { usage: { input: 10, output: 10, costUsd: 0.01 } })], hostPrices(config), "anthropic/opus");
    expect(unpriced).toMatchObject({ total_usd: 0.01, saved_usd: null });
    expect(unpriced.note).toContain("no price for the main session's model anthropic/opus");
  });
});
