import { PLUGIN_ID } from "../base/product.js";
import { alertMessage } from "../core/alert-text.js";
import type { Alert } from "../core/queue-model.js";
import type { Context } from "../runtime/context.js";
import { GatewayHeartbeat } from "../runtime/gateway.js";
import { hostSetupAdvice } from "../runtime/host-setup.js";
import { closeStores } from "../runtime/store.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { ServedAgent } from "./agents.js";
import { flowMirrorFor } from "./flow-mirror.js";
import type { PluginApi } from "./host-api.js";
import type { HostWiring } from "./host-wiring.js";
import type { MountedPage } from "./page-mount.js";
import { processState } from "./process-state.js";
import { type Lane, TaskManagerService } from "./service.js";

/** Alerts go to the agent's main session as labelled, escaped data (never as instructions), and to the log. */
function notifyFor(api: PluginApi, registry: AgentRegistry, agent: ServedAgent) {
  return (alerts: Alert[]): void => {
    for (const a of alerts) {
      const text = alertMessage(a);
      api.runtime?.system?.enqueueSystemEvent?.(text, {
        sessionKey: agent.mainKey,
        contextKey: `task-manager:${a.task_id}`,
      });
      api.logger.warn(registry.served.length > 1 ? `${agent.id}: ${text}` : text);
    }
  };
}

/** One served agent as the dispatcher sees it: its queue's context, main session and alerts. */
function laneFor(
  api: PluginApi,
  wiring: HostWiring,
  registry: AgentRegistry,
  agent: ServedAgent,
): Lane {
  const main = registry.mainOf(agent);
  const mirror = wiring.kind === "openclaw" ? flowMirrorFor(api, agent.mainKey) : null;
  return {
    id: agent.id,
    context: () => registry.contextFor(agent),
    main,
    notify: notifyFor(api, registry, agent),
    heartbeatEvery: agent.heartbeatEvery,
    ...(mirror ? { afterTick: (ctx: Context) => mirror.sync(ctx, main.busy()) } : {}),
  };
}

/** What the operator should fix in the host config for this lane, logged once at start. */
async function adviseOnSetup(api: PluginApi, lane: Lane): Promise<void> {
  const c = await lane.context().catch(() => null);
  if (!c) return;
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

/** The dispatcher running in this gateway process, or null before start and after stop. */
export interface DispatchHandle {
  service(): TaskManagerService | null;
}

/**
 * The gateway service that dispatches every served agent's queue: started by the host with its
 * state folder, stopped on gateway stop or plugin reload — releasing every timer, watch, socket,
 * open page stream and database handle, so a reload finds nothing held.
 */
export function registerDispatchService(
  api: PluginApi,
  wiring: HostWiring,
  registry: AgentRegistry,
  page: MountedPage | null,
): DispatchHandle {
  let service: TaskManagerService | null = null;
  const unsubscribe: Array<() => void> = [];
  const gatewayBeats: GatewayHeartbeat[] = [];
  api.registerService({
    id: PLUGIN_ID,
    async start(ctx) {
      try {
        const agents = registry.refresh(ctx.stateDir);
        for (const w of agents.warnings) api.logger.warn(`task-manager: ${w}`);
        const lanes = agents.served.map((a) => laneFor(api, wiring, registry, a));
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
        const many = agents.served.length > 1;
        api.logger.info(
          `task-manager: dispatching on ${schedules.map((s) => `${s.pattern} (${s.source})${many ? ` for ${s.agents.join(", ")}` : ""}`).join("; ") || "no schedule"}; agents ${agents.served.map((a) => `${a.id} (${a.workspace})`).join(", ") || "none"}; host ${wiring.kind}`,
        );
        for (const lane of lanes) await adviseOnSetup(api, lane);
      } catch (err) {
        api.logger.error(`task-manager: not started: ${(err as Error).message}`);
      }
    },
    async stop() {
      const state = processState();
      if (state.live === service) state.live = null;
      for (const u of unsubscribe.splice(0)) u();
      page?.close();
      for (const beat of gatewayBeats.splice(0)) beat.stop();
      await service?.stop();
      wiring.close();
      await closeStores();
    },
  });
  return { service: () => service };
}
