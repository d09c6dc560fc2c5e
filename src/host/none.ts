import type { HostConfig } from "./host-config.js";
import type { HostPort, HostView } from "./port.js";

const nothing: HostView = {
  busySubagents: async () => [],
  runOutcome: async () => ({ status: "unknown" }),
  hasRun: async () => false,
  failedRuns: async () => [],
};

/** No host state found: zero sessions, and a run's outcome is never known (it times out). */
export function noHost(config: HostConfig | null = null): HostPort {
  return {
    info: { kind: "none", state_dir: null, sessions_store: null },
    config,
    view: () => nothing,
  };
}
