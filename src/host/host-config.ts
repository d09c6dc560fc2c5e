import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { get } from "../base/json.js";

/** The parts of a host config task-manager reads; both hosts use the same keys. */
export interface HostConfig {
  /** The config file it came from. */
  file: string;
  raw: Record<string, unknown>;
  workspace: string | null;
  heartbeatEvery: string | null;
  gatewayPort: number | null;
  gatewayToken: string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

export function expandHome(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return p === "~" || p.startsWith("~/") ? path.join(env.HOME || os.homedir(), p.slice(1)) : p;
}

/** Interprets an already-parsed host config object. */
export function interpretHostConfig(
  raw: Record<string, unknown>,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): HostConfig {
  const workspace = str(get(raw, ["agents", "defaults", "workspace"]));
  const port = get(raw, ["gateway", "port"]);
  return {
    file,
    raw,
    workspace: workspace ? path.resolve(expandHome(workspace, env)) : null,
    heartbeatEvery: str(get(raw, ["agents", "defaults", "heartbeat", "every"])),
    gatewayPort: typeof port === "number" ? port : null,
    gatewayToken: str(get(raw, ["gateway", "auth", "token"])),
  };
}

/**
 * Reads a host config, or null when there is none. Both hosts write JSON but accept JSON5
 * (comments, trailing commas); json5 is only loaded when plain JSON fails, to keep start-up fast.
 */
export function readHostConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): HostConfig | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    try {
      const json5 = process.getBuiltinModule("node:module").createRequire(import.meta.url)(
        "json5",
      ) as { parse: (t: string) => unknown };
      raw = json5.parse(text);
    } catch {
      return null;
    }
  }
  return raw !== null && typeof raw === "object"
    ? interpretHostConfig(raw as Record<string, unknown>, file, env)
    : null;
}
