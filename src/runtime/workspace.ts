import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TaskManagerError } from "../base/errors.js";
import type { HostConfig } from "../host/host-config.js";

export interface Workspace {
  dir: string;
  /** How it was found, for `doctor` and error messages. */
  source:
    | "--workspace"
    | "TASK_MANAGER_WORKSPACE"
    | "host config"
    | "skill folder"
    | "current directory";
}

/** The package root (two levels above dist/runtime/). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Finds the workspace, first match wins: --workspace; TASK_MANAGER_WORKSPACE; the host's
 * agents.defaults.workspace; the folder two levels up when installed at <ws>/skills/task-manager;
 * else the current directory.
 */
export function findWorkspace(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  host: HostConfig | null,
  cwd: string,
): Workspace {
  if (flag) return checked(path.resolve(cwd, flag), "--workspace");
  if (env.TASK_MANAGER_WORKSPACE)
    return checked(path.resolve(cwd, env.TASK_MANAGER_WORKSPACE), "TASK_MANAGER_WORKSPACE");
  if (host?.workspace && existsSync(host.workspace)) return checked(host.workspace, "host config");
  if (path.basename(path.dirname(PACKAGE_ROOT)) === "skills")
    return checked(path.dirname(path.dirname(PACKAGE_ROOT)), "skill folder");
  return checked(cwd, "current directory");
}

function checked(dir: string, source: Workspace["source"]): Workspace {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new TaskManagerError(
      "E_WORKSPACE",
      `Workspace ${dir} (from ${source}) is not a folder. Pass --workspace DIR or set TASK_MANAGER_WORKSPACE.`,
      { dir, source },
    );
  }
  return { dir, source };
}
