import { ROOT_CLI_NAME } from "../base/product.js";
import type { HostConfig } from "../host/host-config.js";
import { interpretHostConfig } from "../host/host-config.js";
import { type HostKind, type HostLocation, locateGateway } from "../host/locate.js";
import type { HostPort, SpawnRequest, Spawner } from "../host/port.js";
import {
  gatewayHostKind,
  type HostAdapter,
  type HostSpawner,
  hostAdapter,
  hostSpawner,
  type RunAccess,
} from "../runtime/host.js";
import { modelOverrideCheck } from "../runtime/host-setup.js";
import { gatewayPort } from "./gateway-port.js";
import type { PluginApi } from "./host-api.js";

/** What differs between the two hosts when task-manager runs inside their gateway. */
export interface HostWiring {
  kind: HostKind;
  /** Where the gateway keeps its state (the service context knows it once started). */
  location(stateDir: string | undefined): HostLocation;
  /** The host adapter for an agent; kept across ticks (it may hold database connections). */
  adapter(location: HostLocation, config: HostConfig | null, agentId: string): Promise<HostPort>;
  spawner: Spawner;
  /** The hook that says a run is starting (OpenClaw dropped before_agent_start). */
  runStartHook: "before_agent_start" | "before_agent_run";
  /** The chat command and root CLI command: on OpenClaw, `tasks` is the host's own ledger. */
  commandName: string;
  cliName: string;
  /** Releases sockets and database handles (gateway stop, plugin reload). */
  close(): void;
}

/** How the gateway that loaded the plugin lets it start runs. */
function runAccess(api: PluginApi, kind: HostKind, models: () => readonly string[]): RunAccess {
  const subagent = api.runtime?.subagent;
  if (kind === "openclaw" && subagent) {
    return {
      kind,
      run: (params) => subagent.run(params),
      permitted() {
        const check = modelOverrideCheck(api.config, models());
        return check.ok ? { ok: true } : { ok: false, message: check.message };
      },
    };
  }
  return {
    kind: "clawdbot",
    // The running gateway exports its port and token to its own env.
    address: () => ({
      url: `ws://127.0.0.1:${gatewayPort("clawdbot", api.config)}`,
      token:
        process.env.CLAWDBOT_GATEWAY_TOKEN ||
        interpretHostConfig(api.config, "(gateway config)").gatewayToken,
    }),
  };
}

/** The spawner, loaded on its first use: registration stays cheap and host code stays in runtime/host.ts. */
function lazySpawner(access: RunAccess): Spawner & { close(): void } {
  let loaded: Promise<HostSpawner> | null = null;
  const spawner = (): Promise<HostSpawner> => {
    loaded ??= hostSpawner(access);
    return loaded;
  };
  return {
    ready: () => (access.kind === "openclaw" ? access.permitted() : { ok: true }),
    spawn: async (request: SpawnRequest) => (await spawner()).spawn(request),
    close: () => void loaded?.then((s) => s.close()),
  };
}

/**
 * The wiring for the gateway that loaded the plugin. OpenClaw 2026.9 starts runs in-process
 * (api.runtime.subagent.run) and keeps sessions in SQLite; Clawdbot 2026.1 starts them over its
 * own WebSocket and keeps sessions in files. Adapters are kept per agent so their read-only
 * connections live across ticks, and closed on stop so a reload finds nothing held.
 */
export function hostWiring(api: PluginApi, models: () => readonly string[]): HostWiring {
  const kind = gatewayHostKind(api.runtime);
  const adapters = new Map<string, Promise<HostAdapter>>();
  const spawner = lazySpawner(runAccess(api, kind, models));
  const openclaw = kind === "openclaw";
  return {
    kind,
    location: (stateDir) => locateGateway(kind, stateDir),
    adapter(location, config, agentId) {
      const key = `${location.stateDir}\0${agentId}\0${config?.file ?? ""}`;
      let adapter = adapters.get(key);
      if (!adapter) {
        adapter = hostAdapter(location, config, agentId);
        adapters.set(key, adapter);
      }
      return adapter;
    },
    spawner,
    runStartHook: openclaw ? "before_agent_run" : "before_agent_start",
    // `/tasks` and `openclaw tasks` are the host's own task ledger: never shadow them.
    commandName: openclaw ? "taskmanager" : "tasks",
    cliName: ROOT_CLI_NAME[kind],
    close() {
      for (const adapter of adapters.values()) void adapter.then((a) => a.close?.());
      adapters.clear();
      spawner.close();
    },
  };
}
