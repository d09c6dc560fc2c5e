import type { RunOutcome } from "../core/run-outcome.js";
import type { HostInfo } from "../core/status.js";
import type { HostConfig } from "./host-config.js";

/**
 * The host port: everything task-manager needs to know from a gateway host, answered by one
 * adapter per host (src/host/openclaw/, src/host/clawdbot/, src/host/none.ts). The runtime and
 * the plugin wiring see only these answers; core never sees a host at all.
 */
export interface HostPort {
  /** What the status object says about the host. */
  readonly info: HostInfo;
  /** The host's config (workspace, heartbeat, gateway address, models), or null when none. */
  readonly config: HostConfig | null;
  /**
   * A view of the host's records for one check: each record is read at most once per view, so
   * a running task's session, also counted as a busy sub-agent, costs one read.
   */
  view(): HostView;
}

/** A run task-manager started, as recorded in the queue. */
export interface RunRef {
  sessionKey: string;
  runId: string | null;
  /** Count the run's tool calls even while it is still running (it is past its time). */
  wantToolCalls?: boolean;
}

/** A failed sub-agent run nobody queued (plugin auto-capture). */
export interface FailedRun {
  sessionKey: string;
  /** Names this run (not the session): the session key plus where its record ended. */
  captureId: string;
  /** The run's task: its first user message. */
  prompt: string;
  error: string;
  /** The run made tool calls before it ended: repeating it may repeat their side effects. */
  acted: boolean;
}

/** What a run cut off by its gateway's death is reported as. */
export const INTERRUPTED_MESSAGE = "run interrupted: the gateway stopped mid-run";

export interface HostView {
  /** Sub-agent runs the host shows busy now (ours included), by session key. */
  busySubagents(nowMs: number, windowMs: number): Promise<string[]>;
  /** How a run ended, or that it has not. */
  runOutcome(run: RunRef): Promise<RunOutcome>;
  /**
   * Whether this session already has a run: an earlier process spawned this attempt and died
   * before recording it. Spawning again would run the task twice.
   */
  hasRun(sessionKey: string): Promise<boolean>;
  /**
   * Sub-agent runs updated within the window that failed or were cut off by a gateway restart
   * (the hosts re-run neither), excluding task-manager's own sessions.
   */
  failedRuns(nowMs: number, windowMs: number): Promise<FailedRun[]>;
}

/** task-manager's own sub-agent sessions: `agent:<agentId>:subagent:task-manager-<id>-<attempt>`. */
export const isOwnSession = (key: string): boolean => key.includes(":subagent:task-manager-");

export const isSubagentKey = (key: string): boolean => /^agent:[^:]+:subagent:/.test(key);

/** Names one failed run the same way from every source, so it is captured once. */
export const failedRunId = (sessionKey: string, endedAt: number | null | undefined): string =>
  `${sessionKey}@${endedAt ?? "?"}`;

/** One run to start, fully determined by the task and its attempt number. */
export interface SpawnRequest {
  taskId: string;
  attempt: number;
  prompt: string;
  model: string;
  label: string;
  sessionKey: string;
  /** Same task + attempt ⇒ same key: the gateway will not start a second run for it. */
  idempotencyKey: string;
  runTimeoutSeconds: number;
}

/** Starts a background run in the gateway (plugin mode; a recording fake in tests). */
export interface Spawner {
  /**
   * Whether this spawner may start runs at all, and if not, what the operator must set. Checked
   * before a task is claimed, so a host that would refuse (or run the task on its default model)
   * is never asked.
   */
  ready?(): { ok: true } | { ok: false; message: string };
  spawn(request: SpawnRequest): Promise<{ runId: string | null }>;
}
