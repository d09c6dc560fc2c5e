import { lstatSync, type Stats } from "node:fs";
import path from "node:path";
import { TaskManagerError } from "./errors.js";

/**
 * `path.join(dir, name)` for one plain name (no separators) in a folder: a concatenation. The
 * heartbeat check builds dozens of such paths, and path.join's character-by-character
 * normalization of them was enough for V8 to compile it with TurboFan in every check process.
 */
export const childPath = (dir: string, name: string): string =>
  dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;

// The same reason for the two below: a check asks about the same workspace several times, and
// each path.resolve or path.relative re-normalizes the whole (possibly long) path.
const resolvedFolders = new Map<string, string>();

/** `path.resolve(dir)`, remembered for absolute `dir` (a relative one depends on the cwd). */
function resolveFolder(dir: string): string {
  if (!path.isAbsolute(dir)) return path.resolve(dir);
  let resolved = resolvedFolders.get(dir);
  if (resolved === undefined) {
    resolved = path.resolve(dir);
    resolvedFolders.set(dir, resolved);
  }
  return resolved;
}

/** `path.relative(root, target)` for a resolved `root`; a plain slice when `target` is below it. */
export function relativeTo(root: string, target: string): string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const below = target.startsWith(prefix) ? target.slice(prefix.length) : null;
  // A slice is only the answer when it is already normal (no "", "." or ".." parts).
  return below?.split(path.sep).every((part) => part !== "" && part !== "." && part !== "..")
    ? below
    : path.relative(root, target);
}

/** Resolves `rel` against the workspace and refuses anything that lands outside it. */
export function resolveInside(workspace: string, rel: string, what: string): string {
  if (rel.includes("\0"))
    throw new TaskManagerError(
      "E_UNSAFE_PATH",
      `${what} contains a NUL byte; use a plain relative path inside the workspace.`,
      { path: rel },
    );
  const root = resolveFolder(workspace);
  const full = path.resolve(root, rel);
  const relative = relativeTo(root, full);
  // A ".." segment, not any name starting with "..": "..notes/q.json" is a folder inside.
  const escapes = relative === ".." || relative.startsWith(`..${path.sep}`);
  if (relative === "" || escapes || path.isAbsolute(relative)) {
    throw new TaskManagerError(
      "E_UNSAFE_PATH",
      `${what} "${rel}" resolves to ${full}, outside the workspace ${root}. Use a path inside the workspace, e.g. "memory/pending_tasks.json".`,
      { path: rel, resolved: full, workspace: root },
    );
  }
  return full;
}

/**
 * Refuses symlinks and non-regular entries on the way from the workspace to `target`: a link
 * there could make a queue write land on (and truncate) some other file. Missing is fine.
 */
export function assertNoLinks(workspace: string, target: string, expect: "file" | "dir"): void {
  const root = resolveFolder(workspace);
  const parts = relativeTo(root, target).split(path.sep);
  let current = root;
  for (const [i, part] of parts.entries()) {
    current = childPath(current, part);
    const stat = lstatOrNull(current);
    if (stat === null) return;
    const last = i === parts.length - 1;
    if (stat.isSymbolicLink()) {
      throw new TaskManagerError(
        "E_UNSAFE_PATH",
        `${current} is a symbolic link; task-manager refuses to follow links for its queue. Replace it with a real ${last && expect === "file" ? "file" : "folder"}.`,
        { path: current },
      );
    }
    const ok = last ? (expect === "file" ? stat.isFile() : stat.isDirectory()) : stat.isDirectory();
    if (!ok) {
      throw new TaskManagerError(
        "E_UNSAFE_PATH",
        `${current} is not a regular ${last && expect === "file" ? "file" : "folder"}; move it away so task-manager can use this path.`,
        { path: current },
      );
    }
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
