import { ALERT_TYPES, FAILURE_KINDS, TASK_STATES } from "./queue-model.js";
import type { LegacyTask, Queue } from "./queue-schema.js";

/**
 * A hand-written check of the queue format, equivalent to `queueSchema` in queue-schema.ts
 * (strict objects, no defaults). It exists so the heartbeat check can validate a queue without
 * loading zod (~30 ms and ~14 MiB of a ~25 ms process start); a property test keeps the two in
 * agreement on valid files and on arbitrary corruptions of them.
 */
type Check = (value: unknown, path: string) => string | null;

const fail = (path: string, what: string): string => `at ${path || "(top level)"}: ${what}`;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const string: Check = (v, p) => (typeof v === "string" ? null : fail(p, "expected string"));
const nonEmpty: Check = (v, p) => (typeof v === "string" && v.length > 0 ? null : fail(p, "expected a non-empty string"));
const boolean: Check = (v, p) => (typeof v === "boolean" ? null : fail(p, "expected boolean"));
const int = (min: number | null): Check => (v, p) =>
  typeof v === "number" && Number.isSafeInteger(v) && (min === null || v >= min) ? null : fail(p, `expected an integer${min === null ? "" : ` >= ${min}`}`);
const literal = (value: unknown): Check => (v, p) => (v === value ? null : fail(p, `expected ${JSON.stringify(value)}`));
const oneOf = (values: readonly string[]): Check => (v, p) => (typeof v === "string" && values.includes(v) ? null : fail(p, `expected one of ${values.join(", ")}`));
const pattern = (re: RegExp): Check => (v, p) => (typeof v === "string" && re.test(v) ? null : fail(p, `expected a string matching ${re}`));
const nullable = (check: Check): Check => (v, p) => (v === null ? null : check(v, p));

// zod's `z.string().datetime({ offset: true })` (zod/v4/core/regexes.js), copied: valid calendar
// dates, seconds required, fraction optional, `Z` or ±hh:mm.
const DATE = "(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))";
const TIME = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|([+-](?:[01]\\d|2[0-3]):[0-5]\\d))";
const isoTime: Check = pattern(new RegExp(`^${DATE}T(?:${TIME})$`));

function object(shape: Record<string, Check>): Check {
  const keys = Object.keys(shape);
  return (v, p) => {
    if (!isObject(v)) return fail(p, "expected object");
    for (const key of keys) {
      const error = shape[key]!(v[key], p ? `${p}.${key}` : key);
      if (error) return error;
    }
    const extra = Object.keys(v).filter((k) => !Object.hasOwn(shape, k));
    return extra.length > 0 ? fail(p, `unrecognized key${extra.length > 1 ? "s" : ""}: ${extra.map((k) => JSON.stringify(k)).join(", ")}`) : null;
  };
}

const array = (item: Check): Check => (v, p) => {
  if (!Array.isArray(v)) return fail(p, "expected array");
  for (let i = 0; i < v.length; i++) {
    const error = item(v[i], `${p}.${i}`);
    if (error) return error;
  }
  return null;
};

const record = (value: Check): Check => (v, p) => {
  if (!isObject(v)) return fail(p, "expected object");
  for (const [key, item] of Object.entries(v)) {
    const error = value(item, `${p}.${key}`);
    if (error) return error;
  }
  return null;
};

const anything: Check = () => null;

const lease = object({ token: nonEmpty, expires_at: isoTime, attempt: int(1), model: nonEmpty });
const run = object({ run_id: nullable(string), session_key: nullable(string), model: nullable(string), started_at: isoTime, attempt: int(1) });
const lastError = object({ kind: oneOf(FAILURE_KINDS), message: string, at: isoTime });
const task = object({
  id: pattern(/^t_[a-z0-9]+$/),
  prompt: string,
  priority: int(null),
  source: string,
  key: nullable(string),
  state: oneOf(TASK_STATES),
  attempts: int(0),
  failures: int(0),
  quota_failures: int(0),
  added_at: isoTime,
  updated_at: isoTime,
  run_at: nullable(isoTime),
  lease: nullable(lease),
  run: nullable(run),
  last_error: nullable(lastError),
  finished_at: nullable(isoTime),
  metadata: record(anything),
});
const historyEntry = object({
  task_id: string,
  outcome: oneOf(["done", "failed", "dead"]),
  kind: nullable(oneOf(FAILURE_KINDS)),
  started_at: nullable(isoTime),
  ended_at: isoTime,
  model: nullable(string),
});
const alert = object({ type: oneOf(ALERT_TYPES), task_id: string, prompt: string, error: string, failures: int(null), at: isoTime });
const queue = object({
  version: literal(2),
  revision: int(0),
  paused: boolean,
  cooldowns: record(isoTime),
  tasks: array(task),
  history: array(historyEntry),
  alerts: array(alert),
  captured: array(string),
});

/** The queue if `data` is a valid v2 queue, else the first problem found (with its path). */
export function checkQueue(data: unknown): { ok: true; queue: Queue } | { ok: false; problem: string } {
  const problem = queue(data, "");
  return problem === null ? { ok: true, queue: data as Queue } : { ok: false, problem };
}

const optional = (check: Check): Check => (v, p) => (v === undefined ? null : check(v, p));
const numberOrString: Check = (v, p) => ((typeof v === "number" && Number.isFinite(v)) || typeof v === "string" ? null : fail(p, "expected number or string"));
const legacyEntry: Check = (v, p) => {
  if (!isObject(v)) return fail(p, "expected object");
  return string(v.prompt, `${p}.prompt`) ?? optional(numberOrString)(v.priority, `${p}.priority`) ?? optional(numberOrString)(v.added_at, `${p}.added_at`) ?? optional(record(anything))(v.metadata, `${p}.metadata`);
};

/** The original bare array (`legacyQueueSchema`: loose entries, unknown keys kept). */
export function checkLegacy(data: unknown): { ok: true; entries: LegacyTask[] } | { ok: false; problem: string } {
  const problem = array(legacyEntry)(data, "");
  return problem === null ? { ok: true, entries: data as LegacyTask[] } : { ok: false, problem };
}
