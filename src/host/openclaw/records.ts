import type { RunUsage } from "../../core/run-outcome.js";
import { messageText, type TranscriptMessage } from "../messages.js";
import { query, type Database } from "./sqlite.js";

/**
 * OpenClaw 2026.9's records of a session (`session_nodes` in the agent's
 * `openclaw-agent.sqlite`): a status column written by the host when a run starts and ends
 * (`running|done|failed|killed|timeout`), and an entry JSON with the last run's id, model,
 * usage and error. Only the fields task-manager reads are extracted, in SQL: entries also carry
 * a skills snapshot of tens of kilobytes.
 */
export interface SessionRecord {
  key: string;
  sessionId: string;
  status: string | null;
  updatedAt: number;
  lastRunId: string | null;
  activeRunId: string | null;
  startedAt: number | null;
  endedAt: number | null;
  /** "provider/model" that really ran, when the host recorded it. */
  model: string | null;
  usage: RunUsage | null;
  lastRunError: string | null;
  /** When a quota hold on this session's provider is expected to end (epoch ms). */
  resumeBy: number | null;
}

interface Row {
  key: string;
  sessionId: string;
  status: string | null;
  updatedAt: number;
  /** A JSON array of the ENTRY_PATHS values, in order (null when the entry is not JSON). */
  fields: string | null;
}

/** The entry fields read, in one json_extract: each entry (a skills snapshot of ~8 KB) is parsed once. */
const ENTRY_PATHS = [
  "lastRunId",
  "activeWriterRunId",
  "startedAt",
  "endedAt",
  "model",
  "modelProvider",
  "inputTokens",
  "outputTokens",
  "cacheRead",
  "cacheWrite",
  "estimatedCostUsd",
  "lastRunError",
  "quotaSuspension.expectedResumeBy",
] as const;
const SELECT = `SELECT session_key AS key, current_session_id AS sessionId, status, updated_at AS updatedAt,
  CASE WHEN json_valid(entry_json) THEN json_extract(entry_json, ${ENTRY_PATHS.map((p) => `'$.${p}'`).join(", ")}) END AS fields
  FROM session_nodes`;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function toRecord(row: Row): SessionRecord {
  let values: unknown[] = [];
  try {
    values = row.fields === null ? [] : (JSON.parse(row.fields) as unknown[]);
  } catch {
    values = [];
  }
  const [
    lastRunId,
    activeRunId,
    startedAt,
    endedAt,
    model,
    provider,
    input,
    output,
    cacheRead,
    cacheWrite,
    cost,
    lastRunError,
    resumeBy,
  ] = values;
  const hasUsage = num(input) !== null || num(output) !== null;
  return {
    key: row.key,
    sessionId: row.sessionId,
    status: text(row.status),
    updatedAt: num(row.updatedAt) ?? 0,
    lastRunId: text(lastRunId),
    activeRunId: text(activeRunId),
    startedAt: num(startedAt),
    endedAt: num(endedAt),
    model: text(provider) && text(model) ? `${String(provider)}/${String(model)}` : null,
    usage: hasUsage
      ? {
          input: num(input) ?? 0,
          output: num(output) ?? 0,
          cacheRead: num(cacheRead) ?? 0,
          cacheWrite: num(cacheWrite) ?? 0,
          costUsd: num(cost),
        }
      : null,
    lastRunError: text(lastRunError),
    resumeBy: num(resumeBy),
  };
}

/** Every sub-agent session of one agent (`agent:<id>:subagent:…`), by key range (the primary key index). */
export function subagentRecords(db: Database, file: string, agentId: string): SessionRecord[] {
  const prefix = `agent:${agentId}:subagent:`;
  // ';' follows ':' in byte order: [prefix, upper) is every key that starts with the prefix.
  const upper = `${prefix.slice(0, -1)};`;
  return query<Row>(
    db,
    file,
    `${SELECT} WHERE session_key >= ? AND session_key < ?`,
    prefix,
    upper,
  ).map(toRecord);
}

export function sessionRecord(db: Database, file: string, key: string): SessionRecord | null {
  const [row] = query<Row>(db, file, `${SELECT} WHERE session_key = ?`, key);
  return row ? toRecord(row) : null;
}

interface EventRow {
  e: string | null;
  z: Uint8Array | null;
}

/**
 * An event's JSON: events of 1 KiB or more are stored zstd-compressed (`event_zstd`), so a long
 * prompt or a tool call usually is. zlib has zstd from Node 22.15 on.
 */
function eventText(row: EventRow): string | null {
  if (row.e !== null) return row.e;
  if (!row.z) return null;
  const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib") & {
    zstdDecompressSync?: (b: Uint8Array) => Buffer;
  };
  if (typeof zlib.zstdDecompressSync !== "function") return null;
  try {
    return zlib.zstdDecompressSync(row.z).toString("utf8");
  } catch {
    return null;
  }
}

function messageOf(row: EventRow): TranscriptMessage | null {
  const json = eventText(row);
  if (!json) return null;
  try {
    const event = JSON.parse(json) as { type?: string; message?: TranscriptMessage };
    return event.type === "message" && event.message && typeof event.message === "object"
      ? event.message
      : null;
  } catch {
    return null;
  }
}

const EVENTS =
  "SELECT event_json AS e, event_zstd AS z FROM transcript_events WHERE session_id = ?";

/** The last assistant message of a session window: a run's terminal answer or error. */
export function lastAssistant(
  db: Database,
  file: string,
  sessionId: string,
): TranscriptMessage | null {
  // Only terminal lines matter; a run writes one per answer, so the last few events hold it.
  for (const row of query<EventRow>(db, file, `${EVENTS} ORDER BY seq DESC LIMIT 16`, sessionId)) {
    const message = messageOf(row);
    if (message?.role === "assistant") return message;
  }
  return null;
}

/** The first user message of a session window: the run's task (it follows a few header events). */
export function firstUserText(db: Database, file: string, sessionId: string): string | null {
  for (const row of query<EventRow>(db, file, `${EVENTS} ORDER BY seq LIMIT 16`, sessionId)) {
    const message = messageOf(row);
    if (message?.role === "user") return messageText(message);
  }
  return null;
}

/** Tool calls the session's assistant messages asked for (content blocks of type "toolCall"). */
export function toolCallCount(db: Database, file: string, sessionId: string): number {
  const rows = query<EventRow>(
    db,
    file,
    `${EVENTS} AND (event_json LIKE '%"toolCall"%' OR event_zstd IS NOT NULL)`,
    sessionId,
  );
  let count = 0;
  for (const row of rows) {
    const message = messageOf(row);
    if (message?.role === "assistant" && Array.isArray(message.content))
      count += message.content.filter(
        (b) => (b as { type?: unknown } | null)?.type === "toolCall",
      ).length;
  }
  return count;
}

/** When each gateway process started (`gateway_boot_lifecycle` in the host-wide state database). */
export interface GatewayBoot {
  pid: number;
  startedAt: number;
}

export function gatewayBoots(db: Database, file: string): GatewayBoot[] {
  return query<{ pid: number; startedAt: number }>(
    db,
    file,
    "SELECT pid, started_at_ms AS startedAt FROM gateway_boot_lifecycle ORDER BY started_at_ms",
  );
}
