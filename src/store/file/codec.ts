import { TaskManagerError } from "../../base/errors.js";
import { jsonDataProblem, STORED_METADATA_MAX_DEPTH } from "../../core/bounds.js";
import { migrateLegacy } from "../../core/migrate.js";
import type { Queue } from "../../core/queue-model.js";
import { checkLegacy, checkStoredQueue } from "../../core/queue-validate.js";

/** Queue files above this are refused (and left alone) rather than parsed into memory. */
export const MAX_QUEUE_BYTES = 16 * 1024 * 1024;

/** Where a file came from, for the message and the migration. */
export type QueueOrigin = "missing" | "legacy" | "v2";

export interface Decoded {
  queue: Queue;
  origin: QueueOrigin;
}

/**
 * Serializes with `version` and `revision` first, so the revision can be read from the first
 * bytes of the file just before a write (the stale-writer check) without parsing the rest.
 */
export function encodeQueue(queue: Queue): Buffer {
  const { version, revision, ...rest } = queue;
  return Buffer.from(`${JSON.stringify({ version, revision, ...rest }, null, 2)}\n`, "utf8");
}

/** Revision as written in the first bytes; "legacy" for a bare array, null if unreadable. */
export function revisionFromHead(head: string): number | "legacy" | null {
  const match = /^\{\s*"version":\s*2,\s*"revision":\s*(\d+)\s*,/.exec(head);
  if (match) return Number(match[1]);
  return head.trimStart().startsWith("[") ? "legacy" : null;
}

export function contentHash(bytes: Buffer): string {
  // Only for naming a quarantine copy: fetched lazily, off the heartbeat check's path.
  return process
    .getBuiltinModule("node:crypto")
    .createHash("sha256")
    .update(bytes)
    .digest("hex")
    .slice(0, 12);
}

function corrupt(file: string, why: string): TaskManagerError {
  return new TaskManagerError(
    "E_QUEUE_CORRUPT",
    `Queue file ${file} is not a valid task queue (${why}). It was left untouched and a copy quarantined; fix or move it, then run the command again.`,
    { file, why },
  );
}

/** Parses and checks a queue file; a bare legacy array is migrated in memory. */
export function decodeQueue(bytes: Buffer, file: string, nowMs: number): Decoded {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw corrupt(file, `not JSON: ${(err as Error).message}`);
  }
  // Hand-written checks equivalent to the zod schemas (a property test holds them together):
  // the heartbeat check must not pay for loading zod.
  if (Array.isArray(data)) {
    const legacy = checkLegacy(data);
    if (!legacy.ok) throw corrupt(file, `legacy array entry ${legacy.problem}`);
    // Migration serialises each entry (its id is a hash of it): no deeper than JSON can write.
    const deep = jsonDataProblem(data, { maxDepth: STORED_METADATA_MAX_DEPTH });
    if (deep) throw corrupt(file, `legacy array: ${deep.what}`);
    // The migration bounds what it carries over; checked like any stored queue all the same,
    // so the first write (which publishes the migrated queue) cannot be refused or brick it.
    const migrated = checkStoredQueue(migrateLegacy(legacy.entries, nowMs));
    if (!migrated.ok) throw corrupt(file, `legacy array, once migrated: ${migrated.problem}`);
    return { queue: migrated.queue, origin: "legacy" };
  }
  // Ids unique and metadata writable, as the writer checks too (assertWritable).
  const parsed = checkStoredQueue(data);
  if (!parsed.ok) throw corrupt(file, parsed.problem);
  return { queue: parsed.queue, origin: "v2" };
}
