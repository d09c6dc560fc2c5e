import { isObject } from "../base/json.js";
import { PLUGIN_ENTRY_PATH } from "../base/product.js";
import { loadPolicyFile } from "../policy/load.js";
import { parseGatewaySettings, parsePolicy } from "../policy/parse.js";
import { GATEWAY_KEYS, type GatewaySettings, type Policy } from "../policy/schema.js";

export const PLUGIN_CONFIG_PATH = `${PLUGIN_ENTRY_PATH}.config`;

/** Key-by-key merge; nested objects (retry, capture) merge too; arrays are replaced whole. */
export function mergeConfig(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] =
      isObject(value) && isObject(out[key])
        ? mergeConfig(out[key] as Record<string, unknown>, value)
        : value;
  }
  return out;
}

const isGatewayKey = (key: string): boolean => (GATEWAY_KEYS as readonly string[]).includes(key);

/** The plugin config's keys that are one workspace's policy (everything but the gateway's). */
export function policyPart(pluginConfig: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(pluginConfig).filter(([k]) => !isGatewayKey(k)));
}

/** The plugin config's gateway keys, validated; an error names the config path and key. */
export function gatewayPart(pluginConfig: Record<string, unknown>): GatewaySettings {
  return parseGatewaySettings(
    Object.fromEntries(Object.entries(pluginConfig).filter(([k]) => isGatewayKey(k))),
    PLUGIN_CONFIG_PATH,
  );
}

/**
 * Plugin mode's policy: the workspace's `.taskmanagerrc`, with the host's
 * plugins.entries.task-manager.config merged over it — the host config wins key by key, since
 * that is where a gateway operator sets things. Each source is validated on its own first, so
 * an error names the file or the config path it came from.
 */
export async function loadPluginPolicy(
  workspace: string,
  pluginConfig: Record<string, unknown> | undefined,
): Promise<{ policy: Policy; source: string }> {
  const rc = await loadPolicyFile(workspace);
  const over = policyPart(pluginConfig ?? {});
  if (Object.keys(over).length === 0) return { policy: rc.policy, source: rc.file ?? "(defaults)" };
  parsePolicy(over, PLUGIN_CONFIG_PATH);
  const source = rc.file ? `${rc.file} + ${PLUGIN_CONFIG_PATH}` : PLUGIN_CONFIG_PATH;
  return { policy: parsePolicy(mergeConfig(rc.raw, over), source), source };
}
