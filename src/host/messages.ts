import type { RunOutcome } from "../core/run-outcome.js";

/**
 * Agent messages as both hosts write them (pi-ai's format): in Clawdbot's `.jsonl` transcripts,
 * OpenClaw's `transcript_events`, and the `messages` of the `agent_end` hook.
 */
export interface TranscriptMessage {
  role?: string;
  content?: unknown;
  stopReason?: string;
  errorMessage?: string;
  /** Epoch ms; the same value in the transcript and in agent_end's `messages`. */
  timestamp?: number;
}

/**
 * What a run's last message says. The hosts' own run status cannot be trusted for this: both
 * report "ok"/success for a run whose every model call failed (INTEGRATION.md). A run is done only
 * when its last message is an assistant answer that did not stop on an error.
 */
export function outcomeOfLastMessage(message: TranscriptMessage | null): RunOutcome {
  if (message?.role !== "assistant") return { status: "running" };
  if (message.stopReason === "error")
    return { status: "failed", message: message.errorMessage || "model call failed" };
  if (message.stopReason === "aborted")
    return { status: "failed", message: message.errorMessage || "run aborted" };
  if (message.stopReason === "toolUse") return { status: "running" };
  return { status: "done" };
}

/** Text of a transcript message's content (a string, or text blocks). */
export function messageText(message: unknown): string {
  const content = (message as { content?: unknown } | null)?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) =>
      block && typeof block === "object" && (block as { type?: string }).type === "text"
        ? String((block as { text?: unknown }).text ?? "")
        : "",
    )
    .join("");
}
