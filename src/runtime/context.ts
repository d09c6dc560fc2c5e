import path from "node:path";
import type { HostInfo } from "../core/status.js";
import { describeHost, hostPaths, readHostConfig, sessionsDir, type HostConfig, type HostPaths } from "../host/host-config.js";
import { loadPolicyFile } from "../policy/load.js";
import type { Policy } from "../policy/schema.js";
import { readSessionsStore, type SessionsStore } from "../host/sessions.js";
import { QueueStore } from "../store/queue-store.js";
import { resolveInside } from "../store/safe-path.js";
import { defaultDeps, type Deps } from "./deps.js";
import { findWorkspace, type Workspace } from "./workspace.js";

/** Everything one command needs, resolved once. */
export interface Context {
  workspace: Workspace;
  policy: Policy;
  policyFile: string | null;
  store: QueueStore;
  hostPaths: HostPaths;
  hostConfig: HostConfig | null;
  host: HostInfo;
  sessionsDir: string;
  deps: Deps;
}

export interface ContextOptions {
  workspace?: string;
  /** Replaces the rc-file policy (plugin mode merges its own config first). */
  policy?: Policy;
  /** Where `policy` came from, for messages and `doctor`. */
  policyFile?: string | null;
  deps?: Partial<Deps>;
  lockStaleMs?: number;
}

export async function createContext(opts: ContextOptions = {}): Promise<Context> {
  const deps = defaultDeps(opts.deps);
  const paths = hostPaths(deps.env);
  const hostConfig = readHostConfig(paths, deps.env);
  const workspace = findWorkspace(opts.workspace, deps.env, hostConfig, deps.cwd);
  const loaded = opts.policy ? { policy: opts.policy, file: opts.policyFile ?? null } : await loadPolicyFile(workspace.dir);
  const file = resolveInside(workspace.dir, loaded.policy.queueFile, "queueFile");
  const staleFromEnv = Number(deps.env.TASK_MANAGER_LOCK_STALE_MS);
  const staleMs = opts.lockStaleMs ?? (Number.isFinite(staleFromEnv) && staleFromEnv > 0 ? staleFromEnv : undefined);
  const store = new QueueStore({ workspace: workspace.dir, file, now: deps.now, ...(staleMs ? { lock: { staleMs } } : {}) });
  return {
    workspace,
    policy: loaded.policy,
    policyFile: loaded.file,
    store,
    hostPaths: paths,
    hostConfig,
    host: describeHost(paths, loaded.policy.agentId),
    sessionsDir: sessionsDir(paths, loaded.policy.agentId),
    deps,
  };
}

export const sessionsStorePath = (ctx: Context): string => path.join(ctx.sessionsDir, "sessions.json");

/** The host's sessions store, or null when no host was found (zero sessions). */
export function readHostSessions(ctx: Context): Promise<SessionsStore | null> {
  return ctx.host.kind === "none" ? Promise.resolve(null) : readSessionsStore(sessionsStorePath(ctx));
}
