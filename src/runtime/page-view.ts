/**
 * The status page's one JSON document (`/task-manager/api/view`), built from what the CLI and
 * the check use: the store's snapshot, `observe`, `decide`'s gate, the history summary. The page
 * shows nothing this does not say. Field names are snake_case like every other JSON we print;
 * new states, outcomes and holds appear generically (by name), so the shape extends without a
 * new version.
 */
import { runKey } from "../core/check.js";
import { decide, type Decision } from "../core/decide.js";
import {
  runsPerHour,
  summarizeHistory,
  type HistorySummary,
  type HourlyRuns,
} from "../core/history.js";
import { compareTasks, isDue } from "../core/order.js";
import type { Task } from "../core/queue-model.js";
import { RETRYABLE_STATES, REPRIORITIZABLE_STATES } from "../core/tasks.js";
import { isoTime } from "../core/time.js";
import {
  explainWait,
  modelHolds,
  waitContext,
  type Wait,
  type WaitContext,
} from "../core/waits.js";
import { observe } from "./run-check.js";
import type { Context } from "./context.js";
import type { GatewayRecord } from "../store/port.js";
import { compareFinished, DISPATCH_HEAD, type Scope } from "../core/views.js";
import { HISTORY_LIMIT } from "../core/tasks.js";
import { summarizeSpend, type SpendSummary } from "../core/cost.js";
import { holdView, providerOf, type HoldView } from "../core/holds.js";
import { limitsSummary, type LimitsSummary } from "../core/limits.js";
import { spendPerDay, type DailySpend } from "../core/spend.js";
import { spendEnvFor } from "./spend-env.js";

export const STATUS_VIEW_VERSION = 1;
/** Tasks listed per state unless the caller asks for more; counts are always complete. */
export const DEFAULT_TASK_LIMIT = 100;
export const MAX_TASK_LIMIT = 10_000;
/** Task text beyond this is cut in the view (the CLI's `show` has all of it). */
const PROMPT_CHARS = 4000;

export interface PageViewOptions {
  /** Plugin mode knows whether the main session is mid-run; elsewhere it is not observed (null). */
  mainBusy?: () => boolean;
  /** When the next scheduled check runs (plugin service), if there is a schedule. */
  nextCheckAt?: () => number | null;
  /** Tasks listed per state (default 100, at most 10,000). */
  limit?: number;
  /** Plugin mode: the gateway's agents (one queue each), for the page's agent filter. */
  agents?: AgentTab[];
}

/** One agent of the gateway as the page's filter shows it: its counts, or why they are missing. */
export interface AgentTab {
  id: string;
  counts: Record<string, number> | null;
  error: string | null;
}

export interface WaitView {
  reason: string;
  until: string | null;
  text: string;
  facts: Wait["facts"];
}

export interface RunView {
  model: string | null;
  since: string;
  session_key: string | null;
  run_id: string | null;
  attempt: number;
  /** claimed: the spawner must confirm by then. */
  lease_expires_at: string | null;
  /** running: a run still going then counts as a timeout failure. */
  timeout_at: string | null;
  /** What the host's records say already (a finished run is settled by the next check). */
  outcome: string;
}

export interface TaskRow {
  id: string;
  prompt: string;
  prompt_truncated: boolean;
  state: string;
  priority: number;
  source: string;
  added_at: string;
  updated_at: string;
  finished_at: string | null;
  attempts: number;
  failures: number;
  max_failures: number;
  quota_failures: number;
  max_quota_failures: number;
  /** Not before this time (backoff), as stored. */
  run_at: string | null;
  last_error: { kind: string; message: string; at: string; model: string | null } | null;
  wait: WaitView | null;
  run: RunView | null;
  /** What a person may do to it here: retry, remove, priority. */
  actions: string[];
}

export interface StateGroup {
  state: string;
  count: number;
  tasks: TaskRow[];
}

export interface PageView {
  view_version: number;
  generated_at: string;
  /** The agent whose queue this is (its host agent id). */
  agent: string;
  /** Every agent of the gateway the plugin serves (empty outside a gateway). */
  agents: AgentTab[];
  workspace: string;
  queue_file: string;
  revision: number;
  paused: boolean;
  counts: Record<string, number>;
  total: number;
  /** What a check would answer right now (nothing is claimed by asking). */
  check: {
    status: "READY" | "DEFERRED" | "NO_TASKS";
    reason: string | null;
    until: string | null;
    text: string;
    next_check_at: string | null;
  };
  machine: {
    load_per_core: number;
    load_threshold: number;
    free_memory_mb: number;
    min_free_memory_mb: number;
    active_sessions: number;
    max_concurrent: number;
    main_busy: boolean | null;
  };
  /** Something resting until a time: today a model after a quota error (scope "model"). */
  /** Quota holds (provider- or model-wide, with where their end came from) and model rests. */
  /** Where the queue lives; on a shared store, this gateway and every gateway serving the queue. */
  store: {
    kind: string;
    location: string;
    gateway: { id: string; label: string } | null;
    gateways: GatewayRecord[];
  };
  holds: Array<{
    scope: string;
    name: string;
    until: string;
    whitelisted: boolean;
    source: string | null;
    state: string | null;
    probe_task: string | null;
  }>;
  policy: {
    models: string[];
    max_attempts: number;
    max_quota_retries: number;
    task_timeout_minutes: number;
    lease_seconds: number;
  };
  /** Budgets (spent in the window, left, reset) and pacing limits (the window's use); null when none is set. */
  limits: LimitsSummary | null;
  groups: StateGroup[];
  history: HistorySummary & {
    limit_note: string;
    since: string | null;
    per_hour: HourlyRuns;
    /** Spend per local day (budget zone), last 30 days, from the budget ledger. */
    per_day: DailySpend;
    spend: SpendView;
  };
  /** Queue-wide actions available now. */
  actions: string[];
}

/** Display order of states; a state this version does not know comes after these, by name. */
const STATE_ORDER = ["pending", "claimed", "running", "review", "dead", "expired", "done"];

export function actionsFor(state: string): string[] {
  const actions: string[] = [];
  if ((RETRYABLE_STATES as readonly string[]).includes(state)) actions.push("retry");
  if ((REPRIORITIZABLE_STATES as readonly string[]).includes(state)) actions.push("priority");
  actions.push("remove");
  return actions;
}

function waitView(w: Wait): WaitView {
  return {
    reason: w.reason,
    until: w.untilMs === null ? null : isoTime(w.untilMs),
    text: w.text,
    facts: w.facts,
  };
}

function runView(task: Task, ctx: Context, outcome: string): RunView | null {
  if (task.state === "running" && task.run) {
    const timeoutMs = Date.parse(task.run.started_at) + ctx.policy.taskTimeoutMinutes * 60_000;
    return {
      model: task.run.model,
      since: task.run.started_at,
      session_key: task.run.session_key,
      run_id: task.run.run_id,
      attempt: task.run.attempt,
      lease_expires_at: null,
      timeout_at: isoTime(timeoutMs),
      outcome,
    };
  }
  if (task.state === "claimed" && task.lease) {
    return {
      model: task.lease.model,
      since: task.updated_at,
      session_key: null,
      run_id: null,
      attempt: task.lease.attempt,
      lease_expires_at: task.lease.expires_at,
      timeout_at: null,
      outcome: "not started",
    };
  }
  return null;
}

function taskRow(
  task: Task,
  ctx: Context,
  w: WaitContext,
  outcomes: ReadonlyMap<string, { status: string }>,
): TaskRow {
  const cut = task.prompt.length > PROMPT_CHARS;
  const e = task.last_error;
  return {
    id: task.id,
    prompt: cut ? task.prompt.slice(0, PROMPT_CHARS) : task.prompt,
    prompt_truncated: cut,
    state: task.state,
    priority: task.priority,
    source: task.source,
    added_at: task.added_at,
    updated_at: task.updated_at,
    finished_at: task.finished_at,
    attempts: task.attempts,
    failures: task.failures,
    max_failures: ctx.policy.retry.maxAttempts,
    quota_failures: task.quota_failures,
    max_quota_failures: ctx.policy.retry.maxQuotaRetries,
    run_at: task.run_at,
    last_error: e
      ? {
          kind: e.kind,
          message: e.message.slice(0, 500),
          at: e.at,
          model: task.run?.model ?? task.lease?.model ?? null,
        }
      : null,
    wait: task.state === "pending" ? waitView(explainWait(w, task)) : null,
    run: runView(task, ctx, outcomes.get(runKey(task))?.status ?? "unknown"),
    actions: actionsFor(task.state),
  };
}

function sortGroup(state: string, tasks: Task[], w: WaitContext): Task[] {
  if (state === "pending") return w.order;
  if (state === "claimed" || state === "running") return tasks.sort(compareTasks);
  // Finished work: most recent first.
  return tasks.sort(compareFinished);
}

/** Known states in STATE_ORDER; a state this version does not know goes just before done. */
export function stateRank(state: string): number {
  const i = STATE_ORDER.indexOf(state);
  return i === -1 ? STATE_ORDER.indexOf("done") - 0.5 : i;
}

function checkText(decision: Decision, w: WaitContext): string {
  if (decision.kind === "NO_TASKS") return "nothing waiting";
  if (decision.kind === "READY") return `would start ${decision.task.id} on ${decision.model}`;
  if (decision.reason === "paused") return "the queue is paused";
  const due = w.queue.tasks.find((t) => t.state === "pending" && isDue(t, w.nowMs));
  if (!due)
    return decision.reason === "quota_cooldown"
      ? "every pending task waits out a rate limit"
      : "every pending task waits for its retry time";
  return explainWait(w, due).text;
}

/** What the page sees: what a check sees, the first `limit` tasks of each state, the run history. */
function pageScope(ctx: Context, limit: number): Scope {
  return {
    tasks: "page",
    perState: limit,
    head: DISPATCH_HEAD,
    maxAgeHours: ctx.policy.maxAgeHours,
    history: HISTORY_LIMIT,
  };
}

/** The status page's document. Reads the queue and the host's sessions; changes nothing. */
export async function buildPageView(ctx: Context, opts: PageViewOptions = {}): Promise<PageView> {
  const limit = Math.min(MAX_TASK_LIMIT, Math.max(1, Math.floor(opts.limit ?? DEFAULT_TASK_LIMIT)));
  const { queue, counts } = await ctx.store.read(pageScope(ctx, limit));
  const nowMs = ctx.deps.now();
  const mainBusy = opts.mainBusy?.() ?? null;
  const seen = await observe(ctx, queue, { mainBusy: mainBusy ?? false });
  // The queue as stored: a lease that ran out or a run that finished is settled by the next
  // check, not by looking (the running row's `outcome` already says what the host recorded).
  const decision = decide(queue, ctx.policy, seen.observation, nowMs);
  const w = waitContext(queue, ctx.policy, seen.observation, nowMs);

  const byState = new Map<string, Task[]>();
  for (const t of queue.tasks)
    (byState.get(t.state) ?? byState.set(t.state, []).get(t.state)!).push(t);
  const groups = [...byState.entries()]
    .sort(([a], [b]) => stateRank(a) - stateRank(b) || a.localeCompare(b))
    .map(([state, tasks]) => ({
      state,
      count: counts[state as Task["state"]] ?? tasks.length,
      tasks: sortGroup(state, tasks, w)
        .slice(0, limit)
        .map((t) => taskRow(t, ctx, w, seen.outcomes)),
    }));

  const summary = summarizeHistory(queue.history);
  const next = opts.nextCheckAt?.() ?? null;
  const env = spendEnvFor(ctx);
  return {
    view_version: STATUS_VIEW_VERSION,
    generated_at: isoTime(nowMs),
    agent: ctx.policy.agentId,
    agents: opts.agents ?? [],
    workspace: ctx.workspace.dir,
    queue_file: ctx.store.location,
    store: {
      kind: ctx.store.kind,
      location: ctx.store.location,
      gateway: ctx.gateway,
      gateways: ctx.store.gateways ? await ctx.store.gateways.list() : [],
    },
    revision: queue.revision,
    paused: queue.paused,
    counts: { ...counts },
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    check: {
      status: decision.kind,
      reason: decision.kind === "DEFERRED" ? decision.reason : null,
      until:
        decision.kind === "DEFERRED" && decision.retryAtMs !== null
          ? isoTime(decision.retryAtMs)
          : null,
      text: checkText(decision, w),
      next_check_at: next === null ? null : isoTime(next),
    },
    machine: {
      load_per_core: Math.round(seen.observation.loadPerCore * 100) / 100,
      load_threshold: ctx.policy.loadThreshold,
      free_memory_mb: seen.observation.freeMemoryMB,
      min_free_memory_mb: ctx.policy.minFreeMemoryMB,
      active_sessions: w.active,
      max_concurrent: ctx.policy.maxConcurrent,
      main_busy: mainBusy,
    },
    holds: [
      ...Object.entries(queue.holds ?? {}).map(([key, hold]) =>
        holdRow(holdView(key, hold, nowMs), ctx.policy.models),
      ),
      ...modelHolds(queue, ctx.policy, nowMs).map((h) => ({
        scope: "model",
        name: h.model,
        until: isoTime(h.untilMs),
        whitelisted: h.whitelisted,
        source: null,
        state: null,
        probe_task: null,
      })),
    ],
    policy: {
      models: [...ctx.policy.models],
      max_attempts: ctx.policy.retry.maxAttempts,
      max_quota_retries: ctx.policy.retry.maxQuotaRetries,
      task_timeout_minutes: ctx.policy.taskTimeoutMinutes,
      lease_seconds: ctx.policy.leaseSeconds,
    },
    limits: limitsSummary(queue, ctx.policy, env, nowMs),
    groups,
    history: {
      ...summary,
      limit_note: "the queue keeps its last 500 runs",
      since: queue.history[0]?.ended_at ?? null,
      per_hour: runsPerHour(queue.history, nowMs),
      per_day: spendPerDay(queue, env.timeZone, nowMs),
      spend: spendView(summarizeSpend(queue.history, env.catalog)),
    },
    actions: [queue.paused ? "resume" : "pause", "add"],
  };
}

/** A quota hold as a row of the view: it covers whitelisted models when one of them is under its key. */
function holdRow(h: HoldView, models: readonly string[]): PageView["holds"][number] {
  const covered = models.some((m) =>
    h.scope === "provider" ? providerOf(m) === h.key : m === h.key,
  );
  return {
    scope: h.scope,
    name: h.key,
    until: h.until,
    whitelisted: covered,
    source: h.source,
    state: h.state,
    probe_task: h.probe_task,
  };
}

/** `stats`' spend figures, with one line saying why a figure is missing instead of showing zeros. */
export type SpendView = SpendSummary & { note: string | null };

function spendView(spend: SpendSummary): SpendView {
  const rows = Object.values(spend.by_model);
  const priced = rows.some((r) => r.runs > r.runs_without_usage + r.unpriced_runs);
  let note: string | null = null;
  if (rows.length > 0 && !priced) note = "the queue's run history has no usage or cost yet";
  else if (spend.main_model === null)
    note = "the host config names no main model (agents.defaults.model.primary)";
  else if (spend.on_main_model_usd === null)
    note = `no price for the main session's model ${spend.main_model} in the host's model catalog`;
  return { ...spend, note };
}
