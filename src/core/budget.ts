import type { Policy } from "../policy/schema.js";
import { runCostUsd, runTokens } from "./cost.js";
import { providerOf } from "./holds.js";
import { inFlightTasks } from "./order.js";
import type { Alert, BudgetScope, BudgetUnit, BudgetWindow, Queue, Task } from "./queue-model.js";
import { type SpendEnv, spendBetween } from "./spend.js";
import { isoTime } from "./time.js";
import { type CalendarWindow, dayWindow, monthWindow } from "./zone.js";

/**
 * Spend budgets: caps in USD and/or tokens per local day and month, over all of task-manager's
 * runs or one provider's or model's. A start must leave the budget with room for what the run is
 * expected to cost (its task's `max_cost_usd`, else the mean of that model's last runs), after
 * what runs already out are expected to cost; so one run cannot blow through the cap, and a run
 * that overspends anyway is recorded as it was and the next start waits for the reset.
 */

export interface BudgetLimit {
  /** Stable name, e.g. "all|day|usd", "provider|google|month|tokens". */
  id: string;
  scope: BudgetScope;
  /** "all", a provider id, or a model. */
  key: string;
  window: BudgetWindow;
  unit: BudgetUnit;
  cap: number;
}

type Caps = Policy["budget"]["daily"];

const memo = new WeakMap<object, BudgetLimit[]>();

/** Every cap the policy sets, flattened. Empty when budgets are off (the default). */
export function budgetLimits(policy: Policy): BudgetLimit[] {
  const b = policy.budget;
  let limits = memo.get(b);
  if (limits !== undefined) return limits;
  limits = [];
  const add = (scope: BudgetScope, key: string, window: BudgetWindow, caps: Caps): void => {
    for (const unit of ["usd", "tokens"] as const) {
      const cap = caps[unit];
      if (cap !== null)
        limits!.push({
          id: scope === "all" ? `all|${window}|${unit}` : `${scope}|${key}|${window}|${unit}`,
          scope,
          key,
          window,
          unit,
          cap,
        });
    }
  };
  add("all", "all", "day", b.daily);
  add("all", "all", "month", b.monthly);
  for (const [scope, table] of [
    ["provider", b.providers],
    ["model", b.models],
  ] as const)
    for (const [key, w] of Object.entries(table)) {
      add(scope, key, "day", w.daily);
      add(scope, key, "month", w.monthly);
    }
  memo.set(b, limits);
  return limits;
}

export const covers = (limit: Pick<BudgetLimit, "scope" | "key">, model: string): boolean =>
  limit.scope === "all" ||
  (limit.scope === "provider" ? providerOf(model) === limit.key : model === limit.key);

export interface BudgetState extends BudgetLimit {
  span: CalendarWindow;
  spent: number;
  runs: number;
  unpriced_runs: number;
}

const windowOf = (w: BudgetWindow, nowMs: number, zone: string): CalendarWindow =>
  w === "day" ? dayWindow(nowMs, zone) : monthWindow(nowMs, zone);

/** Each budget's window now and what was spent in it. */
export function budgetStates(
  queue: Queue,
  policy: Policy,
  env: SpendEnv,
  nowMs: number,
): BudgetState[] {
  return budgetLimits(policy).map((limit) => {
    const span = windowOf(limit.window, nowMs, env.timeZone);
    const cell = spendBetween(queue, span.first, span.last, (m) => covers(limit, m));
    return {
      ...limit,
      span,
      spent: limit.unit === "usd" ? cell.usd : cell.tokens,
      runs: cell.runs,
      unpriced_runs: cell.unpriced_runs,
    };
  });
}

/** Runs of a model the expectation averages over. */
const EXPECTATION_RUNS = 10;

export interface Expected {
  usd: number;
  tokens: number;
}

const expectations = new WeakMap<Queue, Map<string, Expected>>();

/**
 * What one more run on `model` is expected to cost: the mean over that model's last runs with
 * usage (USD over the priced ones). A model with no such run yet is expected to cost nothing,
 * so it may start while anything is left, and its run teaches the next estimate.
 */
export function expectedOnModel(queue: Queue, env: SpendEnv, model: string): Expected {
  let byModel = expectations.get(queue);
  if (byModel === undefined) {
    byModel = new Map();
    expectations.set(queue, byModel);
  }
  const known = byModel.get(model);
  if (known !== undefined) return known;
  let runs = 0;
  let tokens = 0;
  let priced = 0;
  let usd = 0;
  for (let i = queue.history.length - 1; i >= 0 && runs < EXPECTATION_RUNS; i--) {
    const entry = queue.history[i]!;
    if (entry.model !== model || entry.usage === undefined) continue;
    runs += 1;
    tokens += runTokens(entry.usage);
    const cost = runCostUsd(entry.usage, model, env.catalog);
    if (cost !== null) {
      priced += 1;
      usd += cost;
    }
  }
  const out = { usd: priced > 0 ? usd / priced : 0, tokens: runs > 0 ? tokens / runs : 0 };
  byModel.set(model, out);
  return out;
}

/** One run of `task` on `model`: the task's own cap when it has one. */
export function expectedRun(queue: Queue, env: SpendEnv, task: Task, model: string): Expected {
  const onModel = expectedOnModel(queue, env, model);
  return task.max_cost_usd === undefined ? onModel : { ...onModel, usd: task.max_cost_usd };
}

/** What the runs already out (claimed or running) under `limit` are expected to cost. */
function reservedFor(queue: Queue, env: SpendEnv, limit: BudgetLimit): number {
  let total = 0;
  for (const task of inFlightTasks(queue)) {
    const model = task.run?.model ?? task.lease?.model ?? null;
    if (model === null || !covers(limit, model)) continue;
    total += expectedRun(queue, env, task, model)[limit.unit];
  }
  return total;
}

/** A budget as the status object, `stats` and the page show it. */
export interface BudgetView {
  scope: BudgetScope;
  key: string;
  window: BudgetWindow;
  unit: BudgetUnit;
  cap: number;
  spent: number;
  /** cap − spent (negative after an overspend). */
  left: number;
  runs: number;
  unpriced_runs: number;
  /** When the window ends and the budget is whole again. */
  resets_at: string;
}

/** On DEFERRED budget: the budget, and the run that did not fit in it. */
export interface BudgetBlockView extends BudgetView {
  /** What runs already out are expected to cost. */
  reserved: number;
  /** What the run that would start was expected to cost. */
  expected: number;
  model: string;
}

const round = (n: number, unit: BudgetUnit): number =>
  unit === "usd" ? Math.round(n * 1e6) / 1e6 : Math.round(n);

export function budgetView(s: BudgetState): BudgetView {
  return {
    scope: s.scope,
    key: s.key,
    window: s.window,
    unit: s.unit,
    cap: s.cap,
    spent: round(s.spent, s.unit),
    left: round(s.cap - s.spent, s.unit),
    runs: s.runs,
    unpriced_runs: s.unpriced_runs,
    resets_at: isoTime(s.span.endMs),
  };
}

/**
 * Whether a run of `task` on `model` fits every budget that covers the model: left after what
 * is out must be above zero and at least the run's expected cost. When not, the budget that
 * resets last (all of them must have room) and when.
 */
export function budgetBlock(
  queue: Queue,
  states: readonly BudgetState[],
  env: SpendEnv,
  task: Task,
  model: string,
): { retryAtMs: number; view: BudgetBlockView } | null {
  let worst: { retryAtMs: number; view: BudgetBlockView } | null = null;
  for (const s of states) {
    if (!covers(s, model)) continue;
    const reserved = reservedFor(queue, env, s);
    const expected = expectedRun(queue, env, task, model)[s.unit];
    const left = s.cap - s.spent - reserved;
    if (left > 0 && expected <= left) continue;
    if (worst === null || s.span.endMs > worst.retryAtMs)
      worst = {
        retryAtMs: s.span.endMs,
        view: {
          ...budgetView(s),
          reserved: round(reserved, s.unit),
          expected: round(expected, s.unit),
          model,
        },
      };
  }
  return worst;
}

export const budgetId = (v: Pick<BudgetView, "scope" | "key" | "window" | "unit">): string =>
  v.scope === "all" ? `all|${v.window}|${v.unit}` : `${v.scope}|${v.key}|${v.window}|${v.unit}`;

/** "$0.82", "$0.000003", "1,200 tokens". */
export function amount(n: number, unit: BudgetUnit): string {
  if (unit === "tokens") return `${Math.round(n).toLocaleString("en-US")} tokens`;
  const abs = Math.abs(n);
  const digits = abs === 0 || abs >= 0.01 ? 2 : Math.min(9, 1 - Math.floor(Math.log10(abs)));
  return `${n < 0 ? "-" : ""}$${abs.toFixed(digits)}`;
}

/** "today's budget for all runs", "this month's budget for provider google". */
export function budgetName(v: Pick<BudgetView, "scope" | "key" | "window" | "unit">): string {
  const when = v.window === "day" ? "today's" : "this month's";
  const what = v.unit === "usd" ? "budget" : "token budget";
  const over = v.scope === "all" ? "all runs" : `${v.scope} ${v.key}`;
  return `${when} ${what} for ${over}`;
}

/**
 * Budget alerts due now: once per window at `alertAt` of the cap, and once when it is used up
 * (spent ≥ cap, or `exhausted` names it: it just stopped a start). Remembered in
 * `budget_alerts`, which keeps only the current windows' entries; the queue is returned as it
 * was when nothing is due.
 */
export function raiseBudgetAlerts(
  queue: Queue,
  policy: Policy,
  states: readonly BudgetState[],
  nowMs: number,
  opts: { exhausted?: string | undefined; taskId?: string | undefined } = {},
): Queue {
  const current = new Set<string>();
  const fired = new Set(queue.budget_alerts ?? []);
  const alerts: Alert[] = [];
  const alertAt = policy.budget.alertAt;
  for (const s of states) {
    const tag = (level: number): string => `${s.id}@${s.span.first}#${Math.round(level * 100)}`;
    const full = s.spent >= s.cap || opts.exhausted === s.id;
    const levels = alertAt === null ? [1] : [alertAt, 1];
    for (const level of levels) current.add(tag(level));
    const due = full ? 1 : alertAt !== null && s.spent >= alertAt * s.cap ? alertAt : null;
    if (due === null || fired.has(tag(due))) continue;
    // Used up before the threshold alert went out: one alert, and the threshold counts as said.
    for (const level of levels) if (level <= due) fired.add(tag(level));
    alerts.push(budgetAlert(budgetView(s), due, opts.taskId ?? "", nowMs));
  }
  const kept = [...fired].filter((t) => current.has(t));
  const before = queue.budget_alerts ?? [];
  if (alerts.length === 0 && kept.length === before.length) return queue;
  return {
    ...queue,
    alerts: [...queue.alerts, ...alerts],
    ...(kept.length > 0 || queue.budget_alerts !== undefined ? { budget_alerts: kept } : {}),
  };
}

function budgetAlert(v: BudgetView, level: number, taskId: string, nowMs: number): Alert {
  const pct = Math.round((v.spent / (v.cap || 1)) * 100);
  const error =
    level >= 1
      ? `${budgetName(v)} is used up: ${amount(v.spent, v.unit)} of ${amount(v.cap, v.unit)} (${pct}%); new starts wait until it resets at ${v.resets_at}`
      : `${budgetName(v)} is ${pct}% spent: ${amount(v.spent, v.unit)} of ${amount(v.cap, v.unit)}; it resets at ${v.resets_at}`;
  return {
    type: "budget",
    task_id: taskId,
    prompt: "",
    error,
    failures: 0,
    at: isoTime(nowMs),
    budget: {
      scope: v.scope,
      key: v.key,
      window: v.window,
      unit: v.unit,
      level,
      spent: v.spent,
      cap: v.cap,
      resets_at: v.resets_at,
    },
  };
}
