import { resolveInside } from "../base/paths.js";
import type { Policy } from "../policy/schema.js";
import { FileQueueStore } from "../store/file/file-store.js";
import type { QueueStore } from "../store/port.js";
import type { Deps } from "./deps.js";

/**
 * The one place that picks the queue's store for a workspace: today the JSON file under a lock
 * (`queueFile`, resolved inside the workspace). A store never falls back to another one.
 */
export function openStore(
  workspace: string,
  policy: Policy,
  deps: Deps,
  lockStaleMs?: number,
): QueueStore {
  const file = resolveInside(workspace, policy.queueFile, "queueFile");
  const staleFromEnv = Number(deps.env.TASK_MANAGER_LOCK_STALE_MS);
  const staleMs =
    lockStaleMs ?? (Number.isFinite(staleFromEnv) && staleFromEnv > 0 ? staleFromEnv : undefined);
  return new FileQueueStore({
    workspace,
    file,
    now: deps.now,
    ...(staleMs ? { lock: { staleMs } } : {}),
  });
}
