import type { HostConfig } from "../host/host-config.js";
import type { HostLocation } from "../host/locate.js";
import { noHost } from "../host/none.js";
import type { HostPort } from "../host/port.js";

/**
 * The adapter for the host that was found: the one place that picks between hosts. Each adapter
 * is imported only when its host is the one found, so a CLI check starts the code of one host,
 * not of both (the bundle starts its modules lazily).
 */
export async function hostAdapter(
  location: HostLocation,
  config: HostConfig | null,
  agentId: string,
): Promise<HostPort> {
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
