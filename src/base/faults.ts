/**
 * Named fault points for the reliability suite (like SQLite's fault injection). Unset in normal
 * use, each point costs one comparison.
 *
 * - TASK_MANAGER_CRASH_AT=<name>[#n]: SIGKILL this process the n-th time (default 1st) it
 *   reaches <name>, so tests can prove what survives a crash exactly there (e.g.
 *   `after_rename#2` is the rename of the second write: a dispatch's ack).
 * - TASK_MANAGER_PAUSE_AT=<name>: SIGSTOP this process there (a frozen lock holder, as after a
 *   laptop sleep); the test resumes it with SIGCONT.
 */
export const CRASH_POINTS = [
  "after_lock",
  "after_stage",
  "after_rename",
  "after_claim",
  "after_spawn",
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

function parseTarget(spec: string | undefined): { name: string; hit: number } | null {
  if (!spec) return null;
  const [name = "", nth] = spec.split("#");
  return { name, hit: nth === undefined ? 1 : Number(nth) };
}

const crashAt = parseTarget(process.env.TASK_MANAGER_CRASH_AT);
const pauseAt = process.env.TASK_MANAGER_PAUSE_AT;
let crashHits = 0;

export function crashPoint(name: CrashPoint): void {
  if (pauseAt === name) process.kill(process.pid, "SIGSTOP");
  if (crashAt?.name !== name) return;
  crashHits += 1;
  if (crashHits === crashAt.hit) process.kill(process.pid, "SIGKILL");
}
