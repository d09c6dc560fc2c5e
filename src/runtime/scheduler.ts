import { Cron } from "croner";
import { TaskManagerError } from "../base/errors.js";
import { cronProblem } from "../policy/cron.js";
import type { Schedule } from "../policy/schedule.js";

export interface Scheduler {
  nextRun(): Date | null;
  stop(): void;
}

/** Checks a croner pattern without starting a timer; a bad one names the `schedule` key. */
export function validateSchedule(schedule: Schedule, file: string | null): void {
  const problem = cronProblem(schedule.pattern);
  if (problem === null) return;
  throw new TaskManagerError(
    "E_CONFIG_INVALID",
    `Invalid task-manager config in ${file ?? "(defaults)"}: key "schedule": ${problem} (expected a croner pattern like "0 */30 * * * *" or "heartbeat").`,
    { key: "schedule" },
  );
}

/**
 * Runs `tick` on the schedule. `protect` skips a tick while the previous one still runs, so
 * checks never overlap; errors are the tick's to report (ticks here never throw).
 */
export function startScheduler(schedule: Schedule, tick: () => Promise<void>): Scheduler {
  const job = new Cron(
    schedule.pattern,
    { protect: true, ...(schedule.intervalSeconds ? { interval: schedule.intervalSeconds } : {}) },
    async () => {
      await tick();
    },
  );
  return { nextRun: () => job.nextRun(), stop: () => job.stop() };
}
