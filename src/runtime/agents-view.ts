import { existsSync } from "node:fs";
import { TaskManagerError } from "../base/errors.js";
import { pluginSetting } from "../base/product.js";
import { NO_TASKS } from "../core/views.js";
import type { StateCounts } from "../store/port.js";
import { gatewayRoster } from "../host/roster.js";
import { loadPolicyFile } from "../policy/load.js";
import type { Context } from "./context.js";
import { toErrorStatus } from "./error-status.js";
import { openStore } from "./store.js";

/** One agent of the gateway as `doctor` lists it. */
export interface AgentView {
  id: string;
  workspace: string;
  /** Whether the plugin serves it (every agent unless the plugin config's `agents` names others). */
  served: boolean;
  /** This very workspace: the one the command ran on. */
  current: boolean;
  queue?: { file: string; counts: StateCounts; paused: boolean };
  error?: ReturnType<typeof toErrorStatus>;
}

/**
 * Every agent the host config names, with its workspace queue (each workspace is its own queue
 * and .taskmanagerrc), and which of them the plugin serves. No host config: the one agent main.
 */
export async function gatewayAgentsView(ctx: Context): Promise<AgentView[]> {
  const kind = ctx.hostLocation.kind ?? "openclaw";
  const raw = ctx.host.config?.raw ?? null;
  const wanted = pluginSetting(raw, "config", "agents") ?? pluginSetting(raw, "config", "agentId");
  const names = Array.isArray(wanted)
    ? wanted.map((w) => String(w).toLowerCase())
    : typeof wanted === "string"
      ? [wanted.toLowerCase()]
      : null;
  return Promise.all(
    gatewayRoster(kind, raw, ctx.hostLocation.stateDir, ctx.deps.env).map(async (a) => {
      const view: AgentView = {
        id: a.id,
        workspace: a.workspace,
        served: names === null || names.includes(a.id),
        current: a.workspace === ctx.workspace.dir,
      };
      if (!existsSync(a.workspace)) return { ...view, error: missing(a.workspace) };
      try {
        const { policy } = await loadPolicyFile(a.workspace);
        const store = await openStore(a.workspace, policy, ctx.deps);
        // Not closed: a database store is shared by the process (runtime/store.ts closes them).
        const { queue, counts } = await store.read(NO_TASKS);
        return { ...view, queue: { file: store.location, counts, paused: queue.paused } };
      } catch (err) {
        return { ...view, error: toErrorStatus(err) };
      }
    }),
  );
}

function missing(dir: string): ReturnType<typeof toErrorStatus> {
  return toErrorStatus(
    new TaskManagerError(
      "E_WORKSPACE",
      `Workspace ${dir} does not exist yet (the host creates it when the agent first runs).`,
      { dir },
    ),
  );
}
