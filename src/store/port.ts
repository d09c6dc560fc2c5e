import type { Queue } from "../core/queue-model.js";

/**
 * The store port: where the queue lives and the one way it changes. The runtime sees only this;
 * each store is an adapter folder below (file/: the JSON file under a lock, the embedded
 * default). Whatever the store, every change is one transaction: a pure transform of the queue
 * it read, published only if nothing else changed it meanwhile.
 */
export interface QueueStore {
  /** Which store this is, for `doctor` and the page. */
  readonly kind: "file";
  /** Where the queue lives, for people: a file path (never a secret). */
  readonly location: string;
  /** A consistent snapshot of the whole queue; lock-free. */
  read(): Promise<Snapshot>;
  /**
   * Runs `transform` on the current queue in one transaction and publishes its result if it
   * returned a different queue object. Throws E_LOCKED when the queue cannot be had in time.
   */
  mutate<T>(
    transform: (queue: Queue) => { queue: Queue; result: T },
    opts?: { waitMs?: number },
  ): Promise<MutateResult<T>>;
  /**
   * Calls `onChange` after the queue changes, whoever changed it (another process included);
   * several changes close together may be one call. Returns the function that stops it.
   */
  watch(onChange: () => void): () => void;
}

/** Where a queue came from: nothing stored yet, the original bare array (migrated), or ours. */
export type QueueOrigin = "missing" | "legacy" | "v2";

export interface Snapshot {
  queue: Queue;
  origin: QueueOrigin;
}

export interface MutateResult<T> {
  result: T;
  written: boolean;
  revision: number;
}
