import type { HostConfig } from "../host/host-config.js";
import { readHostConfig } from "../host/host-config.js";
import { locateHost, type HostLocation } from "../host/locate.js";
import type { HostPort } from "../host/port.js";
import { loadPolicyFile } from "../policy/load.js";
import type { Policy } from "../policy/schema.js";
import type { QueueStore } from "../store/port.js";
import { defaultDeps, type Deps } from "./deps.js";
import { hostAdapter } from "./host.js";
import { openStore } from "./store.js";
import { gatewayIdentity, type GatewayIdentity } from "./identity.js";
import { findWorkspace, type Workspace } from "./workspace.js";

/** Everything one command needs, resolved once. */
export interface Context {
  workspace: Workspace;
  policy: Policy;
  policyFile: string | null;
  store: QueueStore;
  /** Who this host is to a store several gateways share; null for the file store. */
  gateway: GatewayIdentity | null;
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
  host?: {
    location: HostLocation;
    adapter(config: HostConfig | null, agentId: string): Promise<HostPort>;
  };
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
    : await loadPolicyFile(workspace.dir, deps.cwd);
  const store = await openStore(workspace.dir, loaded.policy, deps, opts.lockStaleMs);
  const gateway = store.gateways ? gatewayIdentity(location, workspace.dir, deps.env) : null;
  const host = opts.host
    ? await opts.host.adapter(hostConfig, loaded.policy.agentId)
    : await hostAdapter(location, hostConfig, loaded.policy.agentId);
  return {
    workspace,
    policy: loaded.policy,
    policyFile: loaded.file,
    store,
    gateway,
    hostLocation: location,
    host,
    deps,
  };
}
