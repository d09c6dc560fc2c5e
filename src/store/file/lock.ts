import { lstatSync } from "node:fs";
import { TaskManagerError } from "../../base/errors.js";

export interface LockOptions {
  /** A lock not refreshed for this long is stale and may be taken over (proper-lockfile min 2 s). */
  staleMs: number;
  /** How long to keep trying before giving up with E_LOCKED. */
  waitMs: number;
}

export const DEFAULT_LOCK: LockOptions = { staleMs: 60_000, waitMs: 10_000 };

/**
 * How a waiting process polls: quickly at first, then at most every 25–50 ms (randomized, so
 * waiters do not poll in step). With a 100 ms cap, a process that lost a few rounds under
 * contention slept past the next holder's whole turn: 8 concurrent adders saw p99 waits of
 * ~530–580 ms, now ~270–500 ms (npm run bench); a poll costs a waiter one mkdir.
 */
const BACKOFF = { factor: 1.2, minTimeout: 5, maxTimeout: 25, randomize: true } as const;

/** Retries whose expected total sleep (randomize draws ×1–2, mean ×1.5) covers `waitMs`. */
export function retriesFor(waitMs: number): number {
  let slept = 0;
  let retries = 0;
  while (slept < waitMs) {
    slept += Math.min(BACKOFF.minTimeout * BACKOFF.factor ** retries, BACKOFF.maxTimeout) * 1.5;
    retries += 1;
  }
  return retries;
}

/**
 * A held lock. `compromised` is true once the lock is not ours any more: proper-lockfile noticed
 * (its refresh timer), or the lock folder on disk is no longer the one we created (checked on
 * every call, so a holder resumed after SIGSTOP learns it before its timer has run).
 */
export interface HeldLock {
  readonly compromised: () => boolean;
  release(): Promise<void>;
}

/**
 * Takes the cross-process lock for `lockPath` (a directory proper-lockfile creates).
 * `onCompromised` only records the loss: proper-lockfile's default throws from a timer, which
 * would crash the gateway. Writers check `compromised()` (and the revision) before publishing.
 */
export async function acquireLock(
  lockPath: string,
  target: string,
  opts: LockOptions,
): Promise<HeldLock> {
  let lost = false;
  let release: () => Promise<void>;
  try {
    // Loaded on first use: an idle heartbeat check never takes the lock, so never pays for it.
    const { default: lockfile } = await import("proper-lockfile");
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockPath,
      stale: Math.max(2000, opts.staleMs),
      retries: { retries: retriesFor(opts.waitMs), ...BACKOFF },
      onCompromised: () => {
        lost = true;
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      throw new TaskManagerError(
        "E_LOCKED",
        `The queue lock ${lockPath} is held by another task-manager process; try again in a moment.`,
        { lockPath },
      );
    }
    throw err;
  }
  const ours = identity(lockPath);
  const stillOurs = (): boolean => ours !== null && identity(lockPath) === ours;
  return {
    compromised: () => lost || !stillOurs(),
    release: async () => {
      // A taken-over lock folder belongs to the new holder: removing it would let a third in.
      if (!stillOurs()) return;
      try {
        await release();
      } catch (err) {
        // Already released or taken over: the lock is not ours any more, which is the goal.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ERELEASED" && code !== "ENOTACQUIRED" && code !== "ECOMPROMISED") throw err;
      }
    },
  };
}

/**
 * Which lock folder this is: a stale takeover removes and recreates it, and ext4 hands the
 * freed inode number straight back, so the birth time (statx btime, ns) tells them apart.
 * Where the filesystem has no birth time, the inode alone is used (weaker, still correct
 * whenever the inode differs).
 */
function identity(lockPath: string): string | null {
  const stat = lstatSync(lockPath, { bigint: true, throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}:${stat.birthtimeNs}` : null;
}
