import type { RunFacts, RunOutcome } from "../../core/run-outcome.js";
import type { TranscriptMessage } from "../messages.js";
import type { SessionRecord } from "./records.js";

/**
 * After a gateway restart OpenClaw settles the runs the old process held as failed with this
 * error (it does not relaunch sub-agent runs). Seen on 2026.9.6: "Subagent execution was
 * interrupted by a Gateway restart. Inspect retained session history …".
 */
const INTERRUPTED = /interrupted by a gateway restart/i;

/**
 * A repeated idempotency key after a restart is accepted, then recorded as a failed run with no
 * model call: "Session transcript keyed user is outside the current turn: <id>".
 */
const REPEATED_KEY = /keyed user is outside the current turn/i;

export interface OutcomeInput {
  record: SessionRecord | null;
  /** The session's last assistant message (read only once the host has a terminal status). */
  last: () => TranscriptMessage | null;
  /** Tool calls in the session's transcript (read only when the outcome needs it). */
  toolCalls: () => number;
  /** Is the gateway process that held this run still alive? null: unknown (no boot records). */
  ownerAlive: boolean | null;
  /** Count tool calls of a run that is still going (they cost a transcript scan). */
  wantToolCalls?: boolean;
}

/**
 * A run's outcome from OpenClaw's own terminal records. The session's status column is the
 * host's verdict, but it is not the last word: a run whose model call failed can still end in a
 * status other than "failed" on some paths, so an assistant line that stopped on an error always
 * means failed (the trap `agent_end` and `waitForRun` fall into).
 */
export function openclawOutcome({
  record,
  last,
  toolCalls,
  ownerAlive,
  wantToolCalls,
}: OutcomeInput): RunOutcome {
  if (!record) return { status: "unknown" };
  const facts = (): RunFacts => ({
    ...(record.model ? { model: record.model } : {}),
    ...(record.usage ? { usage: record.usage } : {}),
    toolCalls: toolCalls(),
  });
  switch (record.status) {
    case "running":
      if (ownerAlive === false) return { status: "interrupted", ...facts() };
      return wantToolCalls ? { status: "running", toolCalls: toolCalls() } : { status: "running" };
    case "done": {
      const message = last();
      if (message?.stopReason === "error")
        return {
          status: "failed",
          message: message.errorMessage || "model call failed",
          ...facts(),
        };
      return { status: "done", ...facts() };
    }
    case "failed":
    case "killed":
    case "timeout":
      return failedOutcome(record, last(), facts);
    default:
      // Accepted, not started yet (waiting in the host's lane), or a session with no run.
      return record.activeRunId || record.lastRunId ? { status: "running" } : { status: "unknown" };
  }
}

function failedOutcome(
  record: SessionRecord,
  message: TranscriptMessage | null,
  facts: () => RunFacts,
): RunOutcome {
  const error = message?.stopReason === "error" ? message.errorMessage : undefined;
  if (INTERRUPTED.test(record.lastRunError ?? "")) return { status: "interrupted", ...facts() };
  if (error && REPEATED_KEY.test(error)) return { status: "rejected", message: error };
  const text =
    error ||
    record.lastRunError ||
    (record.status === "timeout"
      ? "the run timed out"
      : record.status === "killed"
        ? "the run was stopped"
        : "the run failed");
  return {
    status: "failed",
    message: text,
    ...(record.resumeBy !== null ? { resetAtMs: record.resumeBy } : {}),
    ...facts(),
  };
}

/**
 * Is the gateway process that was running when a run started (the last boot before it) still
 * alive? Only one gateway runs per state dir, so a later boot means that process is gone, even
 * if its pid has since been reused.
 */
export function ownerAlive(
  boots: ReadonlyArray<{ pid: number; startedAt: number }>,
  runStartedAt: number | null,
  alive: (pid: number) => boolean,
): boolean | null {
  if (boots.length === 0) return null;
  const start = runStartedAt ?? Number.POSITIVE_INFINITY;
  let owner = 0;
  boots.forEach((boot, i) => {
    if (boot.startedAt <= start) owner = i;
  });
  return owner === boots.length - 1 && alive(boots[owner]!.pid);
}
