/**
 * Named crash points for the reliability suite (like SQLite's fault injection): with
 * TASK_MANAGER_CRASH_AT=<name> the process SIGKILLs itself when it reaches that point, so tests
 * can prove what survives a crash exactly there. Unset in normal use: one string compare.
 */
export const CRASH_POINTS = ["after_lock", "after_stage", "after_rename", "after_claim", "after_spawn"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const target = process.env.TASK_MANAGER_CRASH_AT;

export function crashPoint(name: CrashPoint): void {
  if (target === name) process.kill(process.pid, "SIGKILL");
}
