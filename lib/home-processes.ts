import { readdirSync, readFileSync } from "node:fs";

/** SIGKILLs a detached child's whole process group (the gateway and what it spawned into it). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs every process whose environment has HOME=<home> (Linux /proc) and returns their pids.
 * A private host's gateway detaches helpers into process groups of their own (OpenClaw's spawn
 * broker), so killing its group is not enough to leave nothing running; the private HOME is what
 * they all share. Used by the bench and by the e2e harness.
 */
export function killByHome(home: string): number[] {
  const needle = `HOME=${home}`;
  const killed: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return killed;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(needle)) continue;
      process.kill(Number(pid), "SIGKILL");
      killed.push(Number(pid));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return killed;
}
