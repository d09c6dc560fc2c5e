import { existsSync } from "node:fs";
import { Cron } from "croner";
import { countByState } from "../core/order.js";
import { activeSubagentKeys } from "../host/sessions.js";
import { resolveSchedule } from "../policy/schedule.js";
import { readHostSessions, sessionsStorePath, type Context } from "./context.js";
import { toErrorStatus } from "./errors.js";

/** What task-manager found, for a person diagnosing a setup. Never throws. */
export async function doctor(ctx: Context): Promise<Record<string, unknown>> {
  const queue = await ctx.store.read().then(
    (s) => ({ file: ctx.store.file, format: s.origin, revision: s.queue.revision, counts: countByState(s.queue), paused: s.queue.paused }),
    (err: unknown) => ({ file: ctx.store.file, error: toErrorStatus(err) }),
  );
  const storeFile = sessionsStorePath(ctx);
  const store = await readHostSessions(ctx);
  const nowMs = ctx.deps.now();
  let schedule: Record<string, unknown>;
  try {
    const s = resolveSchedule(ctx.policy.schedule, ctx.hostConfig?.heartbeatEvery ?? null);
    const next = new Cron(s.pattern, { paused: true, ...(s.intervalSeconds ? { interval: s.intervalSeconds } : {}) }).nextRun();
    schedule = { ...s, next_run: next?.toISOString() ?? null };
  } catch (err) {
    schedule = { error: toErrorStatus(err) };
  }
  return {
    node: process.version,
    workspace: { dir: ctx.workspace.dir, source: ctx.workspace.source },
    config: { file: ctx.policyFile, policy: ctx.policy },
    queue,
    host: {
      kind: ctx.host.kind,
      state_dir: ctx.hostPaths.stateDir,
      config_path: ctx.hostPaths.configPath,
      config_found: ctx.hostConfig !== null,
    },
    sessions_store: {
      file: storeFile,
      found: existsSync(storeFile),
      sessions: store ? Object.keys(store).length : 0,
      active_subagents: await activeSubagentKeys(ctx.sessionsDir, store, nowMs, ctx.policy.activeWindowMinutes * 60_000),
    },
    schedule,
  };
}
