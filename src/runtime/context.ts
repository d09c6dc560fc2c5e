import type { HostConfig } from "../host/host-config.js";
import { readHostConfig } from "../host/host-config.js";
import { locateHost, type HostLocation } from "../host/locate.js";
import type { HostPort } from "../host/port.js";
import { loadPolicyFile } from "../policy/load.js";
import type { Policy } from "../policy/schema.js";
import { QueueStore } from "../store/queue-store.js";
import { resolveInside } from "../store/safe-path.js";
import { defaultDeps, type Deps } from "./deps.js";
import { hostAdapter } from "./host.js";
import { findWorkspace, type Workspace } from "./workspace.js";

/** Everything one command needs, resolved once. */
export interface Context {
  workspace: Workspace;
  policy: Policy;
  policyFile: string | null;
  store: QueueStore;
  /** Where the host was looked for and what was found (for `doctor`). */
  hostLocation: HostLocation;
  /** The host adapter: every host-specific read goes through it. */
  host: HostPort;
  deps: Deps;
}

export interface ContextOptions {
  workspace?: string;
  /** Replaces the rc-file policy (plugin mode merges its own config first). */
  policy?: Policy;
  /** Where `policy` came from, for messages and `doctor`. */
  policyFile?: string | null;
  /** The host, when the caller knows it (the plugin: the gateway that loaded it). */
  host?: { location: HostLocation; adapter(config: HostConfig | null, agentId: string): HostPort };
  deps?: Partial<Deps>;
  lockStaleMs?: number;
}

export async function createContext(opts: ContextOptions = {}): Promise<Context> {
  const deps = defaultDeps(opts.deps);
  const location = opts.host?.location ?? locateHost(deps.env);
  const hostConfig = readHostConfig(location.configPath, deps.env);
  const workspace = findWorkspace(opts.workspace, deps.env, hostConfig, deps.cwd);
  const loaded = opts.policy
    ? { policy: opts.policy, file: opts.policyFile ?? null }
    : await loadPolicyFile(workspace.dir);
  const file = resolveInside(workspace.dir, loaded.policy.queueFile, "queueFile");
  const staleFromEnv = Number(deps.env.TASK_MANAGER_LOCK_STALE_MS);
  const staleMs =
    opts.lockStaleMs ??
    (Number.isFinite(staleFromEnv) && staleFromEnv > 0 ? staleFromEnv : undefined);
  const store = new QueueStore({
    workspace: workspace.dir,
    file,
    now: deps.now,
    ...(staleMs ? { lock: { staleMs } } : {}),
  });
  const host = opts.host
    ? opts.host.adapter(hostConfig, loaded.policy.agentId)
    : await hostAdapter(location, hostConfig, loaded.policy.agentId);
  return {
    workspace,
    policy: loaded.policy,
    policyFile: loaded.file,
    store,
    hostLocation: location,
    host,
    deps,
  };
}
