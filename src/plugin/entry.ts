import {
  PLUGIN_DESCRIPTION,
  PLUGIN_ID,
  pluginSetting,
  ROOT_CLI_DESCRIPTION,
} from "../base/product.js";
import { isOwnSession } from "../host/port.js";
import { agentOfSessionKey } from "../host/roster.js";
import { AgentRegistry } from "./agent-registry.js";
import { type DispatchHandle, registerDispatchService } from "./dispatch-service.js";
import type { PluginApi } from "./host-api.js";
import { type HostWiring, hostWiring } from "./host-wiring.js";
import { mountPage, pageMethod } from "./page-mount.js";
import { processState } from "./process-state.js";
import { captureAgentEnd } from "./run-capture.js";
import {
  queueToolFor,
  registerTasksCli,
  statusMethod,
  tasksCommand,
  tickMethod,
  type SurfaceDeps,
} from "./surfaces.js";

/** The root CLI command: `openclaw task-manager` (`openclaw tasks` is the host's ledger), `clawdbot tasks`. */
function cliDescriptor(wiring: HostWiring): {
  name: string;
  description: string;
  hasSubcommands: boolean;
} {
  return {
    name: wiring.cliName,
    description: ROOT_CLI_DESCRIPTION,
    hasSubcommands: false,
  };
}

/**
 * OpenClaw withholds conversation hooks (before_agent_run, agent_end) from a non-bundled plugin
 * without the operator's opt-in, and reports each refused registration as a diagnostic; without
 * it they are not registered at all, and the start-up log and `doctor` say what is lost.
 */
function conversationAccess(api: PluginApi, wiring: HostWiring): boolean {
  return (
    wiring.kind === "clawdbot" ||
    pluginSetting(api.config, "hooks", "allowConversationAccess") === true
  );
}

/** Registration modes that only collect metadata (OpenClaw): no runtime, CLI descriptors only. */
const METADATA_ONLY = new Set(["cli-metadata", "setup-only"]);

/**
 * The hooks that follow each served agent's main session (VIP lane) and the end of our runs:
 * only where the host lets a plugin see conversations (conversationAccess).
 */
function registerHooks(api: PluginApi, wiring: HostWiring, registry: AgentRegistry): void {
  const runEnded = (sessionKey: string | undefined): void => {
    const agent = registry.byId(agentOfSessionKey(sessionKey));
    if (agent && sessionKey && isOwnSession(sessionKey)) processState().live?.runEnded(agent.id);
  };
  if (conversationAccess(api, wiring)) {
    // Each main session ignores keys other than its own (`global` under session.scope "global").
    api.on(wiring.runStartHook, (_event, hook) => {
      for (const a of registry.served) registry.mainOf(a).started(hook.sessionKey);
    });
    api.on("agent_end", async (event, hook) => {
      for (const a of registry.served) registry.mainOf(a).ended(hook.sessionKey);
      const agent = registry.byId(agentOfSessionKey(hook.sessionKey) ?? hook.agentId);
      if (!agent) return;
      // Clawdbot fires no subagent_ended: the end of one of our runs arrives here.
      runEnded(hook.sessionKey);
      try {
        await captureAgentEnd(await registry.contextFor(agent), event, hook, agent.mainKey);
      } catch (err) {
        api.logger.warn(`task-manager: capture failed: ${(err as Error).message}`);
      }
    });
  }
  if (wiring.kind === "openclaw") {
    // One of our runs ended: settle it and start the next task now rather than on the next tick.
    api.on("subagent_ended", (event) => runEnded(event.targetSessionKey));
  }
}

/**
 * Wires task-manager into the gateway; the work is in service.ts. OpenClaw calls register()
 * several times per process — "full" (services and gateway methods start here), "discovery" and
 * "tool-discovery" (whose hooks and tools the host may invoke) — so everything a hook learns or
 * a tick does goes through process-wide state. Every agent of the gateway is served
 * (agent-registry.ts): each its own workspace queue, policy, sessions and main session, under
 * one gateway-wide cap.
 */
export function register(api: PluginApi): void {
  const mode = api.registrationMode ?? "full";
  // The spawner's pinned-model check covers every served agent's whitelist.
  const wiring = hostWiring(api, () => registry.models());
  const registry = new AgentRegistry(api, wiring);
  if (METADATA_ONLY.has(mode)) {
    api.registerCli(() => undefined, { descriptors: [cliDescriptor(wiring)] });
    return;
  }
  const surfaces: SurfaceDeps = {
    agents: () => registry.served.map((a) => a.id),
    context: (id) => registry.context(id),
    mainBusy: (id) => registry.mainBusy(id),
    service: () => processState().live,
  };
  api.registerCli(({ program }) => registerTasksCli(program, surfaces, wiring.cliName), {
    commands: [wiring.cliName],
    descriptors: [cliDescriptor(wiring)],
  });
  api.registerTool(queueToolFor(surfaces), { name: "task_queue" });
  api.registerCommand(tasksCommand(surfaces, wiring.commandName));
  registerHooks(api, wiring, registry);
  if (mode !== "full") return;

  let dispatch: DispatchHandle | null = null;
  const page = mountPage(api, {
    kind: wiring.kind,
    context: surfaces.context,
    agents: surfaces.agents,
    mainBusy: (id) => registry.mainBusy(id),
    nextCheckAt: () => dispatch?.service()?.nextRun()?.getTime() ?? null,
  });
  dispatch = registerDispatchService(api, wiring, registry, page);
  api.registerGatewayMethod("task-manager.status", statusMethod(surfaces));
  api.registerGatewayMethod("task-manager.tick", tickMethod(surfaces));
  // The key opens the page and its actions: only for clients that may run agents anyway.
  api.registerGatewayMethod("task-manager.page", pageMethod(page), { scope: "operator.write" });
}

/** The plugin entry both hosts load: OpenClaw reads {id, name, description, register}, Clawdbot `register`. */
export default {
  id: PLUGIN_ID,
  name: PLUGIN_ID,
  description: PLUGIN_DESCRIPTION,
  register,
};
