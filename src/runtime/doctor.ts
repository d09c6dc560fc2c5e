import { shownPolicy } from "./store.js";
import { NO_TASKS } from "../core/views.js";
import { nextScheduledRun } from "../policy/cron.js";
import { resolveSchedule } from "../policy/schedule.js";
import type { Context } from "./context.js";
import { toErrorStatus } from "./error-status.js";
import { hostSetupAdvice } from "./host-setup.js";
import { budgetAdvice } from "./spend-env.js";
import { gatewayAgentsView } from "./agents-view.js";

/** What task-manager found, for a person diagnosing a setup. Never throws. */
export async function doctor(ctx: Context): Promise<Record<string, unknown>> {
  const queue = await ctx.store.read(NO_TASKS).then(
    (s) => ({
      store: ctx.store.kind,
      file: ctx.store.location,
      format: s.origin,
      revision: s.queue.revision,
      counts: s.counts,
      paused: s.queue.paused,
    }),
    (err: unknown) => ({
      store: ctx.store.kind,
      file: ctx.store.location,
      error: toErrorStatus(err),
    }),
  );
  const nowMs = ctx.deps.now();
  let schedule: Record<string, unknown>;
  try {
    const s = resolveSchedule(ctx.policy.schedule, ctx.host.config?.heartbeatEvery ?? null);
    const next = nextScheduledRun(s);
    schedule = { ...s, next_run: next?.toISOString() ?? null };
  } catch (err) {
    schedule = { error: toErrorStatus(err) };
  }
  const busy = await ctx.host
    .view()
    .busySubagents(nowMs, ctx.policy.activeWindowMinutes * 60_000)
    .catch((err: unknown) => toErrorStatus(err));
  const agents = await gatewayAgentsView(ctx).catch((err: unknown) => toErrorStatus(err));
  return {
    node: process.version,
    workspace: { dir: ctx.workspace.dir, source: ctx.workspace.source },
    // Each agent of the gateway has its own workspace queue; the plugin serves them all.
    agents,
    config: { file: ctx.policyFile, policy: shownPolicy(ctx.policy) },
    queue,
    store: {
      kind: ctx.store.kind,
      location: ctx.store.location,
      gateway: ctx.gateway,
      gateways: ctx.store.gateways
        ? await ctx.store.gateways.list().catch((err: unknown) => toErrorStatus(err))
        : null,
    },
    host: {
      kind: ctx.host.info.kind,
      found_by: ctx.hostLocation.source,
      state_dir: ctx.hostLocation.stateDir,
      config_path: ctx.hostLocation.configPath,
      config_found: ctx.host.config !== null,
      sessions_store: ctx.host.info.sessions_store,
      busy_subagents: busy,
    },
    plugin_setup: hostSetupAdvice(
      ctx.host.info.kind,
      ctx.host.config?.raw ?? null,
      ctx.policy.models,
      ctx.policy.schedule,
    ),
    schedule,
    budget: budgetAdvice(ctx.policy, ctx.host.config?.raw),
  };
}
