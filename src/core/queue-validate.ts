import { TaskManagerError } from "../base/errors.js";
import { isObject } from "../base/json.js";
import { jsonDataProblem, STORED_METADATA_MAX_DEPTH } from "./bounds.js";
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
import type { LegacyTask, Queue } from "./queue-model.js";

/**
 * A hand-written check of the queue format, equivalent to `queueSchema` in queue-schema.ts
 * (strict objects, no defaults). It exists so the heartbeat check can validate a queue without
 * loading zod (~30 ms and ~14 MiB of a ~25 ms process start); a property test keeps the two in
 * agreement on valid files and on arbitrary corruptions of them.
 */
type Check = (value: unknown) => Problem | null;

/**
 * What is wrong and where. The path is built only on the way out of a failure (each level
 * prepends its key), so checking a valid queue — every heartbeat — allocates nothing.
 */
interface Problem {
  path: Array<string | number>;
  what: string;
}

const fail = (what: string): Problem => ({ path: [], what });
const at = (key: string | number, problem: Problem | null): Problem | null => {
  if (problem !== null) problem.path.unshift(key);
  return problem;
};
const describe = (problem: Problem): string =>
  `at ${problem.path.join(".") || "(top level)"}: ${problem.what}`;

const string: Check = (v) => (typeof v === "string" ? null : fail("expected string"));
const nonEmpty: Check = (v) =>
  typeof v === "string" && v.length > 0 ? null : fail("expected a non-empty string");
const boolean: Check = (v) => (typeof v === "boolean" ? null : fail("expected boolean"));
const int =
  (min: number | null): Check =>
  (v) =>
    typeof v === "number" && Number.isSafeInteger(v) && (min === null || v >= min)
      ? null
      : fail(`expected an integer${min === null ? "" : ` >= ${min}`}`);
/** zod's z.number(): finite only (JSON.parse turns 1e999 into Infinity). */
const number =
  (min: number, exclusive: boolean): Check =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && (exclusive ? v > min : v >= min)
      ? null
      : fail(`expected a number ${exclusive ? ">" : ">="} ${min}`);
const literal =
  (value: unknown): Check =>
  (v) =>
    v === value ? null : fail(`expected ${JSON.stringify(value)}`);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v)
      ? null
      : fail(`expected one of ${values.join(", ")}`);
const pattern =
  (re: RegExp): Check =>
  (v) =>
    typeof v === "string" && re.test(v) ? null : fail(`expected a string matching ${re}`);
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);

/**
 * zod's `z.string().datetime({ offset: true })`: seconds required, fraction optional, `Z` or
 * ±hh:mm, and a real calendar date. zod spells the calendar out in one large regex; here a small
 * regex takes the shape and arithmetic the days of the month (a property test holds the two
 * together), because compiling zod's regex was a visible part of every heartbeat check.
 */
const ISO_SHAPE =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const digits = (s: string, from: number, count: number): number => {
  let n = 0;
  for (let i = from; i < from + count; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
};
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function isIsoDateTime(s: string): boolean {
  if (!ISO_SHAPE.test(s)) return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  return day <= DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && isLeap(year));
}
const isoTime: Check = (v) =>
  typeof v === "string" && isIsoDateTime(v)
    ? null
    : fail(`expected an ISO date-time with offset, like 2026-01-27T10:00:00.000Z`);

/**
 * Checks made by `optional()`: an object's key may then be absent. Marked, not probed with
 * `undefined`: probing every key built a failure message per required key at module load, a
 * visible part of a CLI check's start.
 */
const OPTIONAL = new WeakSet<Check>();

/** A strict object: every key of `shape` checked, none other allowed. */
function object(shape: Record<string, Check>): Check {
  const keys = Object.keys(shape);
  const isOptional = (key: string): boolean => OPTIONAL.has(shape[key]!);
  const requiredKeys = keys.filter((key) => !isOptional(key));
  const optionalKeys = keys.filter(isOptional);
  // Parallel arrays and index loops: the check runs interpreted, once per heartbeat, and a
  // for-of with destructuring would allocate two iterators per key (a 100-task queue pushed
  // the process over its first young-generation collection).
  const requiredChecks = requiredKeys.map((key) => shape[key]!);
  const optionalChecks = optionalKeys.map((key) => shape[key]!);
  return (v) => {
    if (!isObject(v)) return fail("expected object");
    for (let i = 0; i < requiredKeys.length; i++) {
      const problem = requiredChecks[i]!(v[requiredKeys[i]!]);
      if (problem) return at(requiredKeys[i]!, problem);
    }
    // Passing every check means every required key is present; counting the optional ones that
    // are settles whether there is any other key (no list to build on the heartbeat's path).
    let expected = requiredKeys.length;
    for (let i = 0; i < optionalKeys.length; i++) {
      const value = v[optionalKeys[i]!];
      if (value === undefined) continue;
      expected += 1;
      const problem = optionalChecks[i]!(value);
      if (problem) return at(optionalKeys[i]!, problem);
    }
    if (Object.keys(v).length === expected) return null;
    const extra = Object.keys(v).filter((k) => !Object.hasOwn(shape, k));
    if (extra.length === 0) return null;
    return fail(
      `unrecognized key${extra.length > 1 ? "s" : ""}: ${extra.map((k) => JSON.stringify(k)).join(", ")}`,
    );
  };
}

const array =
  (item: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return fail("expected array");
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i]);
      if (problem) return at(i, problem);
    }
    return null;
  };

const record =
  (value: Check): Check =>
  (v) => {
    if (!isObject(v)) return fail("expected object");
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      const problem = value(v[key]);
      if (problem) return at(key, problem);
    }
    return null;
  };

const anything: Check = () => null;
const optional = (check: Check): Check => {
  const optionalCheck: Check = (v) => (v === undefined ? null : check(v));
  OPTIONAL.add(optionalCheck);
  return optionalCheck;
};

const lease = object({
  token: nonEmpty,
  expires_at: isoTime,
  attempt: int(1),
  model: nonEmpty,
  owner: optional(nonEmpty),
});
const run = object({
  run_id: nullable(string),
  session_key: nullable(string),
  model: nullable(string),
  started_at: isoTime,
  attempt: int(1),
  owner: optional(nonEmpty),
});
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
  idempotent: optional(boolean),
  max_age_hours: optional(nullable(number(0, true))),
  age_from: optional(isoTime),
  reason: optional(oneOf(TASK_REASONS)),
  interruptions: optional(int(0)),
  max_cost_usd: optional(number(0, true)),
});
const usage = object({
  input: int(0),
  output: int(0),
  cache_read: int(0),
  cache_write: int(0),
  cost_usd: nullable(number(0, false)),
});
const historyEntry = object({
  task_id: string,
  outcome: oneOf(HISTORY_OUTCOMES),
  kind: nullable(oneOf(FAILURE_KINDS)),
  started_at: nullable(isoTime),
  ended_at: isoTime,
  model: nullable(string),
  usage: optional(usage),
});
const anyNumber: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) ? null : fail("expected a number");
const budgetAlert = object({
  scope: oneOf(BUDGET_SCOPES),
  key: string,
  window: oneOf(BUDGET_WINDOWS),
  unit: oneOf(BUDGET_UNITS),
  level: number(0, true),
  spent: anyNumber,
  cap: number(0, false),
  resets_at: isoTime,
});
const alert = object({
  type: oneOf(ALERT_TYPES),
  task_id: string,
  prompt: string,
  error: string,
  failures: int(null),
  at: isoTime,
  reason: optional(oneOf(TASK_REASONS)),
  budget: optional(budgetAlert),
});
const spendCell = object({
  runs: int(0),
  usd: number(0, false),
  tokens: int(0),
  unpriced_runs: int(0),
});
const hold = object({
  scope: oneOf(HOLD_SCOPES),
  until: isoTime,
  source: oneOf(HOLD_SOURCES),
  since: isoTime,
  probe: nullable(object({ task_id: string, since: isoTime })),
});
const queue = object({
  version: literal(2),
  revision: int(0),
  paused: boolean,
  cooldowns: record(isoTime),
  holds: optional(record(hold)),
  tasks: array(task),
  history: array(historyEntry),
  alerts: array(alert),
  captured: array(string),
  spend: optional(record(record(spendCell))),
  starts: optional(record(array(isoTime))),
  ramps: optional(record(isoTime)),
  budget_alerts: optional(array(string)),
});

/** The queue if `data` is a valid v2 queue, else the first problem found (with its path). */
export function checkQueue(
  data: unknown,
): { ok: true; queue: Queue } | { ok: false; problem: string } {
  const problem = queue(data);
  return problem === null
    ? { ok: true, queue: data as Queue }
    : { ok: false, problem: describe(problem) };
}

const numberOrString: Check = (v) =>
  (typeof v === "number" && Number.isFinite(v)) || typeof v === "string"
    ? null
    : fail("expected number or string");
const legacyEntry: Check = (v) => {
  if (!isObject(v)) return fail("expected object");
  return (
    at("prompt", string(v.prompt)) ??
    at("priority", optional(numberOrString)(v.priority)) ??
    at("added_at", optional(numberOrString)(v.added_at)) ??
    at("metadata", optional(record(anything))(v.metadata))
  );
};

/** The original bare array (`legacyQueueSchema`: loose entries, unknown keys kept). */
export function checkLegacy(
  data: unknown,
): { ok: true; entries: LegacyTask[] } | { ok: false; problem: string } {
  const problem = array(legacyEntry)(data);
  return problem === null
    ? { ok: true, entries: data as LegacyTask[] }
    : { ok: false, problem: describe(problem) };
}

/**
 * What a stored queue must be beyond its shape: task ids unique, and metadata that JSON can
 * write back (nested at most STORED_METADATA_MAX_DEPTH deep, plain data). The reader and the
 * writer both ask this, so whatever the writer publishes, the reader accepts.
 */
export function checkStoredQueue(
  data: unknown,
): { ok: true; queue: Queue } | { ok: false; problem: string } {
  const parsed = checkQueue(data);
  if (!parsed.ok) return parsed;
  const seen = new Set<string>();
  const tasks = parsed.queue.tasks;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (seen.has(task.id)) return { ok: false, problem: `task id ${task.id} appears twice` };
    seen.add(task.id);
    // Most tasks carry `{}`: nothing to walk, nothing allocated on the heartbeat's path.
    if (isEmptyObject(task.metadata)) continue;
    const problem = jsonDataProblem(task.metadata, { maxDepth: STORED_METADATA_MAX_DEPTH });
    if (problem) return { ok: false, problem: `at tasks.${i}.metadata: ${problem.what}` };
  }
  return parsed;
}

function isEmptyObject(value: Record<string, unknown>): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * The writer's last check before a store publishes `queue`: it must be one the reader accepts
 * (`checkStoredQueue`). A bug anywhere above — an unbounded field, a transform that breaks an
 * invariant — becomes this refused operation (E_WOULD_CORRUPT, nothing written), never a file
 * every later command refuses. Every store calls it right before its write.
 */
export function assertWritable(queue: Queue, location: string): void {
  const checked = checkStoredQueue(queue);
  if (checked.ok) return;
  throw new TaskManagerError(
    "E_WOULD_CORRUPT",
    `This change was refused: it would have written a queue that task-manager cannot read back (${checked.problem}). Nothing was written to ${location}; the queue is as it was. This is a bug in task-manager or in the caller's input; report it with the command you ran.`,
    { location, problem: checked.problem },
  );
}
