import { captureFailedRun } from "../core/capture.js";
import { isSubagentKey, transcriptFile } from "../host/sessions.js";
import { messageText, outcomeOfLastMessage, summarizeTranscript, type TranscriptMessage } from "../host/transcript.js";
import { readHostSessions, type Context } from "../runtime/context.js";
import type { AgentEndEvent, AgentHookContext } from "./host-api.js";

/**
 * Names one failed run, the same way from the transcript and from agent_end (whose `messages`
 * carry the transcript's timestamps), so a run seen both ways is captured once.
 */
export const failedRunId = (sessionKey: string, endedAt: number | null | undefined): string => `${sessionKey}@${endedAt ?? "?"}`;

/** Our own runs are settled by the queue; they are never "captured". */
export const isOwnSession = (key: string): boolean => key.includes(":subagent:task-manager-");

interface Candidate {
  captureId: string;
  prompt: string;
  sessionKey: string;
  error: string;
  via: "agent_end" | "transcript";
}

async function enqueue(ctx: Context, candidates: Candidate[]): Promise<number> {
  if (candidates.length === 0) return 0;
  const result = await ctx.store.mutate((queue) => {
    let q = queue;
    let added = 0;
    for (const c of candidates) {
      if (c.prompt.trim() === "") continue;
      const r = captureFailedRun(q, c.captureId, {
        prompt: c.prompt.slice(0, 60_000),
        source: "capture",
        key: `capture:${c.sessionKey}`,
        metadata: { captured_from: c.via, session_key: c.sessionKey, error: c.error.slice(0, 500) },
      }, ctx.deps.now(), ctx.deps.newId());
      q = r.queue;
      if (r.task) added += 1;
    }
    return { queue: q, result: added };
  });
  return result.result;
}

/**
 * Sub-agent runs whose transcript ends in an error, that nobody queued: the host fires no
 * agent_end for a run whose model call failed, so the transcript is the only witness.
 */
export async function scanFailedSubagents(ctx: Context): Promise<number> {
  if (!ctx.policy.capture.subagents) return 0;
  const store = await readHostSessions(ctx);
  if (!store) return 0;
  const windowMs = ctx.policy.activeWindowMinutes * 60_000;
  const nowMs = ctx.deps.now();
  const { queue } = await ctx.store.read();
  const candidates: Candidate[] = [];
  for (const [key, entry] of Object.entries(store)) {
    if (!isSubagentKey(key) || isOwnSession(key) || typeof entry.updatedAt !== "number" || nowMs - entry.updatedAt > windowMs) continue;
    const file = transcriptFile(ctx.sessionsDir, entry);
    const summary = file ? await summarizeTranscript(file) : null;
    if (!summary || summary.outcome.status !== "failed" || !summary.firstUserText) continue;
    const captureId = failedRunId(key, summary.endedAt);
    if (queue.captured.includes(captureId)) continue;
    candidates.push({ captureId, prompt: summary.firstUserText, sessionKey: key, error: summary.outcome.message, via: "transcript" });
  }
  return enqueue(ctx, candidates);
}

/**
 * A failed run reported by agent_end: queue its task (sub-agents by default; main if enabled).
 * The host reports `success:true` for a run whose model calls all failed; the last message
 * (stopReason "error") is what says it failed.
 */
export async function captureAgentEnd(ctx: Context, event: AgentEndEvent, hook: AgentHookContext, mainKey: string): Promise<number> {
  const key = hook.sessionKey;
  const last = (event.messages ?? []).at(-1) as TranscriptMessage | undefined;
  const outcome = outcomeOfLastMessage(last ?? null);
  const failed = event.success === false || outcome.status === "failed";
  if (!failed || !key || isOwnSession(key)) return 0;
  const isMain = key === mainKey;
  if (isMain ? !ctx.policy.capture.main : !(isSubagentKey(key) && ctx.policy.capture.subagents)) return 0;
  const users = (event.messages ?? []).filter((m) => (m as { role?: string } | null)?.role === "user");
  // A sub-agent's task is its first message; a main-session run is about its latest one.
  const message = isMain ? users.at(-1) : users[0];
  const prompt = message ? messageText(message) : "";
  const error = event.error ?? (outcome.status === "failed" ? outcome.message : "run failed");
  return enqueue(ctx, [{ captureId: failedRunId(key, last?.timestamp), prompt, sessionKey: key, error, via: "agent_end" }]);
}
