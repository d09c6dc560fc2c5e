import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CLI, ROOT } from "../helpers/cli.js";
import { HOST_ENTRY, startHost, type Host, type JsonObject } from "./harness/host.js";

export const hostMissing = !existsSync(HOST_ENTRY) && process.env.TASK_MANAGER_REQUIRE_HOST !== "1";

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

/** The task-manager CLI against a host's workspace and state (a real child process). */
export function tm(host: Host, args: string[]): unknown {
  const r = spawnSync(process.execPath, [CLI, ...args, "--json", "-w", host.workspace], { env: { PATH: process.env.PATH, HOME: host.home, CLAWDBOT_STATE_DIR: host.stateDir, CLAWDBOT_CONFIG_PATH: host.configPath }, encoding: "utf8" });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`task-manager ${args.join(" ")} printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
}

export function tasks(host: Host): QueuedTask[] {
  return (tm(host, ["list", "--all"]) as { tasks: QueuedTask[] }).tasks;
}

/** Assistant answers (not errors) for a prompt across every session transcript of the host. */
export function successfulAnswers(host: Host, prompt: string): number {
  let count = 0;
  for (const key of Object.keys(host.readSessionStore())) {
    const lines = host.readTranscript(key);
    let inPrompt = false;
    for (const line of lines) {
      const m = line.message as { role?: string; stopReason?: string; content?: Array<{ text?: string }> } | undefined;
      if (line.type !== "message" || !m) continue;
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
export function queueFile(host: Host): { history: HistoryEntry[]; cooldowns: Record<string, string> } {
  return JSON.parse(readFileSync(path.join(host.workspace, "memory/pending_tasks.json"), "utf8")) as { history: HistoryEntry[]; cooldowns: Record<string, string> };
}

export const queueHistory = (host: Host): HistoryEntry[] => queueFile(host).history;

export function ids(host: Host, prompts: string[]): string[] {
  return tasks(host).filter((t) => prompts.includes(t.prompt)).map((t) => t.id);
}

/**
 * A private gateway with this package loaded as a plugin, dispatching every second, blind to
 * machine load (the 2-core test machine is busy), with the host's own model-call retries
 * shortened to 50 ms so failure cases take a second, not fourteen.
 */
export function startPluginHost(providerBaseUrl: string, config: JsonObject): Promise<Host> {
  return startHost({
    providerBaseUrl,
    pluginPaths: [ROOT],
    pluginEntries: {
      "task-manager": {
        enabled: true,
        config: { schedule: "*/1 * * * * *", leaseSeconds: 10, loadThreshold: 100, minFreeMemoryMB: 0, ...config },
      },
    },
    agentSettings: { retry: { baseDelayMs: 50 } },
  });
}
