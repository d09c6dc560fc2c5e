import { existsSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { TaskManagerError } from "../../base/errors.js";

export type Database = DatabaseSync;

/**
 * node:sqlite, loaded when an OpenClaw host is first read (never on a Clawdbot host or with
 * none). Node 22 prints an ExperimentalWarning on load; it is about Node, not about anything the
 * user can act on, so that one warning is dropped. OpenClaw itself needs Node >= 24.16.
 */
function sqliteModule(): typeof import("node:sqlite") {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("SQLite")) return;
    (emit as (w: string | Error, ...r: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const mod = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite") | undefined;
    if (!mod) throw new Error("node:sqlite is not available");
    return mod;
  } catch (err) {
    throw new TaskManagerError(
      "E_HOST_UNSUPPORTED",
      `Reading OpenClaw's state needs Node's built-in SQLite (Node >= 22.13; OpenClaw itself needs >= 24.16), and this Node (${process.version}) has none: ${(err as Error).message}.`,
      { node: process.version },
    );
  } finally {
    process.emitWarning = emit;
  }
}

/**
 * Opens one of OpenClaw's databases read-only, or returns null when it does not exist yet (a
 * host set up but never run). Read-only: task-manager never writes the host's state; in WAL mode
 * a reader neither blocks the gateway nor is blocked by it.
 */
export function openReadOnly(file: string): Database | null {
  if (!existsSync(file)) return null;
  const { DatabaseSync } = sqliteModule();
  try {
    return new DatabaseSync(file, { readOnly: true });
  } catch (err) {
    throw new TaskManagerError(
      "E_HOST_UNSUPPORTED",
      `Cannot open OpenClaw's database ${file} read-only: ${(err as Error).message}. Check its permissions; task-manager must run as the gateway's user.`,
      { file },
    );
  }
}

/** A query against the host's schema; a schema this version does not know is a clear error. */
export function query<T>(
  db: Database,
  file: string,
  sql: string,
  ...params: Array<string | number | null>
): T[] {
  try {
    return db.prepare(sql).all(...params) as T[];
  } catch (err) {
    throw new TaskManagerError(
      "E_HOST_UNSUPPORTED",
      `OpenClaw's database ${file} does not have the layout task-manager reads (${(err as Error).message}). task-manager was tested with OpenClaw 2026.9.6; run \`task-manager doctor\` and report the host version.`,
      { file },
    );
  }
}
