import type { HostConfig } from "../host/host-config.js";
import { locateHost, type HostLocation } from "../host/locate.js";
import { openclawHost } from "../host/openclaw/adapter.js";
import { SubagentSpawner } from "../host/openclaw/spawner.js";
import type { HostPort } from "../host/port.js";
import { modelOverrideCheck } from "../runtime/host-setup.js";
import type { PluginApi, SubagentRuntime } from "./host-api.js";
import type { HostWiring } from "./wiring.js";

/**
 * OpenClaw 2026.9: runs start in-process through api.runtime.subagent.run (no WebSocket, no
 * token), sessions are read from the host's SQLite records. Adapters are kept per agent so their
 * read-only connections live across ticks, and closed on stop so a reload finds nothing held.
 */
export function openclawWiring(
  api: PluginApi,
  subagent: SubagentRuntime,
  policyModels: () => readonly string[],
): HostWiring {
  const adapters = new Map<string, HostPort & { close(): void }>();
  const spawner = new SubagentSpawner(
    (params) => subagent.run(params),
    () => {
      const check = modelOverrideCheck(api.config, policyModels());
      return check.ok ? { ok: true } : { ok: false, message: check.message };
    },
  );
  return {
    kind: "openclaw",
    location(stateDir): HostLocation {
      if (!stateDir) return locateHost(process.env);
      const found = locateHost({ ...process.env, OPENCLAW_STATE_DIR: stateDir });
      return { ...found, source: "the gateway that loaded the plugin" };
    },
    adapter(location, config: HostConfig | null, agentId) {
      const key = `${location.stateDir}\0${agentId}\0${config?.file ?? ""}`;
      let adapter = adapters.get(key);
      if (!adapter) {
        adapter = openclawHost(location.stateDir, config, agentId);
        adapters.set(key, adapter);
      }
      return adapter;
    },
    spawner,
    runStartHook: "before_agent_run",
    // `/tasks` and `openclaw tasks` are the host's own task ledger: never shadow them.
    commandName: "taskmanager",
    cliName: "task-manager",
    close() {
      for (const adapter of adapters.values()) adapter.close();
      adapters.clear();
    },
  };
}
