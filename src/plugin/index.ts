import { alertMessage } from "../core/alert-text.js";
import type { Alert } from "../core/queue-schema.js";
import { hostPaths, interpretHostConfig } from "../host/host-config.js";
import type { GatewayAddress } from "../host/gateway-client.js";
import { createContext, type Context } from "../runtime/context.js";
import { captureAgentEnd } from "./capture.js";
import { GatewaySpawner } from "./gateway-spawner.js";
import type { PluginApi } from "./host-api.js";
import { MainActivity, mainSessionKey } from "./main-activity.js";
import { loadPluginPolicy } from "./policy.js";
import { TaskManagerService } from "./service.js";
import { queueToolFor, registerTasksCli, statusMethod, tasksCommand, tickMethod } from "./surfaces.js";

/** The gateway's own address: the running gateway exports its port and token to its env. */
function gatewayAddress(config: Record<string, unknown>): GatewayAddress {
  const host = interpretHostConfig(config);
  const port = Number(process.env.CLAWDBOT_GATEWAY_PORT) || host.gatewayPort || 18789;
  return { url: `ws://127.0.0.1:${port}`, token: process.env.CLAWDBOT_GATEWAY_TOKEN || host.gatewayToken };
}

/** Wires task-manager into the gateway. Only wiring lives here; see service.ts for the work. */
export default function register(api: PluginApi): void {
  const host = interpretHostConfig(api.config);
  let workspaceDir: string | undefined = host.workspace ?? undefined;
  const context = async (): Promise<Context> => {
    const ws = workspaceDir ?? process.cwd();
    const { policy, source } = await loadPluginPolicy(ws, api.pluginConfig);
    return createContext({ workspace: ws, policy, policyFile: source, deps: { logger: api.logger, env: { ...process.env, ...stateEnv() } } });
  };
  const agentId = typeof api.pluginConfig?.agentId === "string" ? api.pluginConfig.agentId : "main";
  const main = new MainActivity(mainSessionKey(api.config, agentId), 30 * 60_000);
  const spawner = new GatewaySpawner(() => gatewayAddress(api.config));
  const notify = (alerts: Alert[]): void => {
    for (const a of alerts) {
      // Task text and errors go in as labelled, escaped data: they must not read as instructions.
      const text = alertMessage(a);
      api.runtime?.system?.enqueueSystemEvent?.(text, { sessionKey: main.mainKey, contextKey: `task-manager:${a.task_id}` });
      api.logger.warn(text);
    }
  };
  const service = new TaskManagerService({ context, spawner, main, notify, log: (m) => api.logger.info(`task-manager ${m}`) });
  const surfaces = { context, service };

  api.registerService({
    id: "task-manager",
    async start(ctx) {
      if (ctx.workspaceDir) workspaceDir = ctx.workspaceDir;
      try {
        const schedule = await service.start(host.heartbeatEvery);
        api.logger.info(`task-manager: dispatching on ${schedule.pattern} (${schedule.source}); workspace ${workspaceDir}`);
      } catch (err) {
        api.logger.error(`task-manager: not started: ${(err as Error).message}`);
      }
    },
    stop() {
      service.stop();
      spawner.close();
    },
  });
  api.registerTool(queueToolFor(surfaces), { name: "task_queue" });
  api.registerCommand(tasksCommand(surfaces));
  api.registerGatewayMethod("task-manager.status", statusMethod(surfaces));
  api.registerGatewayMethod("task-manager.tick", tickMethod(surfaces));
  api.registerCli(({ program }) => registerTasksCli(program, surfaces), { commands: ["tasks"] });
  api.on("before_agent_start", (_event, hook) => main.started(hook.sessionKey));
  api.on("agent_end", async (event, hook) => {
    main.ended(hook.sessionKey);
    try {
      await captureAgentEnd(await context(), event, hook, main.mainKey);
    } catch (err) {
      api.logger.warn(`task-manager: capture failed: ${(err as Error).message}`);
    }
  });
}

/** The host's state dir as the gateway resolved it (it may come from CLAWDBOT_STATE_DIR). */
function stateEnv(): NodeJS.ProcessEnv {
  const paths = hostPaths(process.env);
  return { CLAWDBOT_STATE_DIR: paths.stateDir, CLAWDBOT_CONFIG_PATH: paths.configPath };
}
