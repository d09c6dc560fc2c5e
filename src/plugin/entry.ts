import { alertMessage } from "../core/alert-text.js";
import type { Alert } from "../core/queue-model.js";
import { isObject } from "../base/json.js";
import {
  PLUGIN_DESCRIPTION,
  PLUGIN_ID,
  pluginSetting,
  ROOT_CLI_DESCRIPTION,
} from "../base/product.js";
import { interpretHostConfig } from "../host/host-config.js";
import { isOwnSession } from "../host/port.js";
import { createContext, type Context } from "../runtime/context.js";
import { GatewayHeartbeat } from "../runtime/gateway.js";
import { closeStores } from "../runtime/store.js";
import { hostSetupAdvice } from "../runtime/host-setup.js";
import { captureAgentEnd } from "./run-capture.js";
import { flowMirrorFor } from "./flow-mirror.js";
import type { PluginApi } from "./host-api.js";
import { mainSessionKey } from "./main-activity.js";
import { loadPluginPolicy } from "./policy.js";
import { processState, sharedMainActivity } from "./process-state.js";
import { TaskManagerService } from "./service.js";
import { mountStatusPage, pageMethod } from "./page-mount.js";
import {
  queueToolFor,
  registerTasksCli,
  statusMethod,
  tasksCommand,
  tickMethod,
  type SurfaceDeps,
} from "./surfaces.js";
import { type HostWiring, hostWiring } from "./host-wiring.js";

/** What the operator really set in plugins.entries.task-manager.config (OpenClaw fills schema defaults into api.pluginConfig). */
function operatorConfig(api: PluginApi): Record<string, unknown> {
  const config = pluginSetting(api.config, "config");
  return isObject(config) ? config : {};
}

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
 * Wires task-manager into the gateway. Only wiring lives here; see service.ts for the work.
 * OpenClaw calls register() several times per process — "full" (services and gateway methods
 * start here), "discovery" and "tool-discovery" (whose hooks and tools the host may invoke) —
 * so everything a hook learns or a tick does goes through process-wide state.
 */
export function register(api: PluginApi): void {
  const mode = api.registrationMode ?? "full";
  let models: readonly string[] = [];
  const wiring = hostWiring(api, () => models);
  if (METADATA_ONLY.has(mode)) {
    api.registerCli(() => undefined, { descriptors: [cliDescriptor(wiring)] });
    return;
  }

  // The gateway's workspace (its service context says it again at start); "~" expanded.
  let workspaceDir = interpretHostConfig(api.config, "(gateway config)").workspace ?? undefined;
  let stateDir: string | undefined;
  const context = async (): Promise<Context> => {
    const ws = workspaceDir ?? process.cwd();
    const { policy, source } = await loadPluginPolicy(ws, operatorConfig(api));
    models = policy.models;
    const location = wiring.location(stateDir);
    return createContext({
      workspace: ws,
      policy,
      policyFile: source,
      host: { location, adapter: (config, agentId) => wiring.adapter(location, config, agentId) },
      deps: { logger: api.logger },
    });
  };
  const agentId = operatorConfig(api).agentId;
  const main = sharedMainActivity(
    mainSessionKey(api.config, typeof agentId === "string" ? agentId : "main"),
    30 * 60_000,
  );
  const surfaces: SurfaceDeps = { context, service: () => processState().live };
  api.registerCli(({ program }) => registerTasksCli(program, surfaces, wiring.cliName), {
    commands: [wiring.cliName],
    descriptors: [cliDescriptor(wiring)],
  });

  api.registerTool(queueToolFor(surfaces), { name: "task_queue" });
  api.registerCommand(tasksCommand(surfaces, wiring.commandName));
  if (conversationAccess(api, wiring)) {
    api.on(wiring.runStartHook, (_event, hook) => main.started(hook.sessionKey));
    api.on("agent_end", async (event, hook) => {
      main.ended(hook.sessionKey);
      try {
        await captureAgentEnd(await context(), event, hook, main.mainKey);
      } catch (err) {
        api.logger.warn(`task-manager: capture failed: ${(err as Error).message}`);
      }
    });
  }
  if (wiring.kind === "openclaw") {
    // One of our runs ended: settle it and start the next task now rather than on the next tick.
    api.on("subagent_ended", (event) => {
      if (event.targetSessionKey && isOwnSession(event.targetSessionKey))
        void processState().live?.tick();
    });
  }
  if (mode !== "full") return;

  const notify = (alerts: Alert[]): void => {
    for (const a of alerts) {
      // Task text and errors go in as labelled, escaped data: they must not read as instructions.
      const text = alertMessage(a);
      api.runtime?.system?.enqueueSystemEvent?.(text, {
        sessionKey: main.mainKey,
        contextKey: `task-manager:${a.task_id}`,
      });
      api.logger.warn(text);
    }
  };
  const mirror = wiring.kind === "openclaw" ? flowMirrorFor(api, main.mainKey) : null;
  const service = new TaskManagerService({
    context,
    spawner: wiring.spawner,
    main,
    notify,
    log: (m) => api.logger.info(`task-manager ${m}`),
    debug: (m) => api.logger.debug?.(`task-manager ${m}`),
    ...(mirror ? { afterTick: (ctx: Context) => mirror.sync(ctx, main.busy()) } : {}),
  });
  const page = mountStatusPage(api, {
    kind: wiring.kind,
    context,
    mainBusy: () => main.busy(),
    nextCheckAt: () => service.nextRun()?.getTime() ?? null,
  });
  const gatewayBeat = new GatewayHeartbeat();
  api.registerService({
    id: PLUGIN_ID,
    async start(ctx) {
      if (ctx.workspaceDir) workspaceDir = ctx.workspaceDir;
      if (ctx.stateDir) stateDir = ctx.stateDir;
      try {
        const c = await context();
        const schedule = await service.start(c.host.config?.heartbeatEvery ?? null);
        processState().live = service;
        // On a shared store, the other gateways must see this one alive between ticks.
        gatewayBeat.start(context, (m) => api.logger.warn(`task-manager: ${m}`));
        api.logger.info(
          `task-manager: dispatching on ${schedule.pattern} (${schedule.source}); workspace ${workspaceDir}; host ${wiring.kind}`,
        );
        for (const check of hostSetupAdvice(
          c.host.info.kind,
          c.host.config?.raw ?? null,
          c.policy.models,
          c.policy.schedule,
        ))
          if (!check.ok) api.logger.warn(`task-manager: ${check.key}: ${check.message}`);
        // The host's records show the queue from the start, not from the first tick.
        void mirror?.sync(c, main.busy());
      } catch (err) {
        api.logger.error(`task-manager: not started: ${(err as Error).message}`);
      }
    },
    async stop() {
      const state = processState();
      if (state.live === service) state.live = null;
      // Timers, the tick in flight, sockets, open event streams and database handles: a reload
      // must find nothing held.
      page?.close();
      gatewayBeat.stop();
      await service.stop();
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
