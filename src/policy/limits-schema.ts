import { z } from "zod";
import { isTimeZone } from "../base/time-zone.js";

/**
 * `budget` and `pacing`: spend caps and start-rate limits, both off by default (every cap and
 * limit null, no per-provider or per-model entry). Kept apart from schema.ts because they are
 * one feature with many keys; schema.ts embeds them, so there is still one policy schema.
 */

const modelRef = z.string().regex(/^[^/\s]+\/\S+$/, {
  message: 'expected "provider/model", e.g. "google/gemini-2.5-flash"',
});
const providerId = z.string().regex(/^[^/\s]+$/, {
  message: 'expected a provider id, the part of a model before "/" (e.g. "google")',
});

/** Largest cap accepted (USD or tokens): far above any real budget, and keeps typos visible. */
const CAP_LIMIT = 1e12;
/** Largest runs-per-window limit: the queue keeps one start time per allowed run. */
export const PACE_LIMIT = 10_000;

const capSchema = z
  .object({
    usd: z
      .number()
      .min(0)
      .max(CAP_LIMIT)
      .nullable()
      .default(null)
      .describe(
        "Most USD task-manager's runs may spend in the window; null: no USD cap. Runs without a price do not count here (they count their tokens).",
      ),
    tokens: z
      .number()
      .int()
      .min(0)
      .max(CAP_LIMIT)
      .nullable()
      .default(null)
      .describe(
        "Most tokens (input + output + cache read + cache write) the runs may use in the window; null: no token cap.",
      ),
  })
  .strict();

const NO_CAP = { usd: null, tokens: null };

const windowsSchema = z
  .object({
    daily: capSchema
      .default(NO_CAP)
      .describe("Per calendar day in budget.timeZone (resets at local midnight)."),
    monthly: capSchema
      .default(NO_CAP)
      .describe("Per calendar month in budget.timeZone (resets on the 1st at local midnight)."),
  })
  .strict();

const priceSchema = z
  .object({
    input: z.number().min(0).describe("USD per million input tokens."),
    output: z.number().min(0).describe("USD per million output tokens."),
    cacheRead: z.number().min(0).default(0).describe("USD per million cache-read tokens."),
    cacheWrite: z.number().min(0).default(0).describe("USD per million cache-write tokens."),
  })
  .strict();

export const budgetSchema = z
  .object({
    daily: capSchema
      .default(NO_CAP)
      .describe("Caps per calendar day over all of task-manager's runs."),
    monthly: capSchema
      .default(NO_CAP)
      .describe("Caps per calendar month over all of task-manager's runs."),
    providers: z
      .record(providerId, windowsSchema)
      .default({})
      .describe(
        'Caps for one provider\'s runs, by provider id: {"google": {"daily": {"usd": 1}}}.',
      ),
    models: z
      .record(modelRef, windowsSchema)
      .default({})
      .describe('Caps for one model\'s runs: {"google/gemini-2.5-flash": {"daily": {"usd": 1}}}.'),
    alertAt: z
      .number()
      .gt(0)
      .lt(1)
      .nullable()
      .default(0.8)
      .describe(
        "Alert once per window when a budget is this fraction spent (and again when it is used up); null: only the used-up alert.",
      ),
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'expected an IANA time zone such as "Europe/Paris"' })
      .nullable()
      .default(null)
      .describe(
        "Where days and months begin; null: the host's agents.defaults.userTimezone, else the machine's zone.",
      ),
    prices: z
      .record(modelRef, priceSchema)
      .default({})
      .describe(
        "USD per million tokens for models the host's catalog has no price for (its own prices come first).",
      ),
  })
  .strict();

const paceCount = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(PACE_LIMIT)
    .nullable()
    .default(null)
    .describe(`Most runs started ${what}; null: no limit.`);

const paceSchema = z
  .object({
    perMinute: paceCount("in any 60 seconds"),
    perHour: paceCount("in any hour"),
    per5Hours: paceCount("in any 5 hours"),
    perDay: paceCount("in any 24 hours"),
    maxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(64)
      .nullable()
      .default(null)
      .describe("Most of task-manager's runs out at once; null: only maxConcurrent applies."),
  })
  .strict();

export const pacingSchema = z
  .object({
    providers: z
      .record(providerId, paceSchema)
      .default({})
      .describe('Start limits for one provider, by id: {"google": {"perHour": 10}}.'),
    models: z
      .record(modelRef, paceSchema)
      .default({})
      .describe('Start limits for one model: {"google/gemini-2.5-flash": {"perMinute": 2}}.'),
  })
  .strict();

export type BudgetPolicy = z.output<typeof budgetSchema>;
export type PacingPolicy = z.output<typeof pacingSchema>;
