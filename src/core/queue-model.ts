/**
 * The queue format (version 2): its states and kinds, listed once, and its types. Written
 * without zod so that modules on the heartbeat's hot path never load it; queue-schema.ts builds
 * the zod schemas from these lists, and a type-level check there fails the build if the two
 * ever disagree. Field names are snake_case like the original system's file (`added_at`,
 * `retry_count`), so hand-edits and old scripts stay familiar.
 */
export const TASK_STATES = [
  "pending",
  "claimed",
  "running",
  "done",
  "dead",
  "expired",
  "review",
] as const;

/**
 * Kinds of failure; `quota` is a rate limit or quota error (a hold, not the task's fault);
 * `rejected`: the host refused to start the run (no model call), which burns no attempt;
 * `interrupted`: the run's gateway died mid-run.
 */
export const FAILURE_KINDS = [
  "error",
  "quota",
  "timeout",
  "lease_expired",
  "manual",
  "rejected",
  "interrupted",
] as const;

/**
 * Why a task left rotation (state dead, expired or review); kept on the task until it is revived.
 * dead: `attempts` / `quota_retries` (budget spent), `crash_loop` (its runs kept dying with the
 * gateway); expired: `max_age`; review: the run may have acted before it `timed_out` or was
 * `interrupted` (or `failed`), and the task is not declared safe to repeat.
 */
export const TASK_REASONS = [
  "attempts",
  "quota_retries",
  "crash_loop",
  "max_age",
  "acted_then_timed_out",
  "acted_then_interrupted",
  "acted_then_failed",
] as const;

export const ALERT_TYPES = ["dead", "model_mismatch", "expired", "review", "budget"] as const;

/** What a budget counts over: all of task-manager's runs, one provider's, or one model's. */
export const BUDGET_SCOPES = ["all", "provider", "model"] as const;
/** Budget windows: a calendar day or month in the budget's time zone. */
export const BUDGET_WINDOWS = ["day", "month"] as const;
export const BUDGET_UNITS = ["usd", "tokens"] as const;

/** A quota hold covers a whole provider (the part of a model before "/") or one model. */
export const HOLD_SCOPES = ["provider", "model"] as const;

/**
 * Where a hold's end came from: the error text (`message`), the user's `retry.quotaCooldownMs`
 * (`config`), the host's record (`host`), or the built-in cooldown (`default`).
 */
export const HOLD_SOURCES = ["host", "message", "default", "config"] as const;

/** Settled runs in `history`: `review` is a run that ended unfinished after it may have acted. */
export const HISTORY_OUTCOMES = ["done", "failed", "dead", "review"] as const;

export type TaskState = (typeof TASK_STATES)[number];
export type FailureKind = (typeof FAILURE_KINDS)[number];
export type TaskReason = (typeof TASK_REASONS)[number];
export type AlertType = (typeof ALERT_TYPES)[number];
export type HoldScope = (typeof HOLD_SCOPES)[number];
export type HoldSource = (typeof HOLD_SOURCES)[number];
export type HistoryOutcome = (typeof HISTORY_OUTCOMES)[number];
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type BudgetWindow = (typeof BUDGET_WINDOWS)[number];
export type BudgetUnit = (typeof BUDGET_UNITS)[number];

/** A claim: the spawner must confirm (ack) before `expires_at`. */
export interface Lease {
  token: string;
  expires_at: string;
  attempt: number;
  model: string;
  /** The gateway that claimed it, on a store several gateways share. */
  owner?: string;
}

/** The run a task's attempt started. */
export interface RunInfo {
  run_id: string | null;
  session_key: string | null;
  model: string | null;
  started_at: string;
  attempt: number;
  /** The gateway that started it, on a store several gateways share: only it can see the run. */
  owner?: string;
}

export interface LastError {
  kind: FailureKind;
  message: string;
  at: string;
}

export interface Task {
  id: string;
  prompt: string;
  priority: number;
  source: string;
  key: string | null;
  state: TaskState;
  /** Runs started (a spawn was recorded). */
  attempts: number;
  /** Failures that count against retry.maxAttempts (quota failures do not). */
  failures: number;
  quota_failures: number;
  added_at: string;
  updated_at: string;
  /** Not before this time (backoff). */
  run_at: string | null;
  lease: Lease | null;
  run: RunInfo | null;
  last_error: LastError | null;
  finished_at: string | null;
  /** Anything else the task came with (legacy metadata is kept here, verbatim). */
  metadata: Record<string, unknown>;
  // Optional fields (absent = the default), so queues written before them stay valid.
  /** Safe to repeat (`add --idempotent`); absent: the policy's `idempotentByDefault`. */
  idempotent?: boolean;
  /** This task's maximum age (`add --max-age`); null: none; absent: the policy's `maxAgeHours`. */
  max_age_hours?: number | null;
  /** Age counts from here instead of `added_at`: a migrated legacy file, or a revived task. */
  age_from?: string;
  /** Why it is dead, expired or under review. */
  reason?: TaskReason;
  /** Runs in a row that ended with their gateway dying (the crash-loop breaker counts these). */
  interruptions?: number;
  /** What one run of it may cost (`add --max-cost`), in USD: budgets reserve this, not the model's average. */
  max_cost_usd?: number;
}

/** Tokens and cost the host recorded for one run (from the adapter's RunFacts). */
export interface Usage {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  /** USD as the host recorded it; null when it recorded none (stats then prices it from the catalog). */
  cost_usd: number | null;
}

export interface HistoryEntry {
  task_id: string;
  outcome: HistoryOutcome;
  kind: FailureKind | null;
  started_at: string | null;
  ended_at: string;
  /** The model that really ran when the host said so, else the one it was started on. */
  model: string | null;
  usage?: Usage;
}

export interface Alert {
  /**
   * dead: out of rotation for good (see `reason`); model_mismatch: the host ran it on a model
   * other than the one asked; expired: too old to start; review: may have acted, not re-run.
   */
  type: AlertType;
  task_id: string;
  prompt: string;
  error: string;
  failures: number;
  at: string;
  reason?: TaskReason;
  /** budget: which budget, how full, and when its window resets. */
  budget?: BudgetAlertInfo;
}

/** A budget alert's figures (`level` 0.8 = the alertAt threshold, 1 = used up). */
export interface BudgetAlertInfo {
  scope: BudgetScope;
  key: string;
  window: BudgetWindow;
  unit: BudgetUnit;
  level: number;
  spent: number;
  cap: number;
  resets_at: string;
}

/** One day's spend on one model (the budget ledger's cell). */
export interface SpendCell {
  /** Runs settled that day. */
  runs: number;
  /** USD of the priced runs. */
  usd: number;
  /** Tokens (input + output + cache read + cache write) of every run with usage. */
  tokens: number;
  /** Runs with token usage but no price: their tokens count, their cost is unknown. */
  unpriced_runs: number;
}

/**
 * A rate limit holds a provider (or a model) until `until`. After that one task goes first:
 * `probe` names it while its run is out, and the others wait until it did not hit the limit.
 */
export interface Hold {
  scope: HoldScope;
  until: string;
  source: HoldSource;
  since: string;
  probe: { task_id: string; since: string } | null;
}

export interface Queue {
  version: 2;
  revision: number;
  paused: boolean;
  /**
   * model → ISO time until which it rests: a model the gateway could not run, and quota
   * cooldowns written before quota holds existed.
   */
  cooldowns: Record<string, string>;
  /** Quota holds by key: a provider id ("google") or a model ("google/gemini-2.5-flash"). */
  holds?: Record<string, Hold>;
  tasks: Task[];
  history: HistoryEntry[];
  alerts: Alert[];
  /** Run ids already captured as tasks (plugin auto-capture dedupe), bounded. */
  captured: string[];
  /**
   * The budget ledger: local day ("YYYY-MM-DD" in the budget's zone) → model → spend, kept for
   * the last 62 days (a month's window and the page's 30-day chart; history keeps only 500 runs).
   */
  spend?: Record<string, Record<string, SpendCell>>;
  /** Run starts (ISO) per model under a pacing limit, within its longest window, bounded by its limit. */
  starts?: Record<string, string[]>;
  /** When a quota hold was lifted, by hold key, for a day: pacing ramps up again from there. */
  ramps?: Record<string, string>;
  /** Budget alerts already raised, as "<budget>@<window>#<level>", for the current windows only. */
  budget_alerts?: string[];
}

/** The original system's bare-array entry. Loose on purpose: it was hand-written and varied. */
export interface LegacyTask {
  prompt: string;
  priority?: number | string;
  added_at?: string | number;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export function emptyQueue(): Queue {
  return {
    version: 2,
    revision: 0,
    paused: false,
    cooldowns: {},
    tasks: [],
    history: [],
    alerts: [],
    captured: [],
  };
}
