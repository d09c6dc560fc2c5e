import { existsSync } from "node:fs";
import type { RunOutcome } from "../../core/run-outcome.js";
import type { HostConfig } from "../host-config.js";
import {
  failedRunId,
  INTERRUPTED_MESSAGE,
  isOwnSession,
  isSubagentKey,
  type FailedRun,
  type HostPort,
  type HostView,
} from "../port.js";
import {
  activeSubagentKeys,
  readEachOnce,
  readSessionsStore,
  sessionOutcome,
  transcriptFile,
  type SessionsStore,
} from "./sessions.js";
import { readRunOutcome, summarizeTranscript } from "./transcript.js";

/**
 * Clawdbot 2026.1: sessions in `<state>/agents/<agentId>/sessions/sessions.json`, transcripts in
 * `<sessionId>.jsonl` beside it, a live run holds `<transcript>.lock` (INTEGRATION.md, "Host
 * facts"). Everything is read from files; the host CLI costs ~2 s a call.
 */
export function clawdbotHost(
  stateDir: string,
  config: HostConfig | null,
  agentId: string,
): HostPort {
  const dir = `${stateDir}/agents/${agentId}/sessions`;
  const storeFile = `${dir}/sessions.json`;
  return {
    info: {
      kind: "clawdbot",
      state_dir: stateDir,
      sessions_store: existsSync(storeFile) ? storeFile : null,
    },
    config,
    view: () => clawdbotView(dir, storeFile),
  };
}

function clawdbotView(dir: string, storeFile: string): HostView {
  const read = readEachOnce();
  let store: Promise<SessionsStore | null> | undefined;
  const sessions = (): Promise<SessionsStore | null> => (store ??= readSessionsStore(storeFile));
  return {
    busySubagents: async (nowMs, windowMs) =>
      activeSubagentKeys(dir, await sessions(), nowMs, windowMs, read),
    runOutcome: async (run): Promise<RunOutcome> =>
      sessionOutcome(dir, await sessions(), run.sessionKey, read),
    async hasRun(sessionKey) {
      const file = transcriptFile(dir, (await sessions())?.[sessionKey]);
      // sessions.patch creates the store entry before the run; only a transcript or a lock proves one.
      if (file === null) return false;
      if (existsSync(file)) return true;
      return (await readRunOutcome(file)).status === "running";
    },
    failedRuns: async (nowMs, windowMs) =>
      failedSubagentRuns(dir, await sessions(), nowMs, windowMs),
  };
}

/**
 * Sub-agent runs whose transcript ends in an error, or whose gateway died mid-run: the host fires
 * no agent_end for a run whose model call failed, so the transcript is the only witness.
 */
async function failedSubagentRuns(
  dir: string,
  store: SessionsStore | null,
  nowMs: number,
  windowMs: number,
): Promise<FailedRun[]> {
  const found: FailedRun[] = [];
  for (const [key, entry] of Object.entries(store ?? {})) {
    if (
      !isSubagentKey(key) ||
      isOwnSession(key) ||
      typeof entry.updatedAt !== "number" ||
      nowMs - entry.updatedAt > windowMs
    )
      continue;
    const file = transcriptFile(dir, entry);
    const summary = file ? await summarizeTranscript(file) : null;
    if (!summary?.firstUserText) continue;
    const { outcome } = summary;
    if (outcome.status !== "failed" && outcome.status !== "interrupted") continue;
    const error = outcome.status === "failed" ? outcome.message : INTERRUPTED_MESSAGE;
    found.push({
      sessionKey: key,
      captureId: failedRunId(key, summary.endedAt),
      prompt: summary.firstUserText,
      error,
      acted: summary.toolCalls > 0,
    });
  }
  return found;
}
