import type { HostConfig } from "../host/host-config.js";
import type { HostLocation } from "../host/locate.js";
import type { HostPort, Spawner } from "../host/port.js";

/** What differs between the two hosts when task-manager runs inside their gateway. */
export interface HostWiring {
  kind: "openclaw" | "clawdbot";
  /** Where the gateway keeps its state (the service context knows it once started). */
  location(stateDir: string | undefined): HostLocation;
  /** The host adapter for an agent; kept across ticks (it may hold database connections). */
  adapter(location: HostLocation, config: HostConfig | null, agentId: string): HostPort;
  spawner: Spawner;
  /** The hook that says a run is starting (OpenClaw dropped before_agent_start). */
  runStartHook: "before_agent_start" | "before_agent_run";
  /** The chat command and root CLI command: on OpenClaw, `tasks` is the host's own ledger. */
  commandName: string;
  cliName: string;
  /** Releases sockets and database handles (gateway stop, plugin reload). */
  close(): void;
}
