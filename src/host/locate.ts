import { existsSync } from "node:fs";
import os from "node:os";

export type HostKind = "openclaw" | "clawdbot";

/** Where a host keeps its state and config, and how that was decided (for `doctor`). */
export interface HostLocation {
  /** null: no host state found (zero sessions assumed). */
  kind: HostKind | null;
  stateDir: string;
  configPath: string;
  source: string;
}

/** OpenClaw keeps its state in SQLite; a legacy `~/.clawdbot` it has taken over holds these. */
const holdsOpenClawState = (dir: string): boolean =>
  existsSync(`${dir}/state/openclaw.sqlite`) || existsSync(`${dir}/openclaw.json`);

/** OpenClaw reads openclaw.json, else a legacy clawdbot.json, in its state dir. */
function openclawConfig(stateDir: string, env: NodeJS.ProcessEnv): string {
  if (env.OPENCLAW_CONFIG_PATH) return env.OPENCLAW_CONFIG_PATH;
  const legacy = `${stateDir}/clawdbot.json`;
  return !existsSync(`${stateDir}/openclaw.json`) && existsSync(legacy)
    ? legacy
    : `${stateDir}/openclaw.json`;
}

function at(
  kind: HostKind,
  stateDir: string,
  env: NodeJS.ProcessEnv,
  source: string,
): HostLocation {
  const configPath =
    kind === "openclaw"
      ? openclawConfig(stateDir, env)
      : env.CLAWDBOT_CONFIG_PATH || `${stateDir}/clawdbot.json`;
  return { kind: existsSync(stateDir) ? kind : null, stateDir, configPath, source };
}

/**
 * Finds the host the way the hosts find themselves. OpenClaw (primary): `$OPENCLAW_STATE_DIR`,
 * else `~/.openclaw` if it exists, else a legacy `~/.clawdbot` if it exists; it ignores
 * `CLAWDBOT_*`. Clawdbot (legacy): `$CLAWDBOT_STATE_DIR`, else `~/.clawdbot`. A `~/.clawdbot`
 * holding OpenClaw's SQLite state belongs to OpenClaw (it was upgraded in place).
 */
export function locateHost(env: NodeJS.ProcessEnv = process.env): HostLocation {
  if (env.OPENCLAW_STATE_DIR)
    return at("openclaw", env.OPENCLAW_STATE_DIR, env, "OPENCLAW_STATE_DIR");
  if (env.CLAWDBOT_STATE_DIR)
    return at("clawdbot", env.CLAWDBOT_STATE_DIR, env, "CLAWDBOT_STATE_DIR");
  const home = env.HOME || os.homedir();
  if (existsSync(`${home}/.openclaw`))
    return at("openclaw", `${home}/.openclaw`, env, "~/.openclaw");
  const legacy = `${home}/.clawdbot`;
  if (existsSync(legacy))
    return holdsOpenClawState(legacy)
      ? at("openclaw", legacy, env, "~/.clawdbot (OpenClaw state)")
      : at("clawdbot", legacy, env, "~/.clawdbot");
  if (env.OPENCLAW_CONFIG_PATH)
    return at("openclaw", `${home}/.openclaw`, env, "OPENCLAW_CONFIG_PATH");
  return {
    kind: null,
    stateDir: `${home}/.openclaw`,
    configPath: `${home}/.openclaw/openclaw.json`,
    source: "none found",
  };
}

/**
 * Where the gateway that loaded the plugin keeps its state, as that gateway resolves it: the
 * folder it names, else where it would look. Clawdbot's is its kind even before the folder exists.
 */
export function locateGateway(
  kind: HostKind,
  stateDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HostLocation {
  const source = "the gateway that loaded the plugin";
  if (kind === "openclaw")
    return stateDir ? at("openclaw", stateDir, env, source) : locateHost(env);
  const dir = stateDir ?? env.CLAWDBOT_STATE_DIR ?? `${env.HOME || os.homedir()}/.clawdbot`;
  return { ...at("clawdbot", dir, env, source), kind };
}
