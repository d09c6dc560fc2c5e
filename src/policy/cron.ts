import { Cron } from "croner";
import type { Schedule } from "./schedule.js";

// croner lives here, apart from schedule.ts: the heartbeat check reads durations but never
// needs a cron pattern, and must not pay for loading croner.
/** Why croner refuses a pattern, or null when it accepts it (checked without starting a timer). */
export function cronProblem(pattern: string): string | null {
  try {
    new Cron(pattern, { paused: true }).stop();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** When a resolved schedule fires next after now, without starting a timer. */
export function nextScheduledRun(schedule: Schedule): Date | null {
  const interval = schedule.intervalSeconds ? { interval: schedule.intervalSeconds } : {};
  const job = new Cron(schedule.pattern, { paused: true, ...interval });
  const next = job.nextRun();
  job.stop();
  return next;
}
