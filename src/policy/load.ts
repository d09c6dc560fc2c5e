import { cosmiconfig } from "cosmiconfig";
import type { z } from "zod";
import { TaskManagerError } from "../core/errors.js";
import { policySchema, type Policy } from "./schema.js";

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from, or null when none was found (all defaults). */
  file: string | null;
  /** What the file said, before defaults (plugin mode merges its own config over it). */
  raw: Record<string, unknown>;
}

/** Validates raw policy input; errors name the file, the key and what was expected. */
export function parsePolicy(raw: unknown, where: string): Policy {
  const result = policySchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new TaskManagerError("E_CONFIG_INVALID", formatIssues(result.error.issues, where), {
    file: where,
    keys: result.error.issues.map((i) => keyOf(i)),
  });
}

function keyOf(issue: z.core.$ZodIssue): string {
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") return issue.keys.map((k) => (base ? `${base}.${k}` : k)).join(", ");
  return base || "(top level)";
}

function formatIssues(issues: z.core.$ZodIssue[], where: string): string {
  const lines = issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown key ${keyOf(issue)} (check the spelling; see INTEGRATION.md for the keys)`;
    return `key "${keyOf(issue)}": ${issue.message}`;
  });
  return `Invalid task-manager config in ${where}: ${lines.join("; ")}.`;
}

/**
 * Finds `.taskmanagerrc` (JSON, YAML, .js, .ts, or a `taskmanager` key in package.json) in
 * the workspace itself — no walking up, so a stray rc file above the workspace never applies.
 */
export async function loadPolicyFile(workspace: string): Promise<LoadedPolicy> {
  const explorer = cosmiconfig("taskmanager", { searchStrategy: "none", cache: false });
  let found: Awaited<ReturnType<typeof explorer.search>>;
  try {
    found = await explorer.search(workspace);
  } catch (err) {
    const file = (err as { filepath?: string }).filepath ?? `${workspace}/.taskmanagerrc`;
    throw new TaskManagerError("E_CONFIG_INVALID", `Could not read task-manager config ${file}: ${(err as Error).message}`, { file });
  }
  if (!found || found.isEmpty) return { policy: parsePolicy({}, found?.filepath ?? "(defaults)"), file: found?.filepath ?? null, raw: {} };
  const raw = found.config !== null && typeof found.config === "object" ? (found.config as Record<string, unknown>) : {};
  return { policy: parsePolicy(found.config, found.filepath), file: found.filepath, raw };
}
