import { existsSync, type FSWatcher, watch } from "node:fs";
import path from "node:path";

/**
 * Calls `onChange` when the queue file changes. Its folder is watched, not the file: every
 * write replaces the file by rename. Before the first write created the folder, the nearest
 * folder above it inside the workspace is watched, moving down once the queue's folder appears.
 * Events are raw (a write is a staging file, a rename, a lock folder): callers debounce.
 */
export function watchQueueFile(file: string, root: string, onChange: () => void): () => void {
  const target = path.dirname(file);
  const name = path.basename(file);
  let watcher: FSWatcher | null = null;
  let watching: string | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;

  const arm = (): void => {
    if (stopped) return;
    let dir = target;
    while (!existsSync(dir) && dir !== root && dir.startsWith(root)) dir = path.dirname(dir);
    if (dir === watching) return;
    watcher?.close();
    watching = dir;
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (dir !== target) {
          arm();
          if (watching === target && existsSync(file)) onChange();
          return;
        }
        if (filename === null || filename === name) onChange();
      });
      watcher.on("error", () => {
        // The folder went away (or was replaced): watch again from whatever exists now.
        watching = null;
        retry = setTimeout(arm, 1000);
        retry.unref();
      });
    } catch {
      watching = null;
    }
  };
  arm();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    watcher?.close();
    watcher = null;
  };
}
