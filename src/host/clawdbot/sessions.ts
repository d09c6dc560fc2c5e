import { readFileSync } from "node:fs";
import path from "node:path";
import type { RunOutcome } from "../../core/run-outcome.js";
import { cacheFor, type ReadCache } from "../../base/read-cache.js";
import { isSubagentKey } from "../port.js";
import { readRunOutcome } from "./transcript.js";

/** One entry of the host's sessions store (only the fields task-manager reads). */
export interface SessionEntry {
  sessionId?: string;
  /** Written at the end of a run: what actually ran. */
  modelProvider?: string;
  sessionFile?: string;
  updatedAt?: number;
  model?: string;
  label?: string;
  abortedLastRun?: boolean;
}

export type SessionsStore = Record<string, SessionEntry>;

const storeCaches = new Map<string, ReadCache<SessionsStore | null>>();

/**
 * Reads sessions.json directly — the host CLI costs ~2 s per call, this costs a file read, and
 * in the gateway an unchanged file costs one lstat (it can be megabytes: every entry carries a
 * skills snapshot). The result is shared between ticks: treat it as read-only.
 */
export function readSessionsStore(file: string): Promise<SessionsStore | null> {
  return cacheFor(storeCaches, file).read(
    file,
    () => loadSessionsStore(file),
    (v) => v !== null,
  );
}

async function loadSessionsStore(file: string): Promise<SessionsStore | null> {
  let text: string;
  try {
    text = readFileSync(file, "utf8"); // sync: see readRaw in store/queue-file.ts
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as unknown;
    return data !== null && typeof data === "object" && !Array.isArray(data)
      ? (data as SessionsStore)
      : null;
  } catch {
    return null; // mid-write by the host; treated as "no information" for this tick
  }
}

export function transcriptFile(dir: string, entry: SessionEntry | undefined): string | null {
  if (!entry) return null;
  if (entry.sessionFile)
    return path.isAbsolute(entry.sessionFile)
      ? entry.sessionFile
      : path.join(dir, entry.sessionFile);
  return entry.sessionId ? path.join(dir, `${entry.sessionId}.jsonl`) : null;
}

/** How a transcript's outcome is read (a check passes one that reads each file once). */
export type OutcomeReader = (transcript: string) => Promise<RunOutcome>;

/**
 * A reader that reads each transcript once: within one check, a running task's session is
 * usually also a recent sub-agent session, counted for `active_sessions`.
 */
export function readEachOnce(read: OutcomeReader = readRunOutcome): OutcomeReader {
  const seen = new Map<string, Promise<RunOutcome>>();
  return (transcript) => {
    let outcome = seen.get(transcript);
    if (!outcome) {
      outcome = read(transcript);
      seen.set(transcript, outcome);
    }
    return outcome;
  };
}

/** A run's outcome; a finished run also says which model the host recorded as used. */
export async function sessionOutcome(
  dir: string,
  store: SessionsStore | null,
  sessionKey: string,
  read: OutcomeReader = readRunOutcome,
): Promise<RunOutcome> {
  const entry = store?.[sessionKey];
  const file = transcriptFile(dir, entry);
  if (!file) return { status: "unknown" };
  const outcome = await read(file);
  if (outcome.status === "done" && entry?.modelProvider && entry.model)
    return { ...outcome, model: `${entry.modelProvider}/${entry.model}` };
  return outcome;
}

/**
 * Sub-agent sessions that are really busy: updated within the window, and either holding a live
 * session lock or not yet showing a final answer or error (a finished session stays "recent"
 * for the whole window and would otherwise block the queue for that long). A session accepted
 * but not started yet (waiting in the host's lane) has neither lock nor transcript: it counts.
 */
export async function activeSubagentKeys(
  dir: string,
  store: SessionsStore | null,
  nowMs: number,
  windowMs: number,
  read: OutcomeReader = readRunOutcome,
): Promise<string[]> {
  if (!store) return [];
  const recent = Object.entries(store).filter(
    ([key, entry]) =>
      isSubagentKey(key) &&
      typeof entry.updatedAt === "number" &&
      nowMs - entry.updatedAt <= windowMs,
  );
  const outcomes = await Promise.all(
    recent.map(async ([key, entry]) => {
      const file = transcriptFile(dir, entry);
      return { key, outcome: file ? await read(file) : ({ status: "unknown" } as RunOutcome) };
    }),
  );
  return outcomes
    .filter((o) => o.outcome.status === "running" || o.outcome.status === "unknown")
    .map((o) => o.key);
}
