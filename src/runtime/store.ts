import { resolveInside } from "../base/paths.js";
import type { Policy } from "../policy/schema.js";
import { FileQueueStore } from "../store/file/file-store.js";
import type { QueueStore } from "../store/port.js";
import type { PgSettings } from "../store/postgres/connection.js";
import type { Deps } from "./deps.js";

/** Where a policy puts the queue: the file in the workspace, or a PostgreSQL queue. */
export type StoreChoice =
  | { kind: "file" }
  | { kind: "postgres"; settings: PgSettings; from: string };

/**
 * The policy's `store`, with TASK_MANAGER_DATABASE_URL: an explicit `kind` wins; without one,
 * the variable means PostgreSQL. A store never falls back to another one: a database that
 * cannot be reached is an ERROR, never the file in its place.
 */
export async function storeChoice(policy: Policy, env: NodeJS.ProcessEnv): Promise<StoreChoice> {
  const fromEnv = env.TASK_MANAGER_DATABASE_URL || undefined;
  const kind = policy.store.kind ?? (fromEnv ? "postgres" : "file");
  if (kind === "file") return { kind };
  const url = policy.store.url ?? fromEnv;
  const from = policy.store.url ? "store.url" : "TASK_MANAGER_DATABASE_URL";
  const { checkUrl } = await import("../store/postgres/connection.js");
  if (url === undefined) {
    const { TaskManagerError } = await import("../base/errors.js");
    throw new TaskManagerError(
      "E_CONFIG_INVALID",
      'store.kind is "postgres" but no database is named: set TASK_MANAGER_DATABASE_URL (or store.url) to a postgres://user:password@host:port/database URL.',
      { key: "store.url" },
    );
  }
  checkUrl(url, from);
  const settings = {
    url,
    schema: policy.store.schema,
    queue: policy.store.queue ?? policy.agentId,
    poolSize: policy.store.poolSize,
  };
  return { kind, settings, from };
}

/**
 * Database stores of this process, one per queue: a gateway builds a context every tick, and
 * each would otherwise open a pool of its own. Closed together when the gateway stops.
 */
const shared = new Map<string, QueueStore>();

/** Closes every database store this process opened (plugin stop; tests). */
export async function closeStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((s) => s.close()));
}

/** The one place that picks the queue's store for a workspace. */
export async function openStore(
  workspace: string,
  policy: Policy,
  deps: Deps,
  lockStaleMs?: number,
): Promise<QueueStore> {
  const choice = await storeChoice(policy, deps.env);
  if (choice.kind === "postgres") {
    const s = choice.settings;
    const key = [s.url, s.schema, s.queue, s.poolSize].join("\0");
    let store = shared.get(key);
    if (!store) {
      const { PostgresQueueStore } = await import("../store/postgres/pg-store.js");
      store = new PostgresQueueStore(s, deps.now);
      shared.set(key, store);
    }
    return store;
  }
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

/** The policy as people may see it (doctor, the gateway's status): a database URL without its password. */
export function shownPolicy(policy: Policy): Policy {
  const url = policy.store.url;
  if (url === undefined) return policy;
  let shown = "postgres://(unreadable URL)";
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    shown = u.toString();
  } catch {
    // keep the placeholder
  }
  return { ...policy, store: { ...policy.store, url: shown } };
}
