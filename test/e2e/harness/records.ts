/**
 * Reads a real host's sessions and transcripts for assertions, independently of the product's
 * own readers (src/host/*): Clawdbot's sessions.json + .jsonl files, OpenClaw's SQLite rows.
 * Both are returned in one shape: session key → entry, and transcript lines {type, message}.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { zstdDecompressSync } from "node:zlib";
import type { HostKind } from "./kinds.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SessionEntry {
  sessionId: string;
  updatedAt?: number;
  /** OpenClaw's status column (running|done|failed|killed|timeout); absent on Clawdbot. */
  status?: string | null;
  [key: string]: unknown;
}

export interface Records {
  sessions(): Record<string, SessionEntry>;
  /** Transcript lines of a session, oldest first ({type:"message", message:{role,…}} and others). */
  transcript(sessionKey: string): JsonObject[];
  /** Clawdbot only: the transcript file (its `.lock` beside it marks a live run). */
  transcriptPath(sessionKey: string): string | undefined;
}

/** One agent's records (default "main"): each agent of a gateway keeps its own. */
export function recordsFor(kind: HostKind, stateDir: string, agentId = "main"): Records {
  return kind === "openclaw"
    ? openclawRecords(stateDir, agentId)
    : clawdbotRecords(stateDir, agentId);
}

function clawdbotRecords(stateDir: string, agentId: string): Records {
  const dir = join(stateDir, "agents", agentId, "sessions");
  const sessions = (): Record<string, SessionEntry> => {
    const file = join(dir, "sessions.json");
    return existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, SessionEntry>)
      : {};
  };
  // Entries written by chat.send carry `sessionFile`; those written by `agent`/sessions.patch
  // only `sessionId`, and the transcript is then <dir>/<sessionId>.jsonl.
  const transcriptPath = (key: string): string | undefined => {
    const entry = sessions()[key];
    if (!entry) return undefined;
    return typeof entry.sessionFile === "string"
      ? entry.sessionFile
      : join(dir, `${entry.sessionId}.jsonl`);
  };
  return {
    sessions,
    transcriptPath,
    transcript(key) {
      const file = transcriptPath(key);
      if (!file || !existsSync(file)) return [];
      return readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as JsonObject);
    },
  };
}

function openclawRecords(stateDir: string, agentId: string): Records {
  const file = join(stateDir, "agents", agentId, "agent/openclaw-agent.sqlite");
  const withDb = <T>(empty: T, read: (db: DatabaseSync) => T): T => {
    if (!existsSync(file)) return empty;
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  const sessions = (): Record<string, SessionEntry> =>
    withDb({}, (db) => {
      const out: Record<string, SessionEntry> = {};
      for (const row of db
        .prepare(
          "SELECT session_key AS k, current_session_id AS s, status, entry_json AS e FROM session_nodes",
        )
        .all() as Array<{ k: string; s: string; status: string | null; e: string }>) {
        const entry = JSON.parse(row.e) as SessionEntry;
        delete entry.skillsSnapshot;
        delete entry.systemPromptReport;
        out[row.k] = { ...entry, sessionId: row.s, status: row.status };
      }
      return out;
    });
  return {
    sessions,
    transcriptPath: () => undefined,
    transcript(key) {
      const id = sessions()[key]?.sessionId;
      if (!id) return [];
      return withDb([], (db) =>
        (
          db
            .prepare(
              "SELECT event_json AS e, event_zstd AS z FROM transcript_events WHERE session_id = ? ORDER BY seq",
            )
            .all(id) as Array<{ e: string | null; z: Uint8Array | null }>
        ).map(
          (row) => JSON.parse(row.e ?? zstdDecompressSync(row.z!).toString("utf8")) as JsonObject,
        ),
      );
    },
  };
}
