import { promises as fs } from "node:fs";
import path from "node:path";
import { isTaskManagerError, TaskManagerError } from "../../base/errors.js";
import { fsFailure } from "../../base/fs-errors.js";
import { assertWritable } from "../../core/queue-validate.js";
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
import { selectView } from "../../core/views.js";
import { applyChange, countStates, diffQueue } from "../change.js";
import type { MutateResult, QueueStore, Scope, Snapshot as StoreSnapshot } from "../port.js";
import { watchQueueFile } from "./watch.js";

/** The whole file as read, with the revision marker it carried (for the stale-writer check). */
interface FileSnapshot extends StoreSnapshot {
  marker: RawQueueFile["marker"];
}

const snapshotCaches = new Map<string, ReadCache<FileSnapshot>>();

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
  /** One machine owns a file queue: no gateways to tell apart. */
  readonly gateways = null;
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

  /** Nothing to release: every operation opens and closes what it uses. */
  async close(): Promise<void> {}

  /**
   * A consistent view (the file is only ever replaced by rename). An unchanged v2 file is
   * served from the read cache (one lstat), so an idle tick does not re-parse the queue; the
   * snapshot is frozen because later reads share it (not in a one-shot process, which has no
   * cache and no later reads). The scope selects in memory, by the rules every store follows.
   */
  async read(scope: Scope): Promise<StoreSnapshot> {
    this.#assertSafe();
    const load = async (): Promise<FileSnapshot> => {
      const snapshot = await this.#decode(await readRaw(this.file));
      return readCachingEnabled()
        ? Object.freeze({ ...snapshot, queue: freezeQueue(snapshot.queue) })
        : snapshot;
    };
    try {
      const full = await cacheFor(snapshotCaches, this.file).read(
        this.file,
        load,
        (s) => s.origin === "v2",
      );
      return {
        queue: selectView(full.queue, scope, this.#now()),
        origin: full.origin,
        counts: full.counts,
      };
    } catch (err) {
      throw this.#named(err);
    }
  }

  /**
   * Runs `transform` on the scope's view under the lock and publishes the whole queue with its
   * changes if it returned a different queue object. Throws E_LOCKED when the lock cannot be
   * had in time.
   */
  async mutate<T>(
    scope: Scope,
    transform: (queue: Queue) => { queue: Queue; result: T },
    lock?: Partial<LockOptions>,
  ): Promise<MutateResult<T>> {
    try {
      return await this.#mutate(scope, transform, lock);
    } catch (err) {
      throw this.#named(err);
    }
  }

  async #mutate<T>(
    scope: Scope,
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
      const full = snapshot.queue;
      const view = selectView(full, scope, this.#now());
      const { queue, result } = transform(view);
      if (queue === view)
        return { result, written: false, revision: full.revision, counts: snapshot.counts };
      const changed = applyChange(full, view, diffQueue(view, queue));
      const next: Queue = { ...changed, revision: full.revision + 1 };
      // Never publish what the reader would refuse: a bug becomes this refused change.
      assertWritable(next, this.file);
      await publish(this.file, encodeQueue(next), {
        expected: raw.marker,
        lockLost: held.compromised,
      });
      crashPoint("after_rename");
      return { result, written: true, revision: next.revision, counts: countStates(next.tasks) };
    } finally {
      await held.release();
    }
  }

  /**
   * A permission, read-only or full-disk failure anywhere on the way (the folder, the lock,
   * the file, the staging copy) as its own code naming the queue and what to do.
   */
  #named(err: unknown): unknown {
    if (isTaskManagerError(err)) return err;
    return fsFailure(err, "the queue", this.file) ?? err;
  }

  #assertSafe(): void {
    assertNoLinks(this.#workspace, path.dirname(this.file), "dir");
    assertNoLinks(this.#workspace, this.file, "file");
    assertNoLinks(this.#workspace, this.lockPath, "dir");
  }

  async #decode(raw: RawQueueFile): Promise<FileSnapshot> {
    if (raw.bytes === null) {
      const queue = emptyQueue();
      return { queue, origin: "missing", marker: raw.marker, counts: countStates(queue.tasks) };
    }
    try {
      const decoded = decodeQueue(raw.bytes, this.file, this.#now());
      return { ...decoded, marker: raw.marker, counts: countStates(decoded.queue.tasks) };
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
