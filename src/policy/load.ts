import { existsSync, readFileSync } from "node:fs";
import { childPath } from "../base/paths.js";
import { TaskManagerError } from "../base/errors.js";
import { DEFAULT_POLICY } from "./defaults.js";
import type { Policy } from "./schema.js";

/** zod is only loaded when there is a config to validate: the idle heartbeat check stays lean. */
async function parsePolicy(raw: unknown, where: string): Promise<Policy> {
  return (await import("./parse.js")).parsePolicy(raw, where);
}

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from, or null when none was found (all defaults). */
  file: string | null;
  /** What the file said, before defaults (plugin mode merges its own config over it). */
  raw: Record<string, unknown>;
}

/**
 * Finds `.taskmanagerrc` (JSON, YAML, .js, .ts, or a `taskmanager` key in package.json) in
 * the workspace itself — no walking up, so a stray rc file above the workspace never applies.
 */
export async function loadPolicyFile(workspace: string): Promise<LoadedPolicy> {
  if (!mightFindConfig(workspace, process.cwd()))
    return { policy: DEFAULT_POLICY, file: null, raw: {} };
  // Loaded only when there may be something to find: it costs ~10 ms of start-up per check.
  const { cosmiconfig } = await import("cosmiconfig");
  const explorer = cosmiconfig("taskmanager", { searchStrategy: "none", cache: false });
  let found: Awaited<ReturnType<typeof explorer.search>>;
  try {
    found = await explorer.search(workspace);
  } catch (err) {
    const file = (err as { filepath?: string }).filepath ?? `${workspace}/.taskmanagerrc`;
    throw new TaskManagerError(
      "E_CONFIG_INVALID",
      `Could not read task-manager config ${file}: ${(err as Error).message}`,
      { file },
    );
  }
  if (!found || found.isEmpty)
    return { policy: DEFAULT_POLICY, file: found?.filepath ?? null, raw: {} };
  const raw =
    found.config !== null && typeof found.config === "object"
      ? (found.config as Record<string, unknown>)
      : {};
  return { policy: await parsePolicy(found.config, found.filepath), file: found.filepath, raw };
}

/** cosmiconfig 9's getDefaultSearchPlaces("taskmanager"); a test keeps this list in step with it. */
export const RC_SEARCH_PLACES = [
  "package.json",
  ".taskmanagerrc",
  ".taskmanagerrc.json",
  ".taskmanagerrc.yaml",
  ".taskmanagerrc.yml",
  ".taskmanagerrc.js",
  ".taskmanagerrc.ts",
  ".taskmanagerrc.cjs",
  ".taskmanagerrc.mjs",
  ".config/taskmanagerrc",
  ".config/taskmanagerrc.json",
  ".config/taskmanagerrc.yaml",
  ".config/taskmanagerrc.yml",
  ".config/taskmanagerrc.js",
  ".config/taskmanagerrc.ts",
  ".config/taskmanagerrc.cjs",
  ".config/taskmanagerrc.mjs",
  "taskmanager.config.js",
  "taskmanager.config.ts",
  "taskmanager.config.cjs",
  "taskmanager.config.mjs",
];

/** cosmiconfig's metaSearchPlaces: read from the current directory, they can add search places. */
export const META_SEARCH_PLACES = [
  "package.json",
  "package.yaml",
  ".config/config.json",
  ".config/config.yaml",
  ".config/config.yml",
  ".config/config.js",
  ".config/config.ts",
  ".config/config.cjs",
  ".config/config.mjs",
];

/**
 * Whether cosmiconfig could find a config: something at one of its places in the workspace, or
 * a meta config in the current directory. A package.json counts only if it has the key (or
 * cannot be parsed, so cosmiconfig reports it as before). When unsure, it answers yes.
 */
export function mightFindConfig(workspace: string, cwd: string): boolean {
  const found = (dir: string, places: readonly string[], packageKey: string): boolean =>
    places.some((place) =>
      place === "package.json"
        ? packageMayHaveKey(childPath(dir, place), packageKey)
        : existsSync(childPath(dir, place)),
    );
  return (
    found(workspace, RC_SEARCH_PLACES, "taskmanager") ||
    found(cwd, META_SEARCH_PLACES, "cosmiconfig")
  );
}

function packageMayHaveKey(file: string, key: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return existsSync(file); // unreadable but present (a folder, no permission): let cosmiconfig decide
  }
  try {
    const data = JSON.parse(text) as unknown;
    return data === null || typeof data !== "object" || Object.hasOwn(data, key);
  } catch {
    return true;
  }
}
