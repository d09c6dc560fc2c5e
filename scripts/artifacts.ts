import {
  PLUGIN_DESCRIPTION,
  PLUGIN_ID,
  ROOT_CLI_DESCRIPTION,
  ROOT_CLI_NAME,
} from "../src/base/product.js";
import { DEFAULT_POLICY, pluginConfigJsonSchema, policyJsonSchema } from "../src/policy/schema.js";

/**
 * The schema without `default`s. OpenClaw fills a manifest schema's defaults into
 * api.pluginConfig, so every key would look operator-set and override `.taskmanagerrc`; the
 * defaults are task-manager's own and stay in the descriptions and INTEGRATION.md.
 */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== "default")
      .map(([k, v]) => [k, withoutDefaults(v)]),
  );
}

/** OpenClaw's manifest: discovery, the tool it may register, its root CLI command, start at boot. */
function openclawManifest(
  version: string,
  schema: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: PLUGIN_ID,
    name: PLUGIN_ID,
    description: PLUGIN_DESCRIPTION,
    version,
    // One catalog slug (ClawHub takes one; the list is in OpenClaw's docs/plugins/manifest.md):
    // coordinating agents and delegating work.
    categories: ["agent-orchestration"],
    activation: { onStartup: true },
    contracts: { tools: ["task_queue"] },
    // `openclaw tasks` and `/tasks` belong to the host's task ledger: ours are named apart.
    cliCommands: [
      {
        name: ROOT_CLI_NAME.openclaw,
        description: ROOT_CLI_DESCRIPTION,
        hasSubcommands: false,
      },
    ],
    configSchema: withoutDefaults(schema),
  };
}

/**
 * Files generated from the policy schema, so they cannot drift from it (a test compares them):
 * the JSON Schema, a complete example rc file with every default, and both hosts' manifests.
 */
export function generatedArtifacts(version: string): Record<string, string> {
  const schema = policyJsonSchema();
  // The plugin's config takes every policy key plus the gateway's (agents, caps, hold groups).
  const plugin = pluginConfigJsonSchema();
  const clawdbot = {
    id: PLUGIN_ID,
    name: PLUGIN_ID,
    description: PLUGIN_DESCRIPTION,
    version,
    configSchema: plugin,
  };
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    "config/policy.schema.json": json({
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "task-manager policy (.taskmanagerrc)",
      ...schema,
    }),
    "config/taskmanagerrc.example.json": json(DEFAULT_POLICY),
    "clawdbot.plugin.json": json(clawdbot),
    "openclaw.plugin.json": json(openclawManifest(version, plugin)),
  };
}
