import type { HistoryEntry, Usage } from "./queue-model.js";

/**
 * What the runs cost, and what the same runs would have cost on the main session's model —
 * the money the VIP lane saved. Prices come from the host's model catalog, which the runtime
 * reads and hands in: core never knows where it came from.
 */

/** USD per million tokens, as hosts write them (`models.providers.<id>.models[].cost`). */
export interface ModelCost {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** The host's price list and its main model, as the runtime found them. */
export interface ModelCatalog {
  /** The main session's model ("provider/model"), e.g. agents.defaults.model.primary; null if unknown. */
  mainModel: string | null;
  /** Prices of a model ("provider/model"), or null when the catalog has none. */
  costOf(model: string): ModelCost | null;
}

export const EMPTY_CATALOG: ModelCatalog = { mainModel: null, costOf: () => null };

/**
 * A price that says something: OpenClaw fills zeros into catalog entries it has no price for
 * ("default-filled zero rates do not establish free usage", its docs say — bundled Google
 * models are all zeros), so a price of zero everywhere counts as no price. A model that really
 * is free can say so in the policy's `budget.prices`, which is taken as written.
 */
export const isRealPrice = (cost: ModelCost): boolean =>
  cost.input > 0 || cost.output > 0 || cost.cacheRead > 0 || cost.cacheWrite > 0;

/** Tokens of a run as budgets count them: input + output + cache read + cache write. */
export const runTokens = (usage: Usage): number =>
  usage.input + usage.output + usage.cache_read + usage.cache_write;

/**
 * What a run cost in USD: the host's recorded cost, else its tokens at the catalog price of the
 * model that ran; null when neither is known. A recorded 0 for a run that used tokens is the
 * host pricing it at a zero placeholder, not a free run, so the catalog is asked instead.
 */
export function runCostUsd(
  usage: Usage,
  model: string | null,
  catalog: Pick<ModelCatalog, "costOf">,
): number | null {
  const recorded = usage.cost_usd;
  if (recorded !== null && (recorded > 0 || runTokens(usage) === 0)) return recorded;
  const price = model === null ? null : catalog.costOf(model);
  return price === null ? null : priceUsage(usage, price);
}

/** The price of a run's tokens at a model's catalog costs, in USD. */
export function priceUsage(usage: Usage, cost: ModelCost): number {
  return (
    (usage.input * cost.input +
      usage.output * cost.output +
      usage.cache_read * cost.cacheRead +
      usage.cache_write * cost.cacheWrite) /
    1_000_000
  );
}

export interface ModelSpend {
  runs: number;
  done: number;
  success_rate: number;
  mean_run_seconds: number | null;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  /** Sum over the runs with a price: the host's recorded cost, else the catalog price. */
  cost_usd: number;
  /** Runs whose usage the host recorded but that have no price (neither recorded nor in the catalog). */
  unpriced_runs: number;
  /** Runs settled without usage (the host said nothing, or the run was settled by hand). */
  runs_without_usage: number;
}

export interface SpendSummary {
  by_model: Record<string, ModelSpend>;
  total_usd: number;
  main_model: string | null;
  /** The same tokens priced at the main model's catalog costs; null when it has no price. */
  on_main_model_usd: number | null;
  /** on_main_model_usd − the spend of those same runs; null when unknown. */
  saved_usd: number | null;
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

function runSeconds(entry: HistoryEntry): number | null {
  if (entry.started_at === null) return null;
  const seconds = (Date.parse(entry.ended_at) - Date.parse(entry.started_at)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** Spend per model over the settled runs in `history`, and the comparison with the main model. */
export function summarizeSpend(
  history: readonly HistoryEntry[],
  catalog: ModelCatalog,
): SpendSummary {
  const byModel = new Map<string, ModelSpend & { seconds: number[] }>();
  const mainCost = catalog.mainModel === null ? null : catalog.costOf(catalog.mainModel);
  let total = 0;
  let onMain = 0;
  // The comparison only counts runs priced both ways, so it compares like with like.
  let comparedSpend = 0;
  for (const entry of history) {
    const model = entry.model ?? "(unknown)";
    let row = byModel.get(model);
    if (row === undefined) {
      row = {
        runs: 0,
        done: 0,
        success_rate: 0,
        mean_run_seconds: null,
        input: 0,
        output: 0,
        cache_read: 0,
        cache_write: 0,
        cost_usd: 0,
        unpriced_runs: 0,
        runs_without_usage: 0,
        seconds: [],
      };
      byModel.set(model, row);
    }
    row.runs += 1;
    if (entry.outcome === "done") row.done += 1;
    const seconds = runSeconds(entry);
    if (seconds !== null && entry.outcome === "done") row.seconds.push(seconds);
    const usage = entry.usage;
    if (usage === undefined) {
      row.runs_without_usage += 1;
      continue;
    }
    row.input += usage.input;
    row.output += usage.output;
    row.cache_read += usage.cache_read;
    row.cache_write += usage.cache_write;
    const cost = runCostUsd(usage, entry.model, catalog);
    if (cost === null) {
      row.unpriced_runs += 1;
      continue;
    }
    row.cost_usd += cost;
    total += cost;
    if (mainCost !== null) {
      onMain += priceUsage(usage, mainCost);
      comparedSpend += cost;
    }
  }
  const by_model: Record<string, ModelSpend> = {};
  for (const [model, { seconds, ...row }] of [...byModel].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    by_model[model] = {
      ...row,
      success_rate: Math.round((row.done / row.runs) * 1000) / 1000,
      mean_run_seconds:
        seconds.length === 0
          ? null
          : Math.round((seconds.reduce((a, b) => a + b, 0) / seconds.length) * 10) / 10,
      cost_usd: round(row.cost_usd),
    };
  }
  return {
    by_model,
    total_usd: round(total),
    main_model: catalog.mainModel,
    on_main_model_usd: mainCost === null ? null : round(onMain),
    saved_usd: mainCost === null ? null : round(onMain - comparedSpend),
  };
}
