import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import path from "node:path";
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
 * Config is data. A workspace is written by the agents that run in it, and anything that runs a
 * config file as code (cosmiconfig's default loaders did, for `.js`/`.ts`/`.cjs`/`.mjs`, on every
 * check and inside the gateway) hands code execution in the gateway to whoever can write a
 * file there. So only JSON (read as JSON5: comments and trailing commas allowed), JSON5 and YAML
 * are read, from fixed places in the workspace itself — never above it, never from the current
 * directory. A code config where one used to be loaded is an error naming it, never run and
 * never silently passed over.
 */
type Format = "package" | "yaml" | "json5";

/**
 * Where a config is read from, first found wins: cosmiconfig 9's search places in its order
 * (a test keeps them in step), data forms only, plus the `.json5` forms.
 */
export const DATA_PLACES: ReadonlyArray<readonly [place: string, format: Format]> = [
  ["package.json", "package"],
  [".taskmanagerrc", "yaml"],
  [".taskmanagerrc.json", "json5"],
  [".taskmanagerrc.json5", "json5"],
  [".taskmanagerrc.yaml", "yaml"],
  [".taskmanagerrc.yml", "yaml"],
  [".config/taskmanagerrc", "yaml"],
  [".config/taskmanagerrc.json", "json5"],
  [".config/taskmanagerrc.json5", "json5"],
  [".config/taskmanagerrc.yaml", "yaml"],
  [".config/taskmanagerrc.yml", "yaml"],
];

/** cosmiconfig's code search places in the workspace: an error if present, never loaded. */
export const CODE_PLACES = [
  ".taskmanagerrc.js",
  ".taskmanagerrc.ts",
  ".taskmanagerrc.cjs",
  ".taskmanagerrc.mjs",
  ".config/taskmanagerrc.js",
  ".config/taskmanagerrc.ts",
  ".config/taskmanagerrc.cjs",
  ".config/taskmanagerrc.mjs",
  "taskmanager.config.js",
  "taskmanager.config.ts",
  "taskmanager.config.cjs",
  "taskmanager.config.mjs",
];

/**
 * cosmiconfig's meta config, which it read from the current directory whatever the workspace
 * (and, for the code forms, ran). The code forms are an error; the data forms are looked at only
 * to refuse a `taskmanager` key in them, which used to configure task-manager from there.
 */
export const META_CODE_PLACES = [
  ".config/config.js",
  ".config/config.ts",
  ".config/config.cjs",
  ".config/config.mjs",
];
export const META_DATA_PLACES: ReadonlyArray<
  readonly [place: string, format: Format, metaOnlyWithKey: boolean]
> = [
  // A package file was a meta config only with a `cosmiconfig` key; the others whatever they held.
  ["package.json", "package", true],
  ["package.yaml", "yaml", true],
  [".config/config.json", "json5", false],
  [".config/config.yaml", "yaml", false],
  [".config/config.yml", "yaml", false],
];

/** A config this large is not a policy; refusing it keeps a planted huge file from stalling a check. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads the policy from the workspace's `.taskmanagerrc` (or another data place, or the
 * `taskmanager` key of its package.json). `cwd` is where cosmiconfig used to look for its meta
 * config (the process's current directory).
 */
export async function loadPolicyFile(
  workspace: string,
  cwd: string = process.cwd(),
): Promise<LoadedPolicy> {
  refuseCodeConfigs(workspace, cwd);
  refuseMetaConfig(cwd, workspace);
  for (const [place, format] of DATA_PLACES) {
    const file = childPath(workspace, place);
    const text = readConfigText(file);
    if (text === null) continue;
    const data = parseConfig(text, format, file, "taskmanager");
    // Empty, comments only, or a package.json without the key: not a config (as cosmiconfig).
    if (data === undefined || data === null) continue;
    const raw = typeof data === "object" ? (data as Record<string, unknown>) : {};
    return { policy: await parsePolicy(data, file), file, raw };
  }
  return { policy: DEFAULT_POLICY, file: null, raw: {} };
}

function refuseCodeConfigs(workspace: string, cwd: string): void {
  for (const place of CODE_PLACES) {
    const file = childPath(workspace, place);
    if (exists(file)) throw codeConfig(file, workspace);
  }
  for (const place of META_CODE_PLACES) {
    const file = childPath(cwd, place);
    if (exists(file)) throw codeConfig(file, workspace, true);
  }
}

function codeConfig(file: string, workspace: string, meta = false): TaskManagerError {
  const where = meta
    ? "cosmiconfig's meta config in the current directory, which earlier versions ran on every check"
    : "a code config, which earlier versions ran on every check (and inside the gateway)";
  return new TaskManagerError(
    "E_CONFIG_CODE",
    `${file} is ${where}. task-manager no longer runs config files: any program that can write a file there could run code as task-manager. It was not run. Write the settings it exported as data in ${childPath(workspace, ".taskmanagerrc.json")} (JSON) or .taskmanagerrc.yaml, then delete or rename ${file}${meta ? " (or run task-manager from another directory)" : ""}.`,
    { file },
  );
}

/** A data meta config in the current directory that still carries task-manager settings. */
function refuseMetaConfig(cwd: string, workspace: string): void {
  for (const [place, format, metaOnlyWithKey] of META_DATA_PLACES) {
    // The workspace's own package.json is read as a data place already.
    if (place === "package.json" && path.resolve(cwd) === path.resolve(workspace)) continue;
    const file = childPath(cwd, place);
    const text = readConfigText(file, true);
    if (text === null) continue;
    let data: unknown;
    try {
      data = parseConfig(text, format, file, null);
    } catch {
      continue; // another tool's file we cannot parse: none of our business
    }
    if (metaOnlyWithKey && field(data, "cosmiconfig") === undefined) continue;
    if (field(data, "taskmanager") === undefined) continue;
    throw new TaskManagerError(
      "E_CONFIG_INVALID",
      `${file} has a "taskmanager" key, which cosmiconfig used to read as task-manager's config from the current directory. task-manager now reads its config from the workspace only; move those settings to ${childPath(workspace, ".taskmanagerrc.json")} and remove the key from ${file}.`,
      { file, key: "taskmanager" },
    );
  }
}

const field = (data: unknown, key: string): unknown =>
  data !== null && typeof data === "object" && !Array.isArray(data)
    ? (data as Record<string, unknown>)[key]
    : undefined;

/** Present at all (a directory, a FIFO, a file we may not read, a link to any of them). */
function exists(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    // ENOTDIR: a parent is a file, so nothing is there. Anything else (EACCES on the folder):
    // something may be there that we cannot see, and a config that may exist is not ignored.
    return (err as NodeJS.ErrnoException).code !== "ENOTDIR";
  }
}

/**
 * A config file's text, or null when there is none. One that exists but cannot be read (no
 * permission, a directory, a FIFO, too large) is an error naming it: silently reading the
 * defaults instead would drop the user's whitelist without a word. `lenient`: another tool's
 * file (the meta config places), where unreadable means "not ours".
 */
function readConfigText(file: string, lenient = false): string | null {
  let stat: Stats | undefined;
  try {
    stat = statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR" || lenient) return null;
    throw unreadable(file, err);
  }
  if (stat === undefined) return null;
  if (!stat.isFile()) {
    if (lenient) return null;
    throw unreadable(file, `it is ${stat.isDirectory() ? "a directory" : "not a regular file"}`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in after the stat cannot hang the check.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (lenient) return null;
    throw unreadable(file, err);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_CONFIG_BYTES) {
      if (lenient) return null;
      throw unreadable(file, `it is ${size} bytes, above the ${MAX_CONFIG_BYTES}-byte limit`);
    }
    return readFileSync(fd, "utf8");
  } catch (err) {
    if (err instanceof TaskManagerError) throw err;
    if (lenient) return null;
    throw unreadable(file, err);
  } finally {
    closeSync(fd);
  }
}

function unreadable(file: string, why: unknown): TaskManagerError {
  const reason =
    typeof why === "string"
      ? why
      : `${(why as NodeJS.ErrnoException).code ?? "error"}: ${(why as Error).message}`;
  return new TaskManagerError(
    "E_CONFIG_UNREADABLE",
    `task-manager config ${file} exists but cannot be read (${reason}). It was not replaced by the defaults: make it a readable file (for the user task-manager runs as), or move it away to use the defaults.`,
    { file },
  );
}

/** Plain JSON first: json5 is only loaded for a file that needs it (comments, trailing commas). */
function parseJson5(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return (requireModule("json5") as { parse(text: string): unknown }).parse(text);
  }
}

const requireModule = (name: string): unknown =>
  process.getBuiltinModule("node:module").createRequire(import.meta.url)(name);

/**
 * Parses config text as data; undefined when it holds nothing (empty, comments only, or a
 * package.json without `packageKey`). YAML with js-yaml's default schema (no JavaScript types);
 * JSON5 for JSON (a superset). Both are loaded only when such a file exists.
 */
function parseConfig(
  text: string,
  format: Format,
  file: string,
  packageKey: string | null,
): unknown {
  if (text.trim() === "") return undefined;
  try {
    if (format === "yaml") {
      const yaml = requireModule("js-yaml") as { load(text: string, o: object): unknown };
      return yaml.load(text, { filename: file });
    }
    const data = format === "package" ? JSON.parse(text) : parseJson5(text);
    return format === "package" && packageKey !== null ? field(data, packageKey) : data;
  } catch (err) {
    throw new TaskManagerError(
      "E_CONFIG_INVALID",
      `Could not read task-manager config ${file}: ${format === "yaml" ? "YAML" : "JSON"} error: ${(err as Error).message}`,
      { file },
    );
  }
}
