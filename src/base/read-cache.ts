import { lstatSync } from "node:fs";

/**
 * A file written this recently may still change without its identity changing: timestamps
 * come from a coarse clock (a few ms on Linux, 1–2 s on FAT/exFAT, HFS+ and some NFS), so an
 * in-place edit within the same tick keeps size, mtime and ctime. Such a file is never cached
 * (git's "racily clean" rule).
 */
export const RACY_WINDOW_MS = 2000;

interface Identity {
  key: string;
  /** Modified within RACY_WINDOW_MS of now, by mtime or ctime. */
  racy: boolean;
}

/**
 * dev/ino/size/mtime/ctime of a regular file, or null (missing, or not a plain file). The
 * store only ever replaces the queue by rename (a new inode); ctime also catches a hand edit
 * that restored the old mtime, since no user can set ctime.
 */
function identityOf(file: string, nowMs: number): Identity | null {
  const s = lstatSync(file, { bigint: true, throwIfNoEntry: false });
  if (!s?.isFile()) return null;
  // biome-ignore lint/complexity/useMathMinMax: bigints; Math.max takes numbers only.
  const newest = Number((s.mtimeNs > s.ctimeNs ? s.mtimeNs : s.ctimeNs) / 1_000_000n);
  return {
    key: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
    racy: nowMs - newest < RACY_WINDOW_MS,
  };
}

/**
 * Remembers the last value decoded from one file, keyed by the file's identity, so an idle
 * plugin tick costs one lstat instead of reading, parsing and validating the whole queue.
 * A value is cached only if the identity was the same before and after loading it (nothing
 * replaced the file meanwhile) and the file is not racily new. Callers share the cached value,
 * so it must be treated as immutable (the store freezes it).
 */
export class ReadCache<T> {
  #key: string | null = null;
  #value: T | undefined;

  async read(file: string, load: () => Promise<T>, cacheable: (value: T) => boolean): Promise<T> {
    if (!caching) return load();
    const before = identityOf(file, Date.now());
    if (before !== null && before.key === this.#key) return this.#value as T;
    this.#key = null;
    this.#value = undefined;
    const value = await load();
    const after = identityOf(file, Date.now());
    if (
      before !== null &&
      after !== null &&
      before.key === after.key &&
      !before.racy &&
      cacheable(value)
    ) {
      this.#key = before.key;
      this.#value = value;
    }
    return value;
  }
}

let caching = true;

/**
 * For a one-shot process (the CLI): it reads each file once, so a cache could never be hit and
 * would only add two lstats per file and the freezing of every snapshot.
 */
export function disableReadCaching(): void {
  caching = false;
}

export const readCachingEnabled = (): boolean => caching;

/**
 * One cache per file path for the life of the process: the plugin builds a fresh context
 * (and store) every tick, so a cache held by one store instance would never be hit.
 */
const MAX_CACHED_FILES = 1000;

export function cacheFor<T>(caches: Map<string, ReadCache<T>>, file: string): ReadCache<T> {
  let cache = caches.get(file);
  if (!cache) {
    // Bounded: a long-lived gateway sees a new transcript per sub-agent session.
    if (caches.size >= MAX_CACHED_FILES) caches.clear();
    cache = new ReadCache<T>();
    caches.set(file, cache);
  }
  return cache;
}

/** Freezes a decoded queue down to each task's own fields, so a shared snapshot stays intact. */
export function freezeQueue<Q extends { tasks: readonly object[] }>(queue: Q): Q {
  for (const task of queue.tasks) {
    for (const value of Object.values(task))
      if (value !== null && typeof value === "object") Object.freeze(value);
    Object.freeze(task);
  }
  for (const value of Object.values(queue)) {
    if (Array.isArray(value))
      for (const item of value) if (item !== null && typeof item === "object") Object.freeze(item);
    if (value !== null && typeof value === "object") Object.freeze(value);
  }
  return Object.freeze(queue);
}
