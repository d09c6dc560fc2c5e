import { captureFailedRun } from "../core/capture.js";
import { normalizePrompt } from "../core/prompt.js";
import { NO_TASKS, type Scope } from "../core/views.js";
import { messageText, outcomeOfLastMessage, type TranscriptMessage } from "../host/messages.js";
import { failedRunId, isOwnSession, isSubagentKey, type FailedRun } from "../host/port.js";
import type { Context } from "../runtime/context.js";
import type { AgentEndEvent, AgentHookContext } from "./host-api.js";

interface Candidate extends Omit<FailedRun, "acted"> {
  acted?: boolean;
  via: "agent_end" | "transcript";
}
/** Queues each candidate in a change of its own: each sees only the tasks it would duplicate. */
async function enqueue(ctx: Context, candidates: Candidate[]): Promise<number> {
  let added = 0;
  for (const c of candidates) {
    if (c.prompt.trim() === "") continue;
    if (await enqueueOne(ctx, c)) added += 1;
  }
  return added;
}

async function enqueueOne(ctx: Context, c: Candidate): Promise<boolean> {
  const prompt = normalizePrompt(c.prompt.slice(0, 60_000));
  const key = `capture:${c.sessionKey}`;
  const scope: Scope = { tasks: "duplicates", prompt, source: "capture", key };
  const metadata = {
    captured_from: c.via,
    session_key: c.sessionKey,
    error: c.error.slice(0, 500),
    ...(c.acted ? { acted: true } : {}),
  };
  const result = await ctx.store.mutate(scope, (queue) => {
    const input = { prompt, source: "capture", key, metadata };
    const r = captureFailedRun(queue, c.captureId, input, ctx.deps.now(), ctx.deps.newId());
    return { queue: r.queue, result: r.task !== null };
  });
  return result.result;
}

/**
 * Failed or interrupted sub-agent runs nobody queued, as the host's records show them (the host
 * fires no agent_end for a run whose model call failed, and re-runs neither).
 */
export async function scanFailedSubagents(ctx: Context): Promise<number> {
  if (!ctx.policy.capture.subagents) return 0;
  const runs = await ctx.host
    .view()
    .failedRuns(ctx.deps.now(), ctx.policy.activeWindowMinutes * 60_000);
  if (runs.length === 0) return 0;
  const { queue } = await ctx.store.read(NO_TASKS);
  return enqueue(
    ctx,
    runs
      .filter((r) => !queue.captured.includes(r.captureId))
      .map((r) => ({ ...r, via: "transcript" as const })),
  );
}

/**
 * A failed run reported by agent_end: queue its task (sub-agents by default; main if enabled).
 * The host reports `success:true` for a run whose model calls all failed; the last message
 * (stopReason "error") is what says it failed.
 */
export async function captureAgentEnd(
  ctx: Context,
  event: AgentEndEvent,
  hook: AgentHookContext,
  mainKey: string,
): Promise<number> {
  const key = hook.sessionKey;
  const last = (event.messages ?? []).at(-1) as TranscriptMessage | undefined;
  const outcome = outcomeOfLastMessage(last ?? null);
  const failed = event.success === false || outcome.status === "failed";
  if (!failed || !key || isOwnSession(key)) return 0;
  const isMain = key === mainKey;
  if (isMain ? !ctx.policy.capture.main : !(isSubagentKey(key) && ctx.policy.capture.subagents))
    return 0;
  const users = (event.messages ?? []).filter(
    (m) => (m as { role?: string } | null)?.role === "user",
  );
  // A sub-agent's task is its first message; a main-session run is about its latest one.
  const message = isMain ? users.at(-1) : users[0];
  const prompt = message ? messageText(message) : "";
  const error = event.error ?? (outcome.status === "failed" ? outcome.message : "run failed");
  return enqueue(ctx, [
    {
      captureId: failedRunId(key, last?.timestamp),
      prompt,
      sessionKey: key,
      error,
      via: "agent_end",
    },
  ]);
}
