import { get } from "./json.js";

/**
 * The names task-manager goes by in a host, each written once: the plugin id, how the host's
 * config addresses it, what its manifests and plugin entry say, and its root CLI command.
 */

/** The plugin's id in both hosts (manifests, `plugins.allow`, `plugins.entries.<id>`). */
export const PLUGIN_ID = "task-manager";

/** Where a host config keeps this plugin's entry, as keys and as the path people read. */
export const PLUGIN_ENTRY_KEYS = ["plugins", "entries", PLUGIN_ID] as const;
export const PLUGIN_ENTRY_PATH = PLUGIN_ENTRY_KEYS.join(".");

/** The plugin's one-line description: both manifests and the plugin entry say this. */
export const PLUGIN_DESCRIPTION =
  "Durable auto-resume queue: resumes failed or interrupted sub-agent tasks on the heartbeat, on cheap whitelisted models, without starving the main session.";

/**
 * The root CLI command the plugin adds to the host's CLI (`openclaw task-manager`; Clawdbot's
 * `clawdbot tasks`, which that version does not surface): a queue snapshot, not the full CLI.
 */
export const ROOT_CLI_NAME = { openclaw: "task-manager", clawdbot: "tasks" } as const;
export const ROOT_CLI_DESCRIPTION =
  "task-manager: show the queue (the full CLI is skill/task-manager in the package)";

/** A setting under this plugin's entry in a host config: `pluginSetting(config, "hooks", "x")`. */
export function pluginSetting(hostConfig: unknown, ...keys: string[]): unknown {
  return get(hostConfig, [...PLUGIN_ENTRY_KEYS, ...keys]);
}
