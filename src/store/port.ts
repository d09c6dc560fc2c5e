import type { Queue, TaskState } from "../core/queue-model.js";
import type { Scope } from "../core/views.js";

export type { Scope, TaskScope } from "../core/views.js";

/**
 * The store port: where the queue lives and the one way it changes. The runtime sees only this;
 * each store is an adapter folder below — file/ (the JSON file under a lock, the embedded
 * default) and postgres/ (one queue shared by several gateways).
 *
 * Every operation names its scope: the tasks it needs to see. A store loads only those (the
 * database, by index; the file, by filtering what it read), hands the pure core a queue holding
 * them plus the queue-wide state (holds, cooldowns, pause, alerts…), and writes back only what
 * the transform changed. Both stores build the view by the same rules, so the core decides the
 * same whatever the store, and no operation's cost grows with the tasks it does not touch.
 */
export interface QueueStore {
  /** Which store this is, for `doctor` and the page. */
  readonly kind: StoreKind;
  /** Where the queue lives, for people: a file path, or a database without its password. */
  readonly location: string;
  /**
   * The gateways that share this queue, for a store several gateways can share (PostgreSQL);
   * null for the file, which one machine owns. On a shared store each claim and run carries
   * its gateway, and only that gateway settles it — until it stops heartbeating.
   */
  readonly gateways: GatewayRegistry | null;
  /** A consistent view of the queue as `scope` sees it; takes no lock. */
  read(scope: Scope): Promise<Snapshot>;
  /**
   * Runs `transform` on the view `scope` selects, in one transaction, and publishes its result
   * if it returned a different queue object. Throws E_LOCKED when the queue cannot be had in
   * `waitMs`, E_STORE_UNAVAILABLE when the store cannot be reached; nothing is written then.
   */
  mutate<T>(
    scope: Scope,
    transform: (queue: Queue) => { queue: Queue; result: T },
    opts?: { waitMs?: number },
  ): Promise<MutateResult<T>>;
  /**
   * Calls `onChange` after the queue changes, whoever changed it (another process or gateway);
   * several changes close together may be one call. Returns the function that stops it.
   */
  watch(onChange: () => void): () => void;
  /** Releases connections (a gateway stopping, a CLI command ending). */
  close(): Promise<void>;
}

export type StoreKind = "file" | "postgres";

/** Where a queue came from: nothing stored yet, the original bare array (migrated), or ours. */
export type QueueOrigin = "missing" | "legacy" | "v2";

/** Tasks per state in the whole queue, whatever the scope. */
export type StateCounts = Record<TaskState, number>;

export interface Snapshot {
  /** The queue as the scope sees it: the selected tasks and all queue-wide state. */
  queue: Queue;
  origin: QueueOrigin;
  counts: StateCounts;
}

export interface MutateResult<T> {
  result: T;
  written: boolean;
  revision: number;
  /** Tasks per state in the whole queue after the change. */
  counts: StateCounts;
}

/** A gateway as the shared store knows it. */
export interface GatewayRecord {
  id: string;
  label: string;
  /** plugin: a gateway's dispatcher; cli: a host whose heartbeat runs the CLI (skill mode). */
  kind: "plugin" | "cli";
  started_at: string;
  heartbeat_at: string;
  /** How long without a heartbeat before its runs are recovered by another gateway. */
  lease_seconds: number;
  /** Past its lease now. */
  lost: boolean;
}

export interface GatewayRegistry {
  /** Says this gateway is alive; the first call registers it. */
  heartbeat(gateway: {
    id: string;
    label: string;
    kind: "plugin" | "cli";
    leaseSeconds: number;
  }): Promise<void>;
  /** Gateways past their lease (by the store's clock, so machines' clocks do not matter). */
  lost(): Promise<Set<string>>;
  list(): Promise<GatewayRecord[]>;
}
