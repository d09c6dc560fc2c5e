import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";

type LockFn = typeof lockfile.lock;

export interface HolderStats {
  /** Most processes that believed they held the queue lock at one moment, as they saw it. */
  maxHolders: number;
  /** When this process first got the lock (ms since epoch), for recovery-time figures. */
  firstAcquiredAt: number | null;
}

/**
 * Wraps proper-lockfile's `lock` in this process (the package's store calls it through the same
 * module object) so every holder records itself inside the critical section: it drops a file
 * named after its pid into `dir` right after acquiring, counts the files there, and removes its
 * own before releasing. Two overlapping holders always see each other, because the first one's
 * file is only removed after it stops holding (or dies).
 * With `disable`, the wrapper does not lock at all: the no-lock control run.
 */
export function trackHolders(dir: string, disable = false): HolderStats {
  mkdirSync(dir, { recursive: true });
  const stats: HolderStats = { maxHolders: 0, firstAcquiredAt: null };
  const real = lockfile.lock;
  const wrapped: LockFn = async (file, options) => {
    const release = disable ? fakeLock(options?.lockfilePath) : await real(file, options);
    const me = path.join(dir, String(process.pid));
    writeFileSync(me, "");
    stats.firstAcquiredAt ??= Date.now();
    stats.maxHolders = Math.max(stats.maxHolders, readdirSync(dir).filter(isAlive).length);
    return async () => {
      rmSync(me, { force: true });
      await release();
    };
  };
  (lockfile as { lock: LockFn }).lock = wrapped;
  return stats;
}

/** No exclusion at all; the folder exists (shared by everyone) so the package sees "a" lock. */
function fakeLock(lockPath: string | undefined): () => Promise<void> {
  if (lockPath) mkdirSync(lockPath, { recursive: true });
  return async () => {};
}

/** A SIGKILLed holder never removes its file; only live processes (stopped ones included) count. */
function isAlive(pidName: string): boolean {
  try {
    process.kill(Number(pidName), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
