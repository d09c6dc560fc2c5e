import { clawdbotHost } from "../host/clawdbot/adapter.js";
import type { HostConfig } from "../host/host-config.js";
import type { HostLocation } from "../host/locate.js";
import { noHost } from "../host/none.js";
import { openclawHost } from "../host/openclaw/adapter.js";
import type { HostPort } from "../host/port.js";

/** The adapter for the host that was found: the one place that picks between hosts. */
export function hostAdapter(location: HostLocation, config: HostConfig | null, agentId: string): HostPort {
  if (location.kind === "openclaw") return openclawHost(location.stateDir, config, agentId);
  if (location.kind === "clawdbot") return clawdbotHost(location.stateDir, config, agentId);
  return noHost(config);
}
