import { z } from "zod";
import type * as Model from "./queue-model.js";
import {
  ALERT_TYPES,
  BUDGET_SCOPES,
  BUDGET_UNITS,
  BUDGET_WINDOWS,
  FAILURE_KINDS,
  HISTORY_OUTCOMES,
  HOLD_SCOPES,
  HOLD_SOURCES,
  TASK_REASONS,
  TASK_STATES,
} from "./queue-model.js";

/**
 * The queue file's schema (format version 2) in zod, built from the lists in queue-model.ts.
 * The types are queue-model's; the check at the end of this file fails the build if a schema
 * and its type disagree. Hot paths validate with queue-validate.ts instead (no zod to load).
 */

const isoTime = z.string().datetime({ offset: true });

export const leaseSchema = z
  .object({
    token: z.string().min(1),
    expires_at: isoTime,
    attempt: z.number().int().min(1),
    model: z.string().min(1),
    owner: z.string().min(1).optional(),
  })
  .strict();

export const runSchema = z
  .object({
    run_id: z.string().nullable(),
    session_key: z.string().nullable(),
    model: z.string().nullable(),
    started_at: isoTime,
    attempt: z.number().int().min(1),
    owner: z.string().min(1).optional(),
  })
  .strict();

export const lastErrorSchema = z
  .object({ kind: z.enum(FAILURE_KINDS), message: z.string(), at: isoTime })
  .strict();

export const taskSchema = z
  .object({
    id: z.string().regex(/^t_[a-z0-9]+$/),
    prompt: z.string(),
    priority: z.number().int(),
    source: z.string(),
    key: z.string().nullable(),
    state: z.enum(TASK_STATES),
    /** Runs started (a spawn was recorded). */
    attempts: z.number().int().min(0),
    /** Failures that count against retry.maxAttempts (quota failures do not). */
    failures: z.number().int().min(0),
    quota_failures: z.number().int().min(0),
    added_at: isoTime,
    updated_at: isoTime,
    /** Not before this time (backoff). */
    run_at: isoTime.nullable(),
    lease: leaseSchema.nullable(),
    run: runSchema.nullable(),
    last_error: lastErrorSchema.nullable(),
    finished_at: isoTime.nullable(),
    /** Anything else the task came with (legacy metadata is kept here, verbatim). */
    metadata: z.record(z.string(), z.unknown()),
    // Optional fields (absent = the default), so queues written before them stay valid.
    /** Safe to repeat (`add --idempotent`); absent: the policy's `idempotentByDefault`. */
    idempotent: z.boolean().optional(),
    /** This task's maximum age (`add --max-age`); null: none; absent: the policy's `maxAgeHours`. */
    max_age_hours: z.number().positive().nullable().optional(),
    /** Age counts from here instead of `added_at`: when a legacy file was migrated, or the task revived. */
    age_from: isoTime.optional(),
    /** Why it is dead, expired or under review. */
    reason: z.enum(TASK_REASONS).optional(),
    /** Runs in a row that ended with their gateway dying (the crash-loop breaker counts these). */
    interruptions: z.number().int().min(0).optional(),
    /** What one run of it may cost (`add --max-cost`), in USD: budgets reserve this, not the model's average. */
    max_cost_usd: z.number().positive().optional(),
  })
  .strict();

/** Tokens and cost the host recorded for one run (from the adapter's RunFacts). */
export const usageSchema = z
  .object({
    input: z.number().int().min(0),
    output: z.number().int().min(0),
    cache_read: z.number().int().min(0),
    cache_write: z.number().int().min(0),
    /** USD as the host recorded it; null when it recorded none (stats then prices it from the catalog). */
    cost_usd: z.number().min(0).nullable(),
  })
  .strict();

export const historyEntrySchema = z
  .object({
    task_id: z.string(),
    outcome: z.enum(HISTORY_OUTCOMES),
    kind: z.enum(FAILURE_KINDS).nullable(),
    started_at: isoTime.nullable(),
    ended_at: isoTime,
    /** The model that really ran when the host said so, else the one it was started on. */
    model: z.string().nullable(),
    usage: usageSchema.optional(),
  })
  .strict();

export const budgetAlertSchema = z
  .object({
    scope: z.enum(BUDGET_SCOPES),
    key: z.string(),
    window: z.enum(BUDGET_WINDOWS),
    unit: z.enum(BUDGET_UNITS),
    level: z.number().positive(),
    spent: z.number(),
    cap: z.number().min(0),
    resets_at: isoTime,
  })
  .strict();

export const alertSchema = z
  .object({
    /**
     * dead: out of rotation for good (see `reason`); model_mismatch: the host ran it on a model
     * other than the one asked; expired: too old to start; review: may have acted, not re-run.
     */
    type: z.enum(ALERT_TYPES),
    task_id: z.string(),
    prompt: z.string(),
    error: z.string(),
    failures: z.number().int(),
    at: isoTime,
    reason: z.enum(TASK_REASONS).optional(),
    /** budget: which budget, how full, and when its window resets. */
    budget: budgetAlertSchema.optional(),
  })
  .strict();

/** One day's spend on one model (the budget ledger's cell). */
export const spendCellSchema = z
  .object({
    runs: z.number().int().min(0),
    usd: z.number().min(0),
    tokens: z.number().int().min(0),
    unpriced_runs: z.number().int().min(0),
  })
  .strict();

/**
 * A rate limit holds a provider (or a model) until `until`. After that one task goes first:
 * `probe` names it while its run is out, and the others wait until it did not hit the limit.
 */
export const holdSchema = z
  .object({
    scope: z.enum(HOLD_SCOPES),
    until: isoTime,
    source: z.enum(HOLD_SOURCES),
    since: isoTime,
    probe: z.object({ task_id: z.string(), since: isoTime }).strict().nullable(),
  })
  .strict();

export const queueSchema = z
  .object({
    version: z.literal(2),
    revision: z.number().int().min(0),
    paused: z.boolean(),
    /**
     * model → ISO time until which it rests: a model the gateway could not run, and quota
     * cooldowns written before quota holds existed.
     */
    cooldowns: z.record(z.string(), isoTime),
    /** Quota holds by key: a provider id ("google") or a model ("google/gemini-2.5-flash"). */
    holds: z.record(z.string(), holdSchema).optional(),
    tasks: z.array(taskSchema),
    history: z.array(historyEntrySchema),
    alerts: z.array(alertSchema),
    /** Run ids already captured as tasks (plugin auto-capture dedupe), bounded. */
    captured: z.array(z.string()),
    /** The budget ledger: local day → model → spend, the last 62 days. */
    spend: z.record(z.string(), z.record(z.string(), spendCellSchema)).optional(),
    /** Run starts per model under a pacing limit. */
    starts: z.record(z.string(), z.array(isoTime)).optional(),
    /** When a quota hold was lifted, by hold key (pacing ramps up from there). */
    ramps: z.record(z.string(), isoTime).optional(),
    /** Budget alerts already raised in the current windows. */
    budget_alerts: z.array(z.string()).optional(),
  })
  .strict();

/** The original system's bare-array entry. Loose on purpose: it was hand-written and varied. */
export const legacyTaskSchema = z
  .object({
    prompt: z.string(),
    priority: z.union([z.number(), z.string()]).optional(),
    added_at: z.union([z.string(), z.number()]).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export const legacyQueueSchema = z.array(legacyTaskSchema);

/** True when A and B are the same type (neither has a key or a value the other lacks). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <T extends true>(): T | undefined => undefined;
agree<Same<z.infer<typeof taskSchema>, Model.Task>>();
agree<Same<z.infer<typeof historyEntrySchema>, Model.HistoryEntry>>();
agree<Same<z.infer<typeof alertSchema>, Model.Alert>>();
agree<Same<z.infer<typeof holdSchema>, Model.Hold>>();
agree<Same<z.infer<typeof spendCellSchema>, Model.SpendCell>>();
agree<Same<z.infer<typeof budgetAlertSchema>, Model.BudgetAlertInfo>>();
agree<Same<z.infer<typeof queueSchema>, Model.Queue>>();
agree<Same<z.infer<typeof legacyTaskSchema>, Model.LegacyTask>>();
