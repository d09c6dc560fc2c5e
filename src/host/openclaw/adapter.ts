import { get } from "../../base/json.js";
import type { HostConfig } from "../host-config.js";
import {
  failedRunId,
  INTERRUPTED_MESSAGE,
  isOwnSession,
  type FailedRun,
  type HostPort,
  type HostView,
} from "../port.js";
import { openclawOutcome, ownerAlive } from "./outcome.js";
import {
  firstUserText,
  gatewayBoots,
  lastAssistant,
  sessionRecord,
  subagentRecords,
  toolCallCount,
  type GatewayBoot,
  type SessionRecord,
} from "./records.js";
import { openReadOnly, type Database } from "./sqlite.js";

/** Where OpenClaw keeps an agent's sessions: `<agentDir>/openclaw-agent.sqlite`. */
export function agentDatabase(
  stateDir: string,
  config: HostConfig | null,
  agentId: string,
): string {
  const agentDir = get(config?.raw, ["agents", "entries", agentId, "agentDir"]);
  return `${typeof agentDir === "string" && agentDir ? agentDir : `${stateDir}/agents/${agentId}/agent`}/openclaw-agent.sqlite`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * OpenClaw 2026.9: sessions and transcripts are rows in the agent's SQLite database, gateway
 * boots in the host-wide one (INTEGRATION.md, "Host facts: OpenClaw"). Both are read read-only
 * with node:sqlite, in the CLI and in the gateway alike, so skill mode and plugin mode settle
 * from the same records, with or without a running gateway. Connections open on first use and
 * stay open until `close()` (an idle reader costs the host nothing in WAL mode).
 */
export function openclawHost(
  stateDir: string,
  config: HostConfig | null,
  agentId: string,
): HostPort & { close(): void } {
  const agentFile = agentDatabase(stateDir, config, agentId);
  const stateFile = `${stateDir}/state/openclaw.sqlite`;
  let agentDb: Database | null = null;
  let stateDb: Database | null = null;
  // A database that does not exist yet is looked for again next time, not remembered as absent:
  // a fresh gateway creates the agent's database with its first session, after the plugin's
  // first read (seen on 2026.9.6: a run that ended was never settled in that gateway).
  const db = {
    agent: (): Database | null => (agentDb ??= openReadOnly(agentFile)),
    state: (): Database | null => (stateDb ??= openReadOnly(stateFile)),
  };
  return {
    info: { kind: "openclaw", state_dir: stateDir, sessions_store: agentFile },
    config,
    view: () => openclawView(agentFile, stateFile, db, agentId),
    close() {
      agentDb?.close();
      stateDb?.close();
      agentDb = stateDb = null;
    },
  };
}

interface Databases {
  agent(): Database | null;
  state(): Database | null;
}

function openclawView(
  agentFile: string,
  stateFile: string,
  db: Databases,
  agentId: string,
): HostView {
  let records: SessionRecord[] | undefined;
  let boots: GatewayBoot[] | undefined;
  const subagents = (): SessionRecord[] => {
    if (records === undefined) {
      const agent = db.agent();
      records = agent ? subagentRecords(agent, agentFile, agentId) : [];
    }
    return records;
  };
  const bootList = (): GatewayBoot[] => {
    if (boots === undefined) {
      const state = db.state();
      boots = state ? gatewayBoots(state, stateFile) : [];
    }
    return boots;
  };
  const record = (key: string): SessionRecord | null => {
    const agent = db.agent();
    return (
      subagents().find((r) => r.key === key) ??
      (agent ? sessionRecord(agent, agentFile, key) : null)
    );
  };
  const alive = (r: SessionRecord): boolean | null =>
    ownerAlive(bootList(), r.startedAt ?? r.updatedAt, pidAlive);
  return {
    async busySubagents() {
      // The host's status column, as it stands: a run left `running` by a gateway that died
      // counts until the next gateway marks it failed (it does so as it starts). Nothing can be
      // started meanwhile anyway, and this spares the idle check the host-wide database (its
      // schema alone costs ~2.5 ms to parse), which only settling a run of ours needs.
      return subagents()
        .filter((r) => r.status === "running")
        .map((r) => r.key);
    },
    async runOutcome(run) {
      const r = record(run.sessionKey);
      const agent = db.agent();
      return openclawOutcome({
        record: r,
        last: () => (r && agent ? lastAssistant(agent, agentFile, r.sessionId) : null),
        toolCalls: () => (r && agent ? toolCallCount(agent, agentFile, r.sessionId) : 0),
        ownerAlive: r ? alive(r) : null,
        ...(run.wantToolCalls ? { wantToolCalls: true } : {}),
      });
    },
    async hasRun(sessionKey) {
      const r = record(sessionKey);
      return r !== null && (r.status !== null || r.activeRunId !== null || r.lastRunId !== null);
    },
    async failedRuns(nowMs, windowMs) {
      const agent = db.agent();
      if (!agent) return [];
      const found: FailedRun[] = [];
      for (const r of subagents()) {
        if (isOwnSession(r.key) || nowMs - r.updatedAt > windowMs) continue;
        const outcome = openclawOutcome({
          record: r,
          last: () => lastAssistant(agent, agentFile, r.sessionId),
          toolCalls: () => 0,
          ownerAlive: alive(r),
        });
        if (outcome.status !== "failed" && outcome.status !== "interrupted") continue;
        const prompt = firstUserText(agent, agentFile, r.sessionId);
        const error = outcome.status === "failed" ? outcome.message : INTERRUPTED_MESSAGE;
        if (prompt)
          found.push({
            sessionKey: r.key,
            captureId: failedRunId(r.key, r.endedAt ?? r.updatedAt),
            prompt,
            error,
            acted: toolCallCount(agent, agentFile, r.sessionId) > 0,
          });
      }
      return found;
    },
  };
}
