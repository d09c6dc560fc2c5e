import { DEFAULT_POLICY, policyJsonSchema } from "./schema.js";

/**
 * Files generated from the policy schema, so they cannot drift from it (a test compares them):
 * the JSON Schema, a complete example rc file with every default, and the plugin manifest.
 */
export function generatedArtifacts(version: string): Record<string, string> {
  const schema = policyJsonSchema();
  const manifest = {
    id: "task-manager",
    name: "task-manager",
    description: "Durable auto-resume queue: dispatches queued agent tasks on cheap models on the heartbeat, tracks runs by transcript, captures failed runs.",
    version,
    configSchema: schema,
  };
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    "config/policy.schema.json": json({ $schema: "http://json-schema.org/draft-07/schema#", title: "task-manager policy (.taskmanagerrc)", ...schema }),
    "config/taskmanagerrc.example.json": json(DEFAULT_POLICY),
    "clawdbot.plugin.json": json(manifest),
  };
}
