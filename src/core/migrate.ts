import { MAX_SOURCE_CHARS, PRIORITY_MAX, PRIORITY_MIN } from "./bounds.js";
import { stripControlChars } from "./prompt.js";
import type { LegacyTask, Queue, Task } from "./queue-model.js";
import { emptyQueue } from "./queue-model.js";
import { isoTime } from "./time.js";

/**
 * Ids for migrated entries are derived from the entry and its position, so every read of the
 * same legacy file (before the first write migrates it) shows the same ids.
 */
export function legacyTaskId(index: number, entry: LegacyTask): string {
  const text = `${index}\u0000${JSON.stringify(entry)}`;
  return `t_l${fnv1a(text, 0x811c9dc5).toString(36)}${fnv1a(text, 0x01000193).toString(36)}`;
}

function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Words the original system's hand-written files used for priority. */
const PRIORITY_WORDS: Record<string, number> = {
  critical: 1,
  urgent: 1,
  high: 2,
  medium: 5,
  normal: 5,
  low: 8,
};

/** Into the bounds every new task is held to (a hand-written 1e300 must not brick the queue). */
const clampPriority = (n: number): number =>
  Math.min(PRIORITY_MAX, Math.max(PRIORITY_MIN, Math.round(n)));

function legacyPriority(value: LegacyTask["priority"]): number {
  if (typeof value === "number" && Number.isFinite(value)) return clampPriority(value);
  if (typeof value === "string") {
    const asNumber = Number(value);
    if (value.trim() !== "" && Number.isFinite(asNumber)) return clampPriority(asNumber);
    return PRIORITY_WORDS[value.trim().toLowerCase()] ?? 5;
  }
  return 5;
}

/** Retry counts above this are the same as "spent" for any retry policy (maxAttempts ≤ 100). */
const MAX_LEGACY_RETRIES = 1000;

/** Times a queue can write back: years 0–9999 (ISO without an expanded year), else the fallback. */
const EARLIEST_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z (Date.UTC maps year 0 to 1900)
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function legacyTime(value: LegacyTask["added_at"], fallbackMs: number): string {
  const ms =
    typeof value === "number"
      ? value < 1e12
        ? value * 1000
        : value
      : typeof value === "string"
        ? Date.parse(value)
        : NaN;
  return isoTime(Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS ? ms : fallbackMs);
}

/**
 * The original bare array → the versioned envelope, losslessly: every entry becomes a pending
 * task (in file order), and everything the entry carried that has no field of its own — the
 * original priority and added_at, metadata, unknown keys — is kept under `metadata`.
 */
export function migrateLegacy(entries: readonly LegacyTask[], nowMs: number): Queue {
  const queue = emptyQueue();
  queue.tasks = entries.map((entry, index): Task => {
    const { prompt, priority, added_at, metadata, ...rest } = entry;
    const meta: Record<string, unknown> = { ...(metadata ?? {}) };
    // Hand-written text: control characters go (as on every add), the source is a short label.
    const cleanSource =
      typeof meta.source === "string"
        ? stripControlChars(meta.source)
            .replace(/[\t\n]/g, " ")
            .slice(0, MAX_SOURCE_CHARS)
        : "";
    const source = cleanSource.trim() !== "" ? cleanSource : "legacy";
    const retryCount =
      typeof meta.retry_count === "number" && Number.isFinite(meta.retry_count)
        ? Math.min(MAX_LEGACY_RETRIES, Math.max(0, Math.floor(meta.retry_count)))
        : 0;
    const addedAt = legacyTime(added_at, nowMs + index);
    return {
      id: legacyTaskId(index, entry),
      prompt: stripControlChars(prompt.replace(/\r\n?/g, "\n")),
      priority: legacyPriority(priority),
      source,
      key: null,
      state: "pending",
      attempts: retryCount,
      failures: retryCount,
      quota_failures: 0,
      added_at: addedAt,
      updated_at: isoTime(nowMs),
      run_at: null,
      lease: null,
      run: null,
      last_error: null,
      finished_at: null,
      metadata: {
        ...meta,
        legacy: { priority: priority ?? null, added_at: added_at ?? null, ...rest },
      },
      // The original queue kept no age limit and its entries can be months old: they were
      // adopted now, so `maxAgeHours` counts from now (added_at still orders them).
      age_from: isoTime(nowMs),
    };
  });
  return queue;
}
