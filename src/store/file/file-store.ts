import { promises as fs } from "node:fs";
import path from "node:path";
import { isTaskManagerError, TaskManagerError } from "../../base/errors.js";
import { emptyQueue } from "../../core/queue-model.js";
import type { Queue } from "../../core/queue-model.js";
import { crashPoint } from "../../base/faults.js";
import { acquireLock, DEFAULT_LOCK, type LockOptions } from "./lock.js";
import { decodeQueue, encodeQueue } from "./codec.js";
import { publish, quarantine, readRaw, sweepStaged, type RawQueueFile } from "./queue-file.js";
import {
  cacheFor,
  freezeQueue,
  readCachingEnabled,
  type ReadCache,
} from "../../base/read-cache.js";
import { assertNoLinks } from "../../base/paths.js";
import type { MutateResult, QueueStore, Snapshot as StoreSnapshot } from "../port.js";
import { watchQueueFile } from "./watch.js";

/** A snapshot with the revision marker the file carried (for the stale-writer check). */
export interface Snapshot extends StoreSnapshot {
  marker: RawQueueFile["marker"];
}

const snapshotCaches = new Map<string, ReadCache<Snapshot>>();

export interface StoreOptions {
  workspace: string;
  /** Absolute queue path, already checked to be inside the workspace. */
  file: string;
  lock?: Partial<LockOptions>;
  now?: () => number;
}

/**
 * The only code that touches the queue file. Reads are lock-free snapshots; every change goes
 * lock → read → transform → verified atomic write → release, with nothing else in between.
 */
export class FileQueueStore implements QueueStore {
  readonly kind = "file" as const;
  readonly file: string;
  readonly lockPath: string;
  readonly #workspace: string;
  readonly #lock: LockOptions;
  readonly #now: () => number;

  constructor(opts: StoreOptions) {
    this.file = opts.file;
    this.lockPath = `${opts.file}.lock`;
    this.#workspace = opts.workspace;
    this.#lock = { ...DEFAULT_LOCK, ...opts.lock };
    this.#now = opts.now ?? Date.now;
  }

  get location(): string {
    return this.file;
  }

  watch(onChange: () => void): () => void {
    return watchQueueFile(this.file, this.#workspace, onChange);
  }

  /**
   * A consistent snapshot (the file is only ever replaced by rename). An unchanged v2 file is
   * served from the read cache (one lstat), so an idle tick does not re-parse the queue; the
   * snapshot is frozen because later reads share it (not in a one-shot process, which has no
   * cache and no later reads).
   */
  async read(): Promise<Snapshot> {
    this.#assertSafe();
    const load = async (): Promise<Snapshot> => {
      const snapshot = await this.#decode(await readRaw(this.file));
      return readCachingEnabled()
        ? Object.freeze({ ...snapshot, queue: freezeQueue(snapshot.queue) })
        : snapshot;
    };
    return cacheFor(snapshotCaches, this.file).read(this.file, load, (s) => s.origin === "v2");
  }

  /**
   * Runs `transform` on the current queue under the lock and publishes its result if it
   * returned a different queue object. Throws E_LOCKED when the lock cannot be had in time.
   */
  async mutate<T>(
    transform: (queue: Queue) => { queue: Queue; result: T },
    lock?: Partial<LockOptions>,
  ): Promise<MutateResult<T>> {
    this.#assertSafe();
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.#assertSafe();
    const held = await acquireLock(this.lockPath, this.file, { ...this.#lock, ...lock });
    try {
      crashPoint("after_lock");
      await sweepStaged(this.file);
      const raw = await readRaw(this.file);
      const snapshot = await this.#decode(raw);
      const { queue, result } = transform(snapshot.queue);
      if (queue === snapshot.queue)
        return { result, written: false, revision: snapshot.queue.revision };
      const next: Queue = { ...queue, revision: snapshot.queue.revision + 1 };
      await publish(this.file, encodeQueue(next), {
        expected: raw.marker,
        lockLost: held.compromised,
      });
      crashPoint("after_rename");
      return { result, written: true, revision: next.revision };
    } finally {
      await held.release();
    }
  }

  #assertSafe(): void {
    assertNoLinks(this.#workspace, path.dirname(this.file), "dir");
    assertNoLinks(this.#workspace, this.file, "file");
    assertNoLinks(this.#workspace, this.lockPath, "dir");
  }

  async #decode(raw: RawQueueFile): Promise<Snapshot> {
    if (raw.bytes === null) return { queue: emptyQueue(), origin: "missing", marker: raw.marker };
    try {
      const decoded = decodeQueue(raw.bytes, this.file, this.#now());
      return { ...decoded, marker: raw.marker };
    } catch (err) {
      if (isTaskManagerError(err) && err.code === "E_QUEUE_CORRUPT") {
        const copy = await quarantine(this.file, raw.bytes);
        throw new TaskManagerError(err.code, `${err.message} Quarantined copy: ${copy}`, {
          ...err.details,
          quarantine: copy,
        });
      }
      throw err;
    }
  }
}
