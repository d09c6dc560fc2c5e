import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CLI, ROOT } from "../helpers/cli.js";
import {
  startHost,
  transcriptMessages,
  type Host,
  type HostKind,
  type JsonObject,
} from "./harness/host.js";
import { hostMatrix, installed, KINDS } from "./harness/kinds.js";

export { hostMatrix, KINDS };

/** The Clawdbot-only files (its host facts): skipped when the host is missing, unless CI requires it. */
export const hostMissing = !installed("clawdbot") && process.env.TASK_MANAGER_REQUIRE_HOST !== "1";

export interface QueuedTask {
  id: string;
  prompt: string;
  state: string;
  attempts: number;
  failures: number;
  source: string;
  run: { session_key: string | null; model: string | null; started_at: string } | null;
  last_error: { kind: string; message: string } | null;
}

/** The environment a user's shell has for this host: its HOME and state/config variables only. */
export function userEnv(host: Host): NodeJS.ProcessEnv {
  const state =
    host.kind === "openclaw"
      ? { OPENCLAW_STATE_DIR: host.stateDir, OPENCLAW_CONFIG_PATH: host.configPath }
      : { CLAWDBOT_STATE_DIR: host.stateDir, CLAWDBOT_CONFIG_PATH: host.configPath };
  return { PATH: `${path.dirname(host.spec.node)}:${process.env.PATH}`, HOME: host.home, ...state };
}

/** The task-manager CLI against a host's workspace (or another agent's) and state, on the host's own Node (a real child process). */
export function tm(
  host: Host,
  args: string[],
  env: NodeJS.ProcessEnv = userEnv(host),
  workspace: string = host.workspace,
): unknown {
  const r = spawnSync(host.spec.node, [CLI, ...args, "--json", "-w", workspace], {
    env,
    encoding: "utf8",
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `task-manager ${args.join(" ")} printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`,
    );
  }
}

export function tasks(host: Host): QueuedTask[] {
  return (tm(host, ["list", "--all"]) as { tasks: QueuedTask[] }).tasks;
}

/** Assistant answers (not errors) for a prompt across every session transcript of the host. */
export function successfulAnswers(host: Host, prompt: string): number {
  let count = 0;
  for (const key of Object.keys(host.readSessionStore())) {
    let inPrompt = false;
    for (const m of transcriptMessages(host.readTranscript(key))) {
      if (m.role === "user") inPrompt = JSON.stringify(m.content).includes(prompt);
      else if (m.role === "assistant" && inPrompt && m.stopReason === "stop") count += 1;
    }
  }
  return count;
}

export interface HistoryEntry {
  task_id: string;
  outcome: string;
  started_at: string;
  ended_at: string;
  model: string | null;
}

/** The queue file, read directly. */
export function queueFile(host: Host): {
  history: HistoryEntry[];
  cooldowns: Record<string, string>;
} {
  return JSON.parse(
    readFileSync(path.join(host.workspace, "memory/pending_tasks.json"), "utf8"),
  ) as { history: HistoryEntry[]; cooldowns: Record<string, string> };
}

export const queueHistory = (host: Host): HistoryEntry[] => queueFile(host).history;

export function ids(host: Host, prompts: string[]): string[] {
  return tasks(host)
    .filter((t) => prompts.includes(t.prompt))
    .map((t) => t.id);
}

/** plugins.entries.task-manager as an operator sets it up on each host (OpenClaw needs its opt-ins). */
export function pluginEntry(kind: HostKind, config: JsonObject): JsonObject {
  const entry: JsonObject = { enabled: true, config };
  if (kind === "openclaw") {
    entry.hooks = { allowConversationAccess: true };
    entry.subagent = { allowModelOverride: true };
  }
  return entry;
}

/** The embedded agent's in-run retries, shortened so failure cases take seconds, not minutes. */
export function fastRetries(kind: HostKind): JsonObject {
  return kind === "openclaw"
    ? { retry: { provider: { maxRetries: 0 } } }
    : { retry: { baseDelayMs: 50 } };
}

/**
 * A private gateway with this package loaded as a plugin, dispatching every second, blind to
 * machine load (the 2-core test machine is busy), with the host's own model-call retries
 * shortened so failure cases take a second, not minutes.
 */
export function startPluginHost(
  kind: HostKind,
  providerBaseUrl: string,
  config: JsonObject,
  extra: { entry?: JsonObject; extraConfig?: JsonObject } = {},
): Promise<Host> {
  return startHost({
    kind,
    providerBaseUrl,
    pluginPaths: [ROOT],
    pluginEntries: {
      "task-manager": {
        ...pluginEntry(kind, {
          schedule: "*/1 * * * * *",
          leaseSeconds: 10,
          loadThreshold: 100,
          minFreeMemoryMB: 0,
          ...config,
        }),
        ...extra.entry,
      },
    },
    agentSettings: fastRetries(kind),
    ...(extra.extraConfig ? { extraConfig: extra.extraConfig } : {}),
  });
}
