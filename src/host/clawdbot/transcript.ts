import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { RunOutcome, RunUsage } from "../../core/run-outcome.js";
import { cacheFor, type ReadCache } from "../../base/read-cache.js";
import { messageText, outcomeOfLastMessage, type TranscriptMessage } from "../messages.js";

/** Only the end of a transcript matters; long runs can write megabytes. */
const TAIL_BYTES = 256 * 1024;

/**
 * Reads up to `bytes` from the head or the tail of a file, or null if it cannot be opened.
 * Synchronous, like the queue read (store/queue-file.ts): small local reads, no thread pool.
 */
function readPart(
  file: string,
  bytes: number,
  from: "head" | "tail",
): { text: string; size: number } | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const { size } = fstatSync(fd);
    const start = from === "tail" ? Math.max(0, size - bytes) : 0;
    const buf = Buffer.alloc(Math.min(size, bytes));
    const read = readSync(fd, buf, 0, buf.length, start);
    const text = buf.subarray(0, read).toString("utf8");
    // Drop a partial first line when the tail starts mid-file.
    return { text: from === "tail" && start > 0 ? text.slice(text.indexOf("\n") + 1) : text, size };
  } finally {
    closeSync(fd);
  }
}

async function readTail(file: string): Promise<string | null> {
  return readPart(file, TAIL_BYTES, "tail")?.text ?? null;
}

function messageOf(line: string): TranscriptMessage | null {
  try {
    const entry = JSON.parse(line) as { type?: string; message?: TranscriptMessage; role?: string };
    if (entry.message && typeof entry.message === "object") return entry.message;
    if (typeof entry.role === "string") return entry as TranscriptMessage;
  } catch {
    // A line being written right now; the next check will see it whole.
  }
  return null;
}

/**
 * Reads a run's outcome from its transcript. The host's own run status cannot be trusted here:
 * `agent.wait` answers "ok" for a run whose every model call failed (INTEGRATION.md). A run is
 * done only when its last message is an assistant answer that did not stop on an error.
 */
export function outcomeFromTranscript(text: string): RunOutcome {
  return withFacts(outcomeOfLastMessage(lastMessage(text)), text);
}

/** Tool calls in transcript text: assistant content blocks `{"type":"toolCall",…}` (pi-ai's format). */
export function countToolCalls(text: string): number {
  return text.match(/"type":"toolCall"/g)?.length ?? 0;
}

/**
 * Token usage and cost the host recorded on the assistant messages in `text`, summed (each of
 * task-manager's runs has a session of its own, so a transcript holds one run), or undefined.
 */
export function sumUsage(text: string): RunUsage | undefined {
  let total: RunUsage | undefined;
  for (const line of text.split("\n")) {
    if (!line.includes('"usage"')) continue;
    const usage = messageOf(line.trim()) as { role?: string; usage?: RecordedUsage } | null;
    if (usage?.role !== "assistant" || !usage.usage) continue;
    const u = usage.usage;
    total ??= { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: null };
    total.input += u.input ?? 0;
    total.output += u.output ?? 0;
    total.cacheRead += u.cacheRead ?? 0;
    total.cacheWrite += u.cacheWrite ?? 0;
    if (typeof u.cost?.total === "number") total.costUsd = (total.costUsd ?? 0) + u.cost.total;
  }
  return total;
}

/** pi-ai's usage record on an assistant message (both hosts write it). */
interface RecordedUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cost?: { total?: number };
}

/** Adds the tool calls and usage seen in `text` to an outcome that can carry them. */
function withFacts(outcome: RunOutcome, text: string): RunOutcome {
  if (outcome.status === "unknown" || outcome.status === "rejected") return outcome;
  const usage = outcome.status === "running" ? undefined : sumUsage(text);
  return { ...outcome, toolCalls: countToolCalls(text), ...(usage ? { usage } : {}) };
}

/** The last message (any role) in transcript text. */
export function lastMessage(text: string): TranscriptMessage | null {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const message = messageOf(line);
    if (message && typeof message.role === "string") return message;
  }
  return null;
}

const outcomeCaches = new Map<string, ReadCache<RunOutcome>>();

/** The outcome a transcript's end shows; an unchanged transcript is not read again (gateway ticks). */
export function readTranscriptOutcome(file: string): Promise<RunOutcome> {
  const load = async (): Promise<RunOutcome> => {
    const text = await readTail(file);
    return text === null ? { status: "unknown" } : outcomeFromTranscript(text);
  };
  return cacheFor(outcomeCaches, file).read(file, load, (o) => o.status !== "unknown");
}

/** Is the process named in a session's write lock still alive? */
async function lockState(lockFile: string): Promise<"none" | "live" | "dead"> {
  let text: string;
  try {
    text = readFileSync(lockFile, "utf8");
  } catch {
    return "none";
  }
  let pid = NaN;
  try {
    pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
  } catch {
    return "live"; // being written right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return "live";
  try {
    process.kill(pid, 0);
    return "live";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? "live" : "dead";
  }
}

/**
 * A run's outcome, judged the way the host really behaves (INTEGRATION.md, "Host facts"): while
 * `<transcript>.lock` is held by a live process the run is still going — even if the transcript
 * already ends in an error, because the host retries failed model calls in the background and
 * may still succeed. A lock left by a dead process means the run died with its gateway.
 */
export function readRunOutcome(transcript: string): Promise<RunOutcome> {
  return judgeWithLock(transcript, () => readTranscriptOutcome(transcript));
}

/** The session lock overrides what the transcript's end (`ended`, read only if needed) says. */
async function judgeWithLock(
  transcript: string,
  ended: () => Promise<RunOutcome>,
): Promise<RunOutcome> {
  const lock = await lockState(`${transcript}.lock`);
  if (lock === "live") return { status: "running" };
  const outcome = await ended();
  // No transcript yet means no tool call: the host writes it from the first assistant message on.
  if (lock === "dead" && outcome.status !== "done")
    return {
      status: "interrupted",
      toolCalls:
        outcome.status === "unknown" || outcome.status === "rejected"
          ? 0
          : (outcome.toolCalls ?? 0),
    };
  return outcome;
}

export interface TranscriptSummary {
  /** The run's task: the first user message. */
  firstUserText: string | null;
  outcome: RunOutcome;
  /** Timestamp of the last message: names this run's end, to tell one failed run from the next. */
  endedAt: number | null;
  /** Tool calls seen in the head and the tail (enough to tell whether the run acted at all). */
  toolCalls: number;
}

/** The first user message (from the head) and the outcome (from the tail) of a transcript. */
export async function summarizeTranscript(file: string): Promise<TranscriptSummary | null> {
  const headPart = readPart(file, TAIL_BYTES, "head");
  if (headPart === null) return null;
  const head = headPart.text;
  let firstUserText: string | null = null;
  for (const line of head.split("\n")) {
    const message = line.trim() ? messageOf(line.trim()) : null;
    if (message?.role === "user") {
      firstUserText = messageText(message);
      break;
    }
  }
  // One tail read serves both the end marker and the outcome.
  const tail = await readTail(file);
  const last = tail === null ? null : lastMessage(tail);
  const outcome = await judgeWithLock(file, async () =>
    tail === null ? { status: "unknown" } : outcomeOfLastMessage(last),
  );
  // A file longer than one read: head and tail may overlap, so this can over-count; only > 0 matters.
  const toolCalls =
    countToolCalls(head) + (tail !== null && headPart.size > TAIL_BYTES ? countToolCalls(tail) : 0);
  return {
    firstUserText,
    outcome,
    endedAt: typeof last?.timestamp === "number" ? last.timestamp : null,
    toolCalls,
  };
}
