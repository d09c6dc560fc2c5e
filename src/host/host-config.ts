import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HostInfo } from "../core/status.js";

/** Where the host keeps its state and config, honouring its own environment overrides. */
export interface HostPaths {
  stateDir: string;
  configPath: string;
}

export function hostPaths(env: NodeJS.ProcessEnv = process.env): HostPaths {
  const stateDir = env.CLAWDBOT_STATE_DIR || path.join(env.HOME || os.homedir(), ".clawdbot");
  const configPath = env.CLAWDBOT_CONFIG_PATH || path.join(stateDir, "clawdbot.json");
  return { stateDir, configPath };
}

/** The parts of the host config task-manager reads. Everything is optional there. */
export interface HostConfig {
  raw: Record<string, unknown>;
  workspace: string | null;
  heartbeatEvery: string | null;
  gatewayPort: number | null;
  gatewayToken: string | null;
}

function get(obj: unknown, keys: string[]): unknown {
  let cur = obj;
  for (const key of keys) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

export function expandHome(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return p === "~" || p.startsWith("~/") ? path.join(env.HOME || os.homedir(), p.slice(1)) : p;
}

/** Interprets an already-parsed host config object. */
export function interpretHostConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const workspace = str(get(raw, ["agents", "defaults", "workspace"]));
  const port = get(raw, ["gateway", "port"]);
  return {
    raw,
    workspace: workspace ? path.resolve(expandHome(workspace, env)) : null,
    heartbeatEvery: str(get(raw, ["agents", "defaults", "heartbeat", "every"])),
    gatewayPort: typeof port === "number" ? port : null,
    gatewayToken: str(get(raw, ["gateway", "auth", "token"])),
  };
}

/**
 * Reads the host config, or null when there is none. The host writes JSON but accepts JSON5
 * (comments, trailing commas); json5 is only loaded when plain JSON fails, to keep start-up fast.
 */
export function readHostConfig(paths: HostPaths, env: NodeJS.ProcessEnv = process.env): HostConfig | null {
  if (!existsSync(paths.configPath)) return null;
  const text = readFileSync(paths.configPath, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    try {
      const json5 = process.getBuiltinModule("node:module").createRequire(import.meta.url)("json5") as { parse: (t: string) => unknown };
      raw = json5.parse(text);
    } catch {
      return null;
    }
  }
  return raw !== null && typeof raw === "object" ? interpretHostConfig(raw as Record<string, unknown>, env) : null;
}

export function sessionsDir(paths: HostPaths, agentId: string): string {
  return path.join(paths.stateDir, "agents", agentId, "sessions");
}

/** What the status object says about the host that was seen. */
export function describeHost(paths: HostPaths, agentId: string): HostInfo {
  const store = path.join(sessionsDir(paths, agentId), "sessions.json");
  if (!existsSync(paths.stateDir)) return { kind: "none", state_dir: null, sessions_store: null };
  return { kind: "clawdbot", state_dir: paths.stateDir, sessions_store: existsSync(store) ? store : null };
}
