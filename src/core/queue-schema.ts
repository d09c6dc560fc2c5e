import { z } from "zod";
import { ALERT_TYPES, FAILURE_KINDS, TASK_STATES } from "./queue-model.js";

export { ALERT_TYPES, emptyQueue, FAILURE_KINDS, TASK_STATES } from "./queue-model.js";

/**
 * The queue file's schema (format version 2). Field names are snake_case like the original
 * system's file (`added_at`, `retry_count`) so hand-edits and old scripts stay familiar.
 */
export type TaskState = (typeof TASK_STATES)[number];

export type FailureKind = (typeof FAILURE_KINDS)[number];

const isoTime = z.string().datetime({ offset: true });

export const leaseSchema = z
  .object({
    token: z.string().min(1),
    expires_at: isoTime,
    attempt: z.number().int().min(1),
    model: z.string().min(1),
  })
  .strict();

export const runSchema = z
  .object({
    run_id: z.string().nullable(),
    session_key: z.string().nullable(),
    model: z.string().nullable(),
    started_at: isoTime,
    attempt: z.number().int().min(1),
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
  })
  .strict();

export const historyEntrySchema = z
  .object({
    task_id: z.string(),
    outcome: z.enum(["done", "failed", "dead"]),
    kind: z.enum(FAILURE_KINDS).nullable(),
    started_at: isoTime.nullable(),
    ended_at: isoTime,
    model: z.string().nullable(),
  })
  .strict();

export const alertSchema = z
  .object({
    /** dead: out of attempts; model_mismatch: the host ran it on a model other than the one asked. */
    type: z.enum(ALERT_TYPES),
    task_id: z.string(),
    prompt: z.string(),
    error: z.string(),
    failures: z.number().int(),
    at: isoTime,
  })
  .strict();

export const queueSchema = z
  .object({
    version: z.literal(2),
    revision: z.number().int().min(0),
    paused: z.boolean(),
    /** model → ISO time until which it is cooling down after a quota error. */
    cooldowns: z.record(z.string(), isoTime),
    tasks: z.array(taskSchema),
    history: z.array(historyEntrySchema),
    alerts: z.array(alertSchema),
    /** Run ids already captured as tasks (plugin auto-capture dedupe), bounded. */
    captured: z.array(z.string()),
  })
  .strict();

export type Lease = z.infer<typeof leaseSchema>;
export type RunInfo = z.infer<typeof runSchema>;
export type LastError = z.infer<typeof lastErrorSchema>;
export type Task = z.infer<typeof taskSchema>;
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type Alert = z.infer<typeof alertSchema>;
export type Queue = z.infer<typeof queueSchema>;


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
export type LegacyTask = z.infer<typeof legacyTaskSchema>;
