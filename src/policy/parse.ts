import type { z } from "zod";
import { TaskManagerError } from "../base/errors.js";
import { gatewaySchema, policySchema, type GatewaySettings, type Policy } from "./schema.js";

/** Validates raw policy input; errors name the file, the key and what was expected. */
export function parsePolicy(raw: unknown, where: string): Policy {
  const result = policySchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new TaskManagerError("E_CONFIG_INVALID", formatIssues(result.error.issues, where), {
    file: where,
    keys: result.error.issues.map((i) => keyOf(i)),
  });
}

/** Validates the plugin config's gateway keys (agents, gatewayMaxConcurrent, holdGroups). */
export function parseGatewaySettings(raw: unknown, where: string): GatewaySettings {
  const result = gatewaySchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new TaskManagerError("E_CONFIG_INVALID", formatIssues(result.error.issues, where), {
    file: where,
    keys: result.error.issues.map((i) => keyOf(i)),
  });
}

function keyOf(issue: z.core.$ZodIssue): string {
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys")
    return issue.keys.map((k) => (base ? `${base}.${k}` : k)).join(", ");
  return base || "(top level)";
}

function formatIssues(issues: z.core.$ZodIssue[], where: string): string {
  const lines = issues.map((issue) => {
    if (issue.code === "unrecognized_keys")
      return `unknown key ${keyOf(issue)} (check the spelling; see INTEGRATION.md for the keys)`;
    return `key "${keyOf(issue)}": ${issue.message}`;
  });
  return `Invalid task-manager config in ${where}: ${lines.join("; ")}.`;
}
