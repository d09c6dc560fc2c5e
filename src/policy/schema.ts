import { z } from "zod";
import { cronProblem } from "./cron.js";
import { budgetSchema, pacingSchema } from "./limits-schema.js";

/**
 * The one schema for task-manager's policy: it validates `.taskmanagerrc` and the plugin's
 * config, produces the `Policy` type, and generates the JSON Schema in `clawdbot.plugin.json`.
 * Every key has a default, so an empty file (or no file) is a valid policy.
 */
/**
 * Letters, digits and `._:@+-` around the slashes: every provider's ids fit (`ollama/qwen2.5:7b`,
 * `openrouter/meta-llama/llama-3.1-8b-instruct:free`), and none can carry shell syntax or a
 * terminal escape — HEARTBEAT.md has the agent put the recommended model on a command line.
 */
const modelRef = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@+-]*\/[A-Za-z0-9._:@+/-]+$/, {
    message:
      'expected "provider/model" (letters, digits and ._:@+- only), e.g. "google/gemini-2.5-flash"',
  });

/** The longest file or folder name Linux and macOS filesystems take, in bytes (NAME_MAX). */
const NAME_MAX_BYTES = 255;
const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

/** Bounds on durations: every time the queue records stays a date the file can hold. */
const DAY_MS = 86_400_000;

/** A host agent id, as both hosts write them. */
const agentIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9_-]+$/i, {
    message: 'expected an agent id such as "main" (letters, digits, "-", "_")',
  });

/** "heartbeat", or a pattern croner accepts. */
const isSchedule = (value: string): boolean => value === "heartbeat" || cronProblem(value) === null;

export const DEFAULT_MODELS = ["google/gemini-2.5-flash", "anthropic/claude-haiku-4-5"];

export const retrySchema = z
  .object({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe("Failed runs (not counting rate limits) before a task goes dead."),
    baseDelayMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(60_000)
      .describe("First retry delay; doubles per failure, with jitter."),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(3_600_000)
      .describe("Cap on the retry delay."),
    // No default on purpose: whether the user set it decides whether it outranks the host's
    // recorded resume time (see core/holds.ts); unset, its DEFAULT_QUOTA_COOLDOWN_MS applies last.
    quotaCooldownMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .optional()
      .describe(
        "How long a quota hold lasts when the error text named no reset time. Set, it comes before the host's recorded resume time; unset, 900000 (15 min) applies after it.",
      ),
    quotaScope: z
      .enum(["provider", "model"])
      .default("provider")
      .describe(
        'What a rate limit holds: the whole provider (the part before "/": quota is per account) or only the model that hit it.',
      ),
    quotaHoldMinMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(60_000)
      .describe(
        "Shortest quota hold, whatever the failure said: a shorter hint is the per-request back-off the host's own in-run retries already used up.",
      ),
    quotaHoldMaxMs: z
      .number()
      .int()
      .min(1000)
      .max(30 * DAY_MS)
      .default(86_400_000)
      .describe(
        "Longest quota hold: covers 5-hour and daily quota windows; a longer (or misread) reset time is probed again after this.",
      ),
    maxQuotaRetries: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(20)
      .describe("Rate-limit failures before a task goes dead anyway."),
  })
  .strict()
  .refine((r) => r.quotaHoldMinMs <= r.quotaHoldMaxMs, {
    message: "quotaHoldMinMs must not be above quotaHoldMaxMs",
    path: ["quotaHoldMinMs"],
  });

export const captureSchema = z
  .object({
    subagents: z.boolean().default(true).describe("Queue failed sub-agent runs (plugin mode)."),
    main: z.boolean().default(false).describe("Queue failed main-session runs (plugin mode)."),
  })
  .strict();

export const storeSchema = z
  .object({
    kind: z
      .enum(["file", "postgres"])
      .optional()
      .describe(
        'Where the queue lives: "file" (queueFile, the embedded default) or "postgres" (one queue several gateways share). Absent: postgres when TASK_MANAGER_DATABASE_URL is set, else file.',
      ),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'expected a "postgres://…" connection URL' })
      .optional()
      .describe(
        "postgres://user:password@host:port/database. Prefer TASK_MANAGER_DATABASE_URL, which keeps the password out of the workspace; the URL is never printed with its password.",
      ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier" })
      .default("task_manager")
      .describe("The PostgreSQL schema task-manager's tables live in (created if the role may)."),
    queue: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "expected 1–64 letters, digits, . _ -" })
      .optional()
      .describe(
        "The queue's name in the database: gateways that name the same queue share it. Default: agentId.",
      ),
    gatewayLeaseSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(90)
      .describe(
        "PostgreSQL: a gateway that has not heartbeaten for this long is gone; another gateway settles its runs as interrupted. A skill-mode host's lease also covers two of its heartbeats.",
      ),
    poolSize: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(4)
      .describe(
        "PostgreSQL: connections each process keeps at most (plus one for LISTEN while watched).",
      ),
  })
  .strict();

export const policySchema = z
  .object({
    models: z
      .array(modelRef)
      .min(1)
      .max(64)
      .default(DEFAULT_MODELS)
      .describe("Whitelist of models tasks may run on, preferred first, then fallbacks."),
    maxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe("Background sessions (ours and others') allowed at once."),
    loadThreshold: z
      .number()
      .positive()
      .max(1_000_000)
      .default(0.8)
      .describe("1-minute load average per core above which work is deferred."),
    minFreeMemoryMB: z
      .number()
      .min(0)
      .max(1_000_000_000)
      .default(256)
      .describe("Free memory below which work is deferred."),
    retry: retrySchema.default(retrySchema.parse({})),
    maxAgeHours: z
      .number()
      .positive()
      .max(87_600)
      .nullable()
      .default(48)
      .describe(
        "A task older than this is not started: it becomes expired (with an alert) until revived. null: no limit. `add --max-age` sets it per task.",
      ),
    idempotentByDefault: z
      .boolean()
      .default(false)
      .describe(
        "Treat tasks as safe to repeat: a run that timed out or was interrupted after acting is retried instead of put under review. `add --idempotent` / `--no-idempotent` per task.",
      ),
    taskTimeoutMinutes: z
      .number()
      .positive()
      // Ten years, as maxAgeHours: a bound only so that the times a run records stay dates.
      .max(5_256_000)
      .default(30)
      .describe("A run older than this is a timeout failure."),
    leaseSeconds: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .default(300)
      .describe("How long a READY claim waits for `ack` before the task is claimable again."),
    activeWindowMinutes: z
      .number()
      .positive()
      .max(10_080)
      .default(30)
      .describe("Sub-agent sessions updated this recently count as active."),
    schedule: z
      .string()
      .min(1)
      .max(200)
      .refine(isSchedule, {
        message: 'expected "heartbeat" or a croner pattern such as "0 */30 * * * *"',
      })
      .default("heartbeat")
      .describe(
        'Croner pattern (seconds allowed) or "heartbeat" for agents.defaults.heartbeat.every.',
      ),
    queueFile: z
      .string()
      .min(1)
      .max(1024)
      .refine((file) => file.split(/[\\/]/).every((name) => utf8Bytes(name) <= NAME_MAX_BYTES), {
        message: `each folder or file name in the path must be at most ${NAME_MAX_BYTES} bytes (the filesystems' limit)`,
      })
      .default("memory/pending_tasks.json")
      .describe("Queue path, relative to the workspace; must stay inside it."),
    agentId: agentIdSchema
      .default("main")
      .describe(
        "Host agent whose sessions are observed and used for spawns (skill mode; the plugin serves every agent of its gateway, see `agents`).",
      ),
    wake: z
      .enum(["due", "heartbeat"])
      .default("due")
      .describe(
        'Plugin mode: "due" starts work the moment it may start (a timer for the earliest retry, hold end, lease or timeout; a watch on the queue; run ends; the main session going idle), with the schedule as a safety net; "heartbeat": only on the schedule. Skill mode: "due" asks the host for a heartbeat when a quota hold ends.',
      ),
    capture: captureSchema.default(captureSchema.parse({})),
    store: storeSchema.default(storeSchema.parse({})),
    budget: budgetSchema
      .default(budgetSchema.parse({}))
      .describe("Spend caps (USD and/or tokens, per day and month); off by default."),
    pacing: pacingSchema
      .default(pacingSchema.parse({}))
      .describe("Start limits per provider and per model; off by default."),
  })
  .strict();

/**
 * Keys that belong to the gateway, not to one workspace: set only in the plugin's config
 * (plugins.entries.task-manager.config), never in `.taskmanagerrc`. The plugin's config schema
 * is the policy schema plus these, so one source generates both manifests.
 */
export const gatewaySchema = z
  .object({
    agents: z
      .array(agentIdSchema)
      .min(1)
      .optional()
      .describe(
        "Agents whose queues the plugin serves (default: every agent the gateway is configured with; a gateway without a roster has the one agent main).",
      ),
    gatewayMaxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "Background runs the plugin lets all agents together have at once (default: the largest maxConcurrent of the agents served).",
      ),
    holdGroups: z
      .array(z.array(agentIdSchema).min(1))
      .optional()
      .describe(
        "Agents that share provider accounts: a quota hold placed in one's queue is placed in the others' too. Default: all agents served share (one group); [] shares nothing.",
      ),
  })
  .strict();

export const GATEWAY_KEYS = Object.keys(gatewaySchema.shape) as Array<
  keyof z.infer<typeof gatewaySchema>
>;

/** What plugins.entries.task-manager.config may hold: any policy key, plus the gateway's. */
export const pluginConfigSchema = policySchema.extend(gatewaySchema.shape).strict();

export type GatewaySettings = z.output<typeof gatewaySchema>;

/** Input form (what a user writes); every key optional. */
export type PolicyInput = z.input<typeof policySchema>;
/** Resolved policy with every default applied. */
export type Policy = z.output<typeof policySchema>;

export const DEFAULT_POLICY: Policy = policySchema.parse({});

/** JSON Schema of the policy (input form): `.taskmanagerrc`. */
export function policyJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(policySchema);
}

/** JSON Schema of the plugin's config (policy + gateway keys), as the manifests embed it. */
export function pluginConfigJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(pluginConfigSchema);
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", target: "draft-7" }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}
