import { clawdbotHost } from "../host/clawdbot/adapter.js";
import { GatewaySpawner } from "../host/clawdbot/spawner.js";
import type { GatewayAddress } from "../host/gateway-client.js";
import { interpretHostConfig } from "../host/host-config.js";
import type { HostLocation } from "../host/locate.js";
import { gatewayPort } from "./gateway-port.js";
import type { PluginApi } from "./host-api.js";
import type { HostWiring } from "./wiring.js";

/** The gateway's own address: the running gateway exports its port and token to its env. */
function gatewayAddress(config: Record<string, unknown>): GatewayAddress {
  const host = interpretHostConfig(config, "(gateway config)");
  return {
    url: `ws://127.0.0.1:${gatewayPort("clawdbot", config)}`,
    token: process.env.CLAWDBOT_GATEWAY_TOKEN || host.gatewayToken,
  };
}

/**
 * Clawdbot 2026.1: runs are started over the gateway's own WebSocket (there is no in-process
 * API for gateway methods), sessions are read from files.
 */
export function clawdbotWiring(api: PluginApi): HostWiring {
  const spawner = new GatewaySpawner(() => gatewayAddress(api.config));
  return {
    kind: "clawdbot",
    location(stateDir): HostLocation {
      const dir = stateDir ?? process.env.CLAWDBOT_STATE_DIR ?? `${process.env.HOME}/.clawdbot`;
      return {
        kind: "clawdbot",
        stateDir: dir,
        configPath: process.env.CLAWDBOT_CONFIG_PATH || `${dir}/clawdbot.json`,
        source: "the gateway that loaded the plugin",
      };
    },
    adapter: (location, config, agentId) => clawdbotHost(location.stateDir, config, agentId),
    spawner,
    runStartHook: "before_agent_start",
    commandName: "tasks",
    cliName: "tasks",
    close: () => spawner.close(),
  };
}
