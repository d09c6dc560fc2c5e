import { isObject } from "../base/json.js";
import { pluginSetting } from "../base/product.js";
import type { HostKind } from "../host/locate.js";
import { gatewayRoster, type RosterAgent } from "../host/roster.js";
import type { GatewaySettings } from "../policy/schema.js";
import type { PluginApi } from "./host-api.js";
import { mainSessionKey } from "./main-activity.js";
import { gatewayPart } from "./policy.js";

/** What the operator really set in plugins.entries.task-manager.config (OpenClaw fills schema defaults into api.pluginConfig). */
export function operatorConfig(api: PluginApi): Record<string, unknown> {
  const config = pluginSetting(api.config, "config");
  return isObject(config) ? config : {};
}

/** An agent of the gateway that the plugin serves. */
export interface ServedAgent extends RosterAgent {
  /** Its main session: `agent:<id>:<session.mainKey>`. */
  mainKey: string;
}

export interface GatewayAgents {
  served: ServedAgent[];
  /** Every agent the gateway is configured with (for doctor and the page). */
  roster: RosterAgent[];
  gateway: GatewaySettings;
  /** What the operator should know: ids in `agents` the gateway does not have, a bad setting. */
  warnings: string[];
}

/**
 * The agents the plugin serves: every agent of the gateway (OpenClaw `agents.entries`, legacy
 * `agents.list`; Clawdbot `agents.list`; none configured: "main"), or the operator's `agents`
 * (a legacy `agentId` alone in the plugin config means that one agent). Each agent's workspace
 * comes from the host itself where it offers a resolver (OpenClaw's
 * `runtime.agent.resolveAgentWorkspaceDir`), else from the same rules (host/roster.ts).
 */
export function gatewayAgents(api: PluginApi, kind: HostKind, stateDir: string): GatewayAgents {
  const warnings: string[] = [];
  const config = operatorConfig(api);
  let gateway: GatewaySettings = {};
  try {
    gateway = gatewayPart(config);
  } catch (err) {
    warnings.push(`${(err as Error).message} Serving every agent with no gateway-wide cap set.`);
  }
  const resolve = api.runtime?.agent?.resolveAgentWorkspaceDir;
  const roster = gatewayRoster(kind, api.config, stateDir).map((a) => {
    if (typeof resolve !== "function") return a;
    try {
      const ws = resolve(api.config, a.id);
      return typeof ws === "string" && ws !== "" ? { ...a, workspace: ws } : a;
    } catch {
      return a;
    }
  });
  const wanted =
    gateway.agents ?? (typeof config.agentId === "string" ? [config.agentId] : undefined);
  const served: ServedAgent[] = [];
  for (const agent of roster)
    if (!wanted || wanted.some((w) => w.toLowerCase() === agent.id))
      served.push({ ...agent, mainKey: mainSessionKey(api.config, agent.id) });
  for (const id of wanted ?? [])
    if (!roster.some((a) => a.id === id.toLowerCase()))
      warnings.push(
        `agent "${id}" in plugins.entries.task-manager.config.agents is not configured on this gateway (it has ${roster.map((a) => a.id).join(", ") || "none"}); skipped.`,
      );
  return { served, roster, gateway, warnings };
}
