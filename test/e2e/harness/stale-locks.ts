/**
 * Session-store locks a stopped gateway left behind.
 *
 * Clawdbot takes `<state>/agents/<id>/sessions/sessions.json.lock` (a file with its pid) for every
 * session write. A gateway that exits while holding it (SIGTERM mid-write, or SIGKILL) leaves it,
 * and the host only evicts a lock older than 30 s — after its own 10 s wait has already failed:
 * for about 20 s after a quick restart every `sessions.patch` answers "timeout acquiring session
 * store lock" (INTEGRATION.md, "Host facts"). A supervisor restarting the gateway removes a lock
 * whose owner is dead; so does the harness, before it starts a gateway again. Transcript locks
 * are left alone: whether their owner is alive is what settling a killed run is about.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export function clearDeadSessionStoreLocks(stateDir: string): string[] {
  const removed: string[] = [];
  for (const agent of listDirs(join(stateDir, "agents"))) {
    const lock = join(stateDir, "agents", agent, "sessions", "sessions.json.lock");
    const owner = lockOwner(lock);
    if (owner === undefined || isAlive(owner)) continue;
    rmSync(lock, { force: true });
    removed.push(lock);
  }
  return removed;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The pid recorded in a lock file; undefined when there is no lock or no readable pid. */
function lockOwner(lock: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(lock, "utf8")) as { pid?: unknown }).pid;
    return Number.isInteger(pid) && (pid as number) > 0 ? (pid as number) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
