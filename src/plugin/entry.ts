import { alertMessage } from "../core/alert-text.js";
import type { Alert } from "../core/queue-model.js";
import {
  PLUGIN_DESCRIPTION,
  PLUGIN_ID,
  pluginSetting,
  ROOT_CLI_DESCRIPTION,
} from "../base/product.js";
import { isOwnSession } from "../host/port.js";
import { agentOfSessionKey } from "../host/roster.js";
import { createContext, type Context } from "../runtime/context.js";
import { GatewayHeartbeat } from "../runtime/gateway.js";
import { closeStores } from "../runtime/store.js";
import { hostSetupAdvice } from "../runtime/host-setup.js";
import { captureAgentEnd } from "./run-capture.js";
import { flowMirrorFor } from "./flow-mirror.js";
import type { PluginApi } from "./host-api.js";
import { gatewayAgents, operatorConfig, type GatewayAgents, type ServedAgent } from "./agents.js";
import { loadPluginPolicy } from "./policy.js";
import { processState, sharedMainActivity } from "./process-state.js";
import { type Lane, TaskManagerService } from "./service.js";
import { mountPage, pageMethod } from "./page-mount.js";
import {
  queueToolFor,
  registerTasksCli,
  statusMethod,
  tasksCommand,
  tickMethod,
  type SurfaceDeps,
} from "./surfaces.js";
import { type HostWiring, hostWiring } from "./host-wiring.js";

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

/** How long a main session counts as busy without an agent_end (the host skips it after a failed model call). */
const MAIN_STALE_MS = 30 * 60_000;

/**
 * Wires task-manager into the gateway. Only wiring lives here; see service.ts for the work.
 * OpenClaw calls register() several times per process — "full" (services and gateway methods
 * start here), "discovery" and "tool-discovery" (whose hooks and tools the host may invoke) —
 * so everything a hook learns or a tick does goes through process-wide state. Every agent of
 * the gateway is served (agents.ts): each its own workspace queue, policy, sessions and main
 * session, under one gateway-wide cap.
 */
export function register(api: PluginApi): void {
  const mode = api.registrationMode ?? "full";
  const models = new Map<string, readonly string[]>();
  // The spawner's pinned-model check covers every agent's whitelist.
  const wiring = hostWiring(api, () => [...new Set([...models.values()].flat())]);
  if (METADATA_ONLY.has(mode)) {
    api.registerCli(() => undefined, { descriptors: [cliDescriptor(wiring)] });
    return;
  }

  let stateDir: string | undefined;
  let agents: GatewayAgents = gatewayAgents(api, wiring.kind, wiring.location(undefined).stateDir);
  const contextFor = async (agent: ServedAgent): Promise<Context> => {
    const { policy, source } = await loadPluginPolicy(agent.workspace, operatorConfig(api));
    models.set(agent.id, policy.models);
    const location = wiring.location(stateDir);
    return createContext({
      workspace: agent.workspace,
      // The agent's own sessions, whatever its .taskmanagerrc says agentId is (that key is skill mode's).
      policy: policy.agentId === agent.id ? policy : { ...policy, agentId: agent.id },
      policyFile: source,
      host: { location, adapter: (config, id) => wiring.adapter(location, config, id) },
      deps: { logger: api.logger },
    });
  };
  const byId = (id: string | null | undefined): ServedAgent | undefined =>
    agents.served.find((a) => a.id === id);
  /** The agent shown by default: main if served, else the first. */
  const primary = (): ServedAgent | undefined => byId("main") ?? agents.served[0];
  const mainOf = (a: ServedAgent) => sharedMainActivity(a.mainKey, MAIN_STALE_MS);

  const mainBusy = (id?: string): boolean => {
    const agent = byId(id) ?? primary();
    return agent ? mainOf(agent).busy() : false;
  };
  const surfaces: SurfaceDeps = {
    agents: () => agents.served.map((a) => a.id),
    context(id) {
      const agent = id === undefined ? primary() : byId(id);
      if (!agent)
        return Promise.reject(
          new Error(
            `task-manager serves no agent "${id ?? ""}" on this gateway (it serves ${agents.served.map((a) => a.id).join(", ") || "none"}).`,
          ),
        );
      return contextFor(agent);
    },
    mainBusy,
    service: () => processState().live,
  };
  api.registerCli(({ program }) => registerTasksCli(program, surfaces, wiring.cliName), {
    commands: [wiring.cliName],
    descriptors: [cliDescriptor(wiring)],
  });

  api.registerTool(queueToolFor(surfaces), { name: "task_queue" });
  api.registerCommand(tasksCommand(surfaces, wiring.commandName));
  const runEnded = (sessionKey: string | undefined): void => {
    const agent = byId(agentOfSessionKey(sessionKey));
    if (agent && sessionKey && isOwnSession(sessionKey)) processState().live?.runEnded(agent.id);
  };
  if (conversationAccess(api, wiring)) {
    // Each main session ignores keys other than its own (`global` under session.scope "global").
    api.on(wiring.runStartHook, (_event, hook) => {
      for (const a of agents.served) mainOf(a).started(hook.sessionKey);
    });
    api.on("agent_end", async (event, hook) => {
      for (const a of agents.served) mainOf(a).ended(hook.sessionKey);
      const agent = byId(agentOfSessionKey(hook.sessionKey) ?? hook.agentId);
      if (!agent) return;
      // Clawdbot fires no subagent_ended: the end of one of our runs arrives here.
      runEnded(hook.sessionKey);
      try {
        await captureAgentEnd(await contextFor(agent), event, hook, agent.mainKey);
      } catch (err) {
        api.logger.warn(`task-manager: capture failed: ${(err as Error).message}`);
      }
    });
  }
  if (wiring.kind === "openclaw") {
    // One of our runs ended: settle it and start the next task now rather than on the next tick.
    api.on("subagent_ended", (event) => runEnded(event.targetSessionKey));
  }
  if (mode !== "full") return;

  const notifyFor =
    (agent: ServedAgent) =>
    (alerts: Alert[]): void => {
      for (const a of alerts) {
        // Task text and errors go in as labelled, escaped data: they must not read as instructions.
        const text = alertMessage(a);
        api.runtime?.system?.enqueueSystemEvent?.(text, {
          sessionKey: agent.mainKey,
          contextKey: `task-manager:${a.task_id}`,
        });
        api.logger.warn(agents.served.length > 1 ? `${agent.id}: ${text}` : text);
      }
    };
  const laneFor = (agent: ServedAgent): Lane => {
    const main = mainOf(agent);
    const mirror = wiring.kind === "openclaw" ? flowMirrorFor(api, agent.mainKey) : null;
    return {
      id: agent.id,
      context: () => contextFor(agent),
      main,
      notify: notifyFor(agent),
      heartbeatEvery: agent.heartbeatEvery,
      ...(mirror ? { afterTick: (ctx: Context) => mirror.sync(ctx, main.busy()) } : {}),
    };
  };
  let service: TaskManagerService | null = null;
  const unsubscribe: Array<() => void> = [];
  const page = mountPage(api, {
    kind: wiring.kind,
    context: surfaces.context,
    agents: surfaces.agents,
    mainBusy,
    nextCheckAt: () => service?.nextRun()?.getTime() ?? null,
  });
  const gatewayBeats: GatewayHeartbeat[] = [];
  api.registerService({
    id: PLUGIN_ID,
    async start(ctx) {
      if (ctx.stateDir) stateDir = ctx.stateDir;
      try {
        agents = gatewayAgents(api, wiring.kind, wiring.location(stateDir).stateDir);
        for (const w of agents.warnings) api.logger.warn(`task-manager: ${w}`);
        const lanes = agents.served.map(laneFor);
        const live = new TaskManagerService({
          lanes,
          spawner: wiring.spawner,
          gateway: agents.gateway,
          log: (m) => api.logger.info(`task-manager ${m}`),
          debug: (m) => api.logger.debug?.(`task-manager ${m}`),
        });
        service = live;
        for (const lane of lanes)
          unsubscribe.push(lane.main.onIdle(() => live.wake("main_idle", [lane.id])));
        const { schedules, errors } = await live.start();
        processState().live = live;
        // On a shared store, the other gateways must see this one alive between ticks.
        for (const lane of lanes) {
          const beat = new GatewayHeartbeat();
          beat.start(lane.context, (m) => api.logger.warn(`task-manager: ${lane.id}: ${m}`));
          gatewayBeats.push(beat);
        }
        for (const e of errors) api.logger.error(`task-manager: not serving ${e}`);
        api.logger.info(
          `task-manager: dispatching on ${schedules.map((s) => `${s.pattern} (${s.source})${agents.served.length > 1 ? ` for ${s.agents.join(", ")}` : ""}`).join("; ") || "no schedule"}; agents ${agents.served.map((a) => `${a.id} (${a.workspace})`).join(", ") || "none"}; host ${wiring.kind}`,
        );
        for (const lane of lanes) {
          const c = await lane.context().catch(() => null);
          if (!c) continue;
          for (const check of hostSetupAdvice(
            c.host.info.kind,
            c.host.config?.raw ?? null,
            c.policy.models,
            c.policy.schedule,
          ))
            if (!check.ok) api.logger.warn(`task-manager: ${check.key}: ${check.message}`);
          // The host's records show the queue from the start, not from the first tick.
          void lane.afterTick?.(c);
        }
      } catch (err) {
        api.logger.error(`task-manager: not started: ${(err as Error).message}`);
      }
    },
    async stop() {
      const state = processState();
      if (state.live === service) state.live = null;
      for (const u of unsubscribe.splice(0)) u();
      // Timers, watches, the tick in flight, sockets, open event streams and database handles: a
      // reload must find nothing held.
      page?.close();
      for (const beat of gatewayBeats.splice(0)) beat.stop();
      await service?.stop();
      wiring.close();
      await closeStores();
    },
  });
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
