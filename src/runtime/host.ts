import type { HostConfig } from "../host/host-config.js";
import type { GatewayAddress } from "../host/gateway-client.js";
import type { HostKind, HostLocation } from "../host/locate.js";
import { noHost } from "../host/none.js";
import type { HostPort, Spawner } from "../host/port.js";
import type { SubagentRun } from "../host/openclaw/spawner.js";

/**
 * The one place that maps a host to its code: the adapter that reads its records, and (in a
 * gateway) the spawner that starts its runs. Each host's modules are imported only when that
 * host is the one in use, so a CLI check starts the code of one host, not of both (the bundle
 * starts its modules lazily).
 */

/** A host adapter; the OpenClaw one holds database handles until closed. */
export type HostAdapter = HostPort & { close?(): void };

export async function hostAdapter(
  location: HostLocation,
  config: HostConfig | null,
  agentId: string,
): Promise<HostAdapter> {
  if (location.kind === "openclaw")
    return (await import("../host/openclaw/adapter.js")).openclawHost(
      location.stateDir,
      config,
      agentId,
    );
  if (location.kind === "clawdbot")
    return (await import("../host/clawdbot/adapter.js")).clawdbotHost(
      location.stateDir,
      config,
      agentId,
    );
  return noHost(config);
}

/**
 * Which host's gateway loaded the plugin, from what its plugin runtime offers: OpenClaw's has an
 * in-process sub-agent API (`runtime.subagent.run`), Clawdbot's has none.
 */
export function gatewayHostKind(runtime: { subagent?: { run?: unknown } } | undefined): HostKind {
  return typeof runtime?.subagent?.run === "function" ? "openclaw" : "clawdbot";
}

/** What a gateway gives task-manager to start runs with, per host. */
export type RunAccess =
  | {
      kind: "openclaw";
      run: SubagentRun;
      /** The operator's opt-in to pinned models (see host-setup.ts). */
      permitted(): { ok: true } | { ok: false; message: string };
    }
  | { kind: "clawdbot"; address(): GatewayAddress };

/** A spawner that releases what it holds (Clawdbot's WebSocket) on close. */
export type HostSpawner = Spawner & { close(): void };

export async function hostSpawner(access: RunAccess): Promise<HostSpawner> {
  if (access.kind === "openclaw") {
    const { SubagentSpawner } = await import("../host/openclaw/spawner.js");
    return Object.assign(new SubagentSpawner(access.run, access.permitted), { close() {} });
  }
  const { GatewaySpawner } = await import("../host/clawdbot/spawner.js");
  return new GatewaySpawner(access.address);
}
