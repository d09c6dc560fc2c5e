import { TaskManagerError } from "../base/errors.js";

/**
 * The bounds every field from outside is held to at the edge (CLI, page API, agent tool,
 * library), so the writer never writes what its own reader refuses (issue 16, point 1).
 */
export const PRIORITY_MIN = 1;
export const PRIORITY_MAX = 1000;
export const DEFAULT_PRIORITY = 5;
export const MAX_SOURCE_CHARS = 200;
export const MAX_KEY_CHARS = 500;
/** Run ids, session keys and model names reported by a host or an agent. */
export const MAX_RUN_FIELD_CHARS = 500;
export const MAX_ERROR_CHARS = 2000;
/** Metadata given on add: small, shallow plain data. */
export const METADATA_MAX_DEPTH = 32;
export const METADATA_MAX_VALUES = 10_000;
export const METADATA_MAX_CHARS = 32 * 1024;
/** What a stored queue may hold (older files, hand edits): anything JSON writes back safely. */
export const STORED_METADATA_MAX_DEPTH = 64;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

const invalid = (key: string, message: string): TaskManagerError =>
  new TaskManagerError("E_INVALID_INPUT", message, { key });

export function checkPriority(value: unknown): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < PRIORITY_MIN ||
    value > PRIORITY_MAX
  )
    throw invalid(
      "priority",
      `Priority must be a whole number from ${PRIORITY_MIN} to ${PRIORITY_MAX} (1 = most urgent), got ${String(value).slice(0, 40)}.`,
    );
  return value;
}

/** A one-line label (source, key, run id): a string, not empty, bounded, no control characters. */
export function checkLabel(value: unknown, key: string, maxChars: number): string {
  if (typeof value !== "string")
    throw invalid(key, `"${key}" must be a string, got ${typeof value}.`);
  if (value.trim() === "") throw invalid(key, `"${key}" must not be empty.`);
  if (value.length > maxChars)
    throw invalid(key, `"${key}" is ${value.length} characters; the limit is ${maxChars}.`);
  if (ANY_CONTROL.test(value))
    throw invalid(
      key,
      `"${key}" contains a control character (a line break, tab or terminal escape); give a one-line label of plain text.`,
    );
  return value;
}

export function checkOptionalLabel(value: unknown, key: string, maxChars: number): string | null {
  return value === undefined || value === null ? null : checkLabel(value, key, maxChars);
}

export function checkMaxAgeHours(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value === "number" && Number.isFinite(value) && value > 0 && value <= 24 * 366 * 100)
    return value;
  throw invalid(
    "max_age_hours",
    `Task max age must be a number of hours above 0 (at most 100 years), or none; got ${JSON.stringify(value)}.`,
  );
}

/** Text from a failure or a host: control characters dropped (tab and newline kept), bounded. */
export function errorText(text: string, maxChars = MAX_ERROR_CHARS): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point.
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, "").slice(0, maxChars);
}

export interface JsonDataLimits {
  maxDepth: number;
  maxValues?: number;
}

/**
 * Why `value` is not plain JSON data within the limits (null when it is). Walks at most
 * maxDepth levels, so a 200,000-deep object costs no more than a 33-deep one and never
 * overflows the stack.
 */
export function jsonDataProblem(value: unknown, limits: JsonDataLimits): { what: string } | null {
  let values = 0;
  const maxValues = limits.maxValues ?? Number.POSITIVE_INFINITY;
  const walk = (v: unknown, depth: number, at: string): string | null => {
    values++;
    if (values > maxValues) return `more than ${maxValues} values`;
    if (v === null || typeof v === "string" || typeof v === "boolean") return null;
    if (typeof v === "number") return Number.isFinite(v) ? null : `${at} is not a finite number`;
    if (typeof v !== "object") return `${at} is a ${typeof v}, not JSON data`;
    if (depth >= limits.maxDepth) return `nested more than ${limits.maxDepth} levels deep`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], depth + 1, `${at}[${i}]`);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${at} is not a plain object`;
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue;
      const p = walk(item, depth + 1, `${at}.${k}`);
      if (p) return p;
    }
    return null;
  };
  const what = walk(value, 0, "metadata");
  return what ? { what } : null;
}

const METADATA_LIMITS = `at most ${METADATA_MAX_DEPTH} levels deep, ${METADATA_MAX_VALUES} values and ${METADATA_MAX_CHARS / 1024} KB of JSON`;

/** Metadata given on add: plain JSON data within the bounds, or a clear error. */
export function checkMetadata(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw invalid(
      "metadata",
      `"metadata" must be an object, got ${Array.isArray(value) ? "an array" : typeof value}.`,
    );
  const problem = jsonDataProblem(value, {
    maxDepth: METADATA_MAX_DEPTH,
    maxValues: METADATA_MAX_VALUES,
  });
  if (problem && /levels deep|more than \d+ values/.test(problem.what))
    throw new TaskManagerError(
      "E_METADATA_TOO_LARGE",
      `Task metadata is too large (${problem.what}); metadata is ${METADATA_LIMITS}. Put bulky material in a workspace file and name the file in the metadata.`,
      { key: "metadata" },
    );
  if (problem) throw invalid("metadata", `Task metadata must be plain JSON data: ${problem.what}.`);
  const chars = JSON.stringify(value).length;
  if (chars > METADATA_MAX_CHARS)
    throw new TaskManagerError(
      "E_METADATA_TOO_LARGE",
      `Task metadata is ${chars} characters of JSON; metadata is ${METADATA_LIMITS}. Put bulky material in a workspace file and name the file in the metadata.`,
      { key: "metadata" },
    );
  return value as Record<string, unknown>;
}
