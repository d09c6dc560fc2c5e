import type { HistoryEntry } from "../core/queue-schema.js";
import type { HostConfig } from "../host/host-config.js";

/** USD per million tokens, as the host's model catalog states it (`models.providers.*.models[].cost`). */
export interface Price {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface Tokens {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

export interface SpendRow {
  model: string;
  runs: number;
  /** Runs whose record carries a cost (or tokens and a known price). */
  priced_runs: number;
  cost_usd: number | null;
  tokens: Tokens | null;
}

export interface Spend {
  currency: "USD";
  by_model: SpendRow[];
  total_usd: number | null;
  /** The model the main session runs on, and its price, when the host config says. */
  main_model: string | null;
  /** What the priced runs would have cost on the main session's model, minus what they cost. */
  saved_usd: number | null;
  /** Why a figure is missing, in one line (null when everything could be computed). */
  note: string | null;
}

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const pick = (o: Loose, ...keys: string[]): number | null => {
  for (const k of keys) {
    const v = num(o[k]);
    if (v !== null) return v;
  }
  return null;
};

/**
 * Usage and cost a history entry may carry. Queues written before runs recorded usage have
 * neither; the names follow the host's RunUsage (camelCase) and the queue's snake_case, so either
 * spelling is read — this is the one place to adjust if the recorded field changes.
 */
export function usageOf(entry: HistoryEntry): { costUsd: number | null; tokens: Tokens | null } {
  const loose = entry as unknown as Loose;
  const usage = isObj(loose.usage) ? loose.usage : null;
  const costUsd = pick(loose, "cost_usd", "costUsd") ?? (usage ? pick(usage, "cost_usd", "costUsd", "cost") : null);
  if (!usage) return { costUsd, tokens: null };
  const input = pick(usage, "input", "input_tokens");
  const output = pick(usage, "output", "output_tokens");
  if (input === null && output === null) return { costUsd, tokens: null };
  return {
    costUsd,
    tokens: { input: input ?? 0, output: output ?? 0, cache_read: pick(usage, "cache_read", "cacheRead") ?? 0, cache_write: pick(usage, "cache_write", "cacheWrite") ?? 0 },
  };
}

const priceTokens = (t: Tokens, p: Price): number => (t.input * p.input + t.output * p.output + t.cache_read * p.cacheRead + t.cache_write * p.cacheWrite) / 1e6;

function get(obj: unknown, keys: string[]): unknown {
  let cur = obj;
  for (const key of keys) cur = isObj(cur) ? cur[key] : undefined;
  return cur;
}

/** Prices from the host config's model catalog, by "provider/model". Keys and URLs are never read. */
export function hostPrices(config: HostConfig | null): Map<string, Price> {
  const prices = new Map<string, Price>();
  const providers = get(config?.raw, ["models", "providers"]);
  if (!isObj(providers)) return prices;
  for (const [provider, def] of Object.entries(providers)) {
    const models = isObj(def) && Array.isArray(def.models) ? def.models : [];
    for (const m of models) {
      if (!isObj(m) || typeof m.id !== "string" || !isObj(m.cost)) continue;
      const c = m.cost;
      prices.set(`${provider}/${m.id}`, { input: num(c.input) ?? 0, output: num(c.output) ?? 0, cacheRead: num(c.cacheRead) ?? 0, cacheWrite: num(c.cacheWrite) ?? 0 });
    }
  }
  return prices;
}

/** The main session's model as the host config sets it (`agents.defaults.model[.primary]`). */
export function hostMainModel(config: HostConfig | null): string | null {
  const model = get(config?.raw, ["agents", "defaults", "model"]);
  if (typeof model === "string" && model !== "") return model;
  const primary = get(model, ["primary"]);
  return typeof primary === "string" && primary !== "" ? primary : null;
}

const cents = (v: number): number => Math.round(v * 10_000) / 10_000;

/** Spend per model over the history, and what running them on the main session's model would have cost. */
export function summarizeSpend(history: readonly HistoryEntry[], prices: ReadonlyMap<string, Price>, mainModel: string | null): Spend {
  const rows = new Map<string, SpendRow>();
  let total: number | null = null;
  let onMain = 0;
  let actualForSaved = 0;
  let comparable = 0;
  const mainPrice = mainModel ? prices.get(mainModel) ?? null : null;
  for (const entry of history) {
    if (entry.started_at === null && entry.model === null) continue; // never ran: nothing was spent
    const model = entry.model ?? "(unknown model)";
    const row = rows.get(model) ?? { model, runs: 0, priced_runs: 0, cost_usd: null, tokens: null };
    rows.set(model, row);
    row.runs += 1;
    const { costUsd, tokens } = usageOf(entry);
    const runPrice = prices.get(model);
    const cost = costUsd ?? (tokens && runPrice ? priceTokens(tokens, runPrice) : null);
    if (tokens) {
      const t = (row.tokens ??= { input: 0, output: 0, cache_read: 0, cache_write: 0 });
      t.input += tokens.input;
      t.output += tokens.output;
      t.cache_read += tokens.cache_read;
      t.cache_write += tokens.cache_write;
    }
    if (cost === null) continue;
    row.priced_runs += 1;
    row.cost_usd = cents((row.cost_usd ?? 0) + cost);
    total = cents((total ?? 0) + cost);
    if (tokens && mainPrice) {
      onMain += priceTokens(tokens, mainPrice);
      actualForSaved += cost;
      comparable += 1;
    }
  }
  const note =
    total === null ? (history.length === 0 ? "no runs yet" : "the queue's run history has no usage or cost yet")
    : !mainModel ? "the main session's model is not set in the host config"
    : !mainPrice ? `no price for the main session's model ${mainModel} in the host config's models.providers`
    : comparable === 0 ? "no run recorded its token counts"
    : null;
  return {
    currency: "USD",
    by_model: [...rows.values()].sort((a, b) => (b.cost_usd ?? -1) - (a.cost_usd ?? -1) || b.runs - a.runs),
    total_usd: total,
    main_model: mainModel,
    saved_usd: comparable > 0 ? cents(onMain - actualForSaved) : null,
    note,
  };
}
