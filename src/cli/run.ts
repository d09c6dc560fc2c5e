import { runCheck } from "../runtime/run-check.js";
import type { Context } from "../runtime/context.js";
import { resolveSchedule } from "../policy/schedule.js";
import { startScheduler, validateSchedule } from "../runtime/scheduler.js";
import { printJson } from "./output.js";

/** `task-manager run`: checks on the schedule until SIGINT/SIGTERM, one JSON line per tick. */
export async function runForeground(ctx: Context, once: boolean): Promise<void> {
  const tick = async (): Promise<void> => printJson(await runCheck(ctx));
  if (once) return tick();
  const schedule = resolveSchedule(ctx.policy.schedule, ctx.host.config?.heartbeatEvery ?? null);
  validateSchedule(schedule, ctx.policyFile);
  const scheduler = startScheduler(schedule, tick);
  ctx.deps.logger.info(
    `run: schedule ${schedule.pattern}${schedule.intervalSeconds ? ` every ${schedule.intervalSeconds}s` : ""} (${schedule.source}); next ${scheduler.nextRun()?.toISOString() ?? "never"}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      scheduler.stop();
      ctx.deps.logger.info("run: stopped");
      resolve();
    };
    // `on`, not `once`: proper-lockfile's signal-exit re-raises a signal when it finds no other
    // listener left, which would kill us mid-shutdown with the signal instead of exiting 0.
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
