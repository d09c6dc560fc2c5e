import type { Policy } from "../policy/schema.js";
import { type ModelCatalog, type ModelCost, runCostUsd, runTokens } from "./cost.js";
import type { HistoryEntry, Queue, SpendCell } from "./queue-model.js";
import { dayKey, dayKeyMinus } from "./zone.js";

/**
 * The budget ledger: what each settled run spent, per local day and model, kept longer than
 * the 500-run history (a month's budget and the page's 30-day chart need it). Costs are fixed
 * when the run settles, priced as `stats` prices them; a run with tokens but no price counts its
 * tokens and is marked unpriced.
 */

/** Days the ledger keeps: a whole month window and the page's 30-day chart, with room. */
export const SPEND_DAYS_KEPT = 62;
/** Models per day before the rest are summed under OTHER_MODELS (a host falling back at random). */
export const SPEND_MODELS_PER_DAY = 32;
export const OTHER_MODELS = "(other)";

/** Where budget days begin and what models cost, as the runtime found them. */
export interface SpendEnv {
  /** IANA zone: budget.timeZone, else the host's agents.defaults.userTimezone, else the machine's. */
  timeZone: string;
  /** The host catalog's real prices, then the policy's `budget.prices`. */
  catalog: Pick<ModelCatalog, "costOf">;
}

/** The policy's own price table (what core has when the runtime passed no catalog). */
export function policyPrices(policy: Policy): Pick<ModelCatalog, "costOf"> {
  const prices = policy.budget.prices;
  return {
    costOf: (model): ModelCost | null => (Object.hasOwn(prices, model) ? prices[model]! : null),
  };
}

/** The env to use when the runtime gave none: the policy's zone (else UTC) and price table. */
export function defaultSpendEnv(policy: Policy): SpendEnv {
  return { timeZone: policy.budget.timeZone ?? "UTC", catalog: policyPrices(policy) };
}

const round9 = (n: number): number => Math.round(n * 1e9) / 1e9;

const EMPTY_CELL: SpendCell = { runs: 0, usd: 0, tokens: 0, unpriced_runs: 0 };

function addToCell(cell: SpendCell, entry: HistoryEntry, env: SpendEnv): SpendCell {
  const usage = entry.usage;
  if (usage === undefined) return { ...cell, runs: cell.runs + 1 };
  const tokens = runTokens(usage);
  const usd = runCostUsd(usage, entry.model, env.catalog);
  return {
    runs: cell.runs + 1,
    usd: round9(cell.usd + (usd ?? 0)),
    tokens: cell.tokens + tokens,
    unpriced_runs: cell.unpriced_runs + (usd === null && tokens > 0 ? 1 : 0),
  };
}

const sumCells = (a: SpendCell, b: SpendCell): SpendCell => ({
  runs: a.runs + b.runs,
  usd: round9(a.usd + b.usd),
  tokens: a.tokens + b.tokens,
  unpriced_runs: a.unpriced_runs + b.unpriced_runs,
});

/** A day's models, at most SPEND_MODELS_PER_DAY of them: the smallest are summed as "(other)". */
function capModels(day: Record<string, SpendCell>): Record<string, SpendCell> {
  const names = Object.keys(day);
  if (names.length <= SPEND_MODELS_PER_DAY) return day;
  const ranked = names
    .filter((n) => n !== OTHER_MODELS)
    .sort((a, b) => day[b]!.usd - day[a]!.usd || day[b]!.tokens - day[a]!.tokens);
  const kept: Record<string, SpendCell> = {};
  let other = day[OTHER_MODELS] ?? EMPTY_CELL;
  ranked.forEach((name, i) => {
    if (i < SPEND_MODELS_PER_DAY - 1) kept[name] = day[name]!;
    else other = sumCells(other, day[name]!);
  });
  kept[OTHER_MODELS] = other;
  return kept;
}

/**
 * Adds settled runs to the ledger (the day each ended, in the env's zone) and drops days older
 * than SPEND_DAYS_KEPT before `nowMs`. No entries: the queue unchanged.
 */
export function recordSpend(
  queue: Queue,
  entries: readonly HistoryEntry[],
  env: SpendEnv,
  nowMs: number,
): Queue {
  if (entries.length === 0) return queue;
  const ledger: Record<string, Record<string, SpendCell>> = { ...queue.spend };
  for (const entry of entries) {
    const day = dayKey(Date.parse(entry.ended_at), env.timeZone);
    const model = entry.model ?? "(unknown)";
    const cells = { ...ledger[day] };
    cells[model] = addToCell(cells[model] ?? EMPTY_CELL, entry, env);
    ledger[day] = capModels(cells);
  }
  const oldest = dayKeyMinus(dayKey(nowMs, env.timeZone), SPEND_DAYS_KEPT - 1);
  for (const day of Object.keys(ledger)) if (day < oldest) delete ledger[day];
  return { ...queue, spend: ledger };
}

/** The history entries `after` has that `before` did not (history only grows at its end, capped). */
export function newHistoryEntries(
  before: readonly HistoryEntry[],
  after: readonly HistoryEntry[],
): HistoryEntry[] {
  if (before === after) return [];
  const last = before.at(-1);
  if (last === undefined) return [...after];
  const at = after.lastIndexOf(last);
  return at === -1 ? [...after] : after.slice(at + 1);
}

/** Spend over the days [first, last] for the models `covers` accepts. */
export function spendBetween(
  queue: Queue,
  first: string,
  last: string,
  covers: (model: string) => boolean,
): SpendCell {
  let total = EMPTY_CELL;
  const ledger = queue.spend;
  if (ledger === undefined) return total;
  for (const day in ledger) {
    if (day < first || day > last) continue;
    const cells = ledger[day]!;
    for (const model in cells) if (covers(model)) total = sumCells(total, cells[model]!);
  }
  return total;
}

/** Spend per day, oldest first, for the `days` local days up to and including today's. */
export interface DailySpend {
  /** "YYYY-MM-DD" of the first day. */
  from: string;
  time_zone: string;
  days: string[];
  usd: number[];
  tokens: number[];
  runs: number[];
  unpriced_runs: number[];
}

export function spendPerDay(queue: Queue, zone: string, nowMs: number, days = 30): DailySpend {
  const today = dayKey(nowMs, zone);
  const keys = Array.from({ length: days }, (_, i) => dayKeyMinus(today, days - 1 - i));
  const cells = keys.map((day) => spendBetween(queue, day, day, () => true));
  return {
    from: keys[0]!,
    time_zone: zone,
    days: keys,
    usd: cells.map((c) => c.usd),
    tokens: cells.map((c) => c.tokens),
    runs: cells.map((c) => c.runs),
    unpriced_runs: cells.map((c) => c.unpriced_runs),
  };
}
