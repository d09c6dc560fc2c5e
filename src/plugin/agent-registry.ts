import { createContext, type Context } from "../runtime/context.js";
import { gatewayAgents, operatorConfig, type GatewayAgents, type ServedAgent } from "./agents.js";
import type { PluginApi } from "./host-api.js";
import type { HostWiring } from "./host-wiring.js";
import type { MainActivity } from "./main-activity.js";
import { loadPluginPolicy } from "./policy.js";
import { sharedMainActivity } from "./process-state.js";

/** How long a main session counts as busy without an agent_end (the host skips it after a failed model call). */
const MAIN_STALE_MS = 30 * 60_000;

/**
 * The agents this gateway's plugin serves, read again when the service starts (the host tells
 * its state folder then), and what each needs: its context (its own workspace, policy and
 * sessions), its main session's activity, and the models every agent may run on.
 */
export class AgentRegistry {
  readonly #api: PluginApi;
  readonly #wiring: HostWiring;
  readonly #models = new Map<string, readonly string[]>();
  #stateDir: string | undefined;
  #agents: GatewayAgents;

  constructor(api: PluginApi, wiring: HostWiring) {
    this.#api = api;
    this.#wiring = wiring;
    this.#agents = gatewayAgents(api, wiring.kind, wiring.location(undefined).stateDir);
  }

  /** Reads the gateway's agents again, under the state folder the host started the service with. */
  refresh(stateDir: string | undefined): GatewayAgents {
    if (stateDir) this.#stateDir = stateDir;
    this.#agents = gatewayAgents(
      this.#api,
      this.#wiring.kind,
      this.#wiring.location(this.#stateDir).stateDir,
    );
    return this.#agents;
  }

  get served(): ServedAgent[] {
    return this.#agents.served;
  }

  get gateway(): GatewayAgents["gateway"] {
    return this.#agents.gateway;
  }

  /** Every served agent's whitelist together: what the spawner lets a run be pinned to. */
  models(): string[] {
    return [...new Set([...this.#models.values()].flat())];
  }

  byId(id: string | null | undefined): ServedAgent | undefined {
    return this.#agents.served.find((a) => a.id === id);
  }

  /** The agent shown by default: main if served, else the first. */
  primary(): ServedAgent | undefined {
    return this.byId("main") ?? this.#agents.served[0];
  }

  mainOf(agent: ServedAgent): MainActivity {
    return sharedMainActivity(agent.mainKey, MAIN_STALE_MS);
  }

  /** Whether an agent's main session (the primary's, none named) is in a turn now. */
  mainBusy(id?: string): boolean {
    const agent = this.byId(id) ?? this.primary();
    return agent ? this.mainOf(agent).busy() : false;
  }

  /** One agent's context: its workspace's policy under the operator's plugin config, its sessions. */
  async contextFor(agent: ServedAgent): Promise<Context> {
    const { policy, source } = await loadPluginPolicy(agent.workspace, operatorConfig(this.#api));
    this.#models.set(agent.id, policy.models);
    const location = this.#wiring.location(this.#stateDir);
    return createContext({
      workspace: agent.workspace,
      // The agent's own sessions, whatever its .taskmanagerrc says agentId is (that key is skill mode's).
      policy: policy.agentId === agent.id ? policy : { ...policy, agentId: agent.id },
      policyFile: source,
      host: { location, adapter: (config, id) => this.#wiring.adapter(location, config, id) },
      deps: { logger: this.#api.logger },
    });
  }

  /** A named agent's context (the primary's, none named); an error naming those served, if not served. */
  context(id?: string): Promise<Context> {
    const agent = id === undefined ? this.primary() : this.byId(id);
    if (!agent)
      return Promise.reject(
        new Error(
          `task-manager serves no agent "${id ?? ""}" on this gateway (it serves ${this.#agents.served.map((a) => a.id).join(", ") || "none"}).`,
        ),
      );
    return this.contextFor(agent);
  }
}
