import type { Pool, PoolClient } from "pg";
import { TaskManagerError } from "../../base/errors.js";
import {
  emptyQueue,
  type HistoryEntry,
  type Queue,
  type Task,
  type TaskState,
} from "../../core/queue-model.js";
import { assertWritable, checkQueue } from "../../core/queue-validate.js";
import { HISTORY_LIMIT } from "../../core/tasks.js";
import { probeIds } from "../../core/views.js";
import { isoTime } from "../../core/time.js";
import { countStates, diffQueue, metaOf, type QueueChange, type QueueMeta } from "../change.js";
import type {
  GatewayRegistry,
  MutateResult,
  QueueStore,
  Scope,
  Snapshot,
  StateCounts,
} from "../port.js";
import { describeStore, inTransaction, openPool, type PgSettings } from "./connection.js";
import { PgGateways } from "./gateways.js";
import { Listener, NOTIFY_CHANNEL } from "./listen.js";
import { ensureSchema, quoted } from "./migrations.js";
import { changeStatement } from "./rows.js";
import { prepared, viewQuery } from "./view-sql.js";

interface Head {
  revision: string;
  meta: QueueMeta;
  counts: StateCounts;
}

/** A row of a view: a task (part 0) or a history entry (part 1). */
interface ViewRow {
  part: number;
  v: unknown;
}

interface Loaded {
  queue: Queue;
  counts: StateCounts;
  exists: boolean;
}

/**
 * The queue in PostgreSQL, shared by every gateway that names the same queue. Each change is
 * one transaction that first locks the queue's row, so changes to one queue are serialized: a
 * claim sees every other gateway's claims and runs before it decides, which is what keeps
 * `maxConcurrent`, quota holds and their probes true across gateways (a row lock per task, as
 * SKIP LOCKED queues take, could not). A transaction reads only the rows its scope selects
 * (see views.ts), so its cost does not grow with the tasks stored. Reads take no lock.
 */
/** Rows written in one change from which the table's statistics are refreshed at once. */
const BULK_ROWS = 1000;

export class PostgresQueueStore implements QueueStore {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly gateways: GatewayRegistry;
  readonly #s: PgSettings;
  readonly #q: string;
  readonly #now: () => number;
  #pool: Promise<Pool> | null = null;
  readonly #listener: Listener;

  constructor(settings: PgSettings, now: () => number = Date.now) {
    this.#s = settings;
    this.#q = quoted(settings.schema);
    this.#now = now;
    this.location = describeStore(settings);
    this.gateways = new PgGateways(() => this.#ready(), settings);
    this.#listener = new Listener(settings);
  }

  /** The pool, with the schema brought up to date on first use (safe when hosts start at once). */
  #ready(): Promise<Pool> {
    if (this.#pool === null) {
      const pool = openPool(this.#s);
      this.#pool = pool.then(async (p) => {
        await ensureSchema(p, this.#s);
        return p;
      });
      // A failed start is tried again by the next operation, not remembered.
      this.#pool.catch(() => {
        this.#pool = null;
        void pool.then((p) => p.end()).catch(() => undefined);
      });
    }
    return this.#pool;
  }

  async read(scope: Scope): Promise<Snapshot> {
    const pool = await this.#ready();
    return inTransaction(
      pool,
      this.#s,
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
      async (c) => {
        const loaded = await this.#load(c, scope, false);
        return {
          queue: loaded.queue,
          origin: loaded.exists ? "v2" : "missing",
          counts: loaded.counts,
        };
      },
    );
  }

  async mutate<T>(
    scope: Scope,
    transform: (queue: Queue) => { queue: Queue; result: T },
    opts: { waitMs?: number } = {},
  ): Promise<MutateResult<T>> {
    const pool = await this.#ready();
    let upserted = 0;
    const waitMs = Math.max(1, Math.round(opts.waitMs ?? 10_000));
    // One round trip for both: a simple query (no parameters) may hold several statements.
    const begin = `BEGIN; SET LOCAL lock_timeout = ${waitMs}`;
    const out = await inTransaction(pool, this.#s, begin, async (c) => {
      const loaded = await this.#load(c, scope, true);
      const view = loaded.queue;
      const { queue, result } = transform(view);
      if (queue === view)
        return { result, written: false, revision: view.revision, counts: loaded.counts };
      const change = diffQueue(view, queue);
      upserted = change.upserts.length;
      checkWritable(view, queue, this.#s);
      const counts = countsAfter(loaded.counts, view, change);
      const revision = await this.#write(c, view, change, counts);
      return { result, written: true, revision, counts };
    });
    if (upserted >= BULK_ROWS) await this.#analyze(pool);
    return out;
  }

  /**
   * Fresh statistics after a bulk write (a `store migrate`, a big import): until autovacuum
   * gets to it, the planner knows nothing of the new rows and the claim query scanned and
   * sorted all of them (~300 ms at 100,000 tasks, 5 ms after ANALYZE; bench "stores").
   * Best effort: a role that does not own the table is skipped by PostgreSQL with a notice.
   */
  async #analyze(pool: Pool): Promise<void> {
    await pool.query(`ANALYZE ${this.#q}.tasks`).catch(() => undefined);
  }

  watch(onChange: () => void): () => void {
    return this.#listener.add(`${this.#s.schema}/${this.#s.queue}/`, onChange);
  }

  async close(): Promise<void> {
    this.#listener.close();
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await pool.then((p) => p.end()).catch(() => undefined);
  }

  /**
   * The queue row (locked for a change), then the scope's tasks and history in one more
   * statement. Two statements, not one: under READ COMMITTED each statement reads from its own
   * snapshot, and only one taken after the row lock was granted sees the change of the
   * transaction that held it.
   */
  async #load(c: PoolClient, scope: Scope, forUpdate: boolean): Promise<Loaded> {
    const row = await this.#head(c, forUpdate);
    const meta = row?.meta ?? metaOf(emptyQueue());
    const counts = { ...countStates([]), ...(row?.counts ?? {}) };
    const probes = [...probeIds({ ...emptyQueue(), ...meta })];
    const sql = viewQuery(
      this.#q,
      this.#s.queue,
      scope,
      isoTime(this.#now()),
      probes,
      scope.history ?? 0,
    );
    const rows = sql === null ? [] : (await c.query<ViewRow>(prepared(sql))).rows;
    const tasks = rows.filter((r) => r.part === 0).map((r) => r.v as Task);
    const history = rows.filter((r) => r.part === 1).map((r) => r.v as HistoryEntry);
    const queue = { ...meta, revision: Number(row?.revision ?? 0), tasks, history } as Queue;
    const checked = checkQueue(queue);
    if (!checked.ok) {
      throw new TaskManagerError(
        "E_QUEUE_CORRUPT",
        `The queue ${this.#s.queue} in ${this.location} holds a row task-manager cannot read (${checked.problem}). Nothing was changed; fix or delete that row.`,
        { store: "postgres", why: checked.problem },
      );
    }
    return { queue, counts, exists: row !== undefined };
  }

  /** The queue's row; for a change, locked — and made first if this queue has none yet. */
  async #head(c: PoolClient, forUpdate: boolean): Promise<Head | undefined> {
    const sql = `SELECT revision, meta, counts FROM ${this.#q}.queues WHERE name = $1${forUpdate ? " FOR UPDATE" : ""}`;
    const head = prepared({ text: sql, values: [this.#s.queue] });
    const found = (await c.query<Head>(head)).rows[0];
    if (found !== undefined || !forUpdate) return found;
    await c.query(
      `INSERT INTO ${this.#q}.queues (name, meta, counts) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
      [this.#s.queue, JSON.stringify(metaOf(emptyQueue())), JSON.stringify(countStates([]))],
    );
    return (await c.query<Head>(head)).rows[0];
  }

  /** The change, the queue row's new state and the notification: one statement. */
  async #write(
    c: PoolClient,
    view: Queue,
    change: QueueChange,
    counts: StateCounts,
  ): Promise<number> {
    const inView = new Set(view.tasks.map((t) => t.id));
    const sql = changeStatement(this.#q, this.#s.queue, change, inView, {
      meta: change.meta,
      counts,
      historyLimit: HISTORY_LIMIT,
      channel: NOTIFY_CHANNEL,
      notifyPrefix: `${this.#s.schema}/${this.#s.queue}/`,
    });
    const row = await c.query<{ revision: string }>(prepared(sql));
    return Number(row.rows[0]!.revision);
  }
}

/** The reader's own check, before anything is written: a change it would refuse is refused now. */
function checkWritable(view: Queue, after: Queue, s: PgSettings): void {
  // The same last check the file store makes: never write what the reader would refuse.
  assertWritable({ ...after, revision: view.revision }, `the PostgreSQL queue ${s.queue}`);
}

/** The whole queue's counts after a change, from the counts before and the states it moved. */
function countsAfter(before: StateCounts, view: Queue, change: QueueChange): StateCounts {
  const counts: Record<string, number> = { ...before };
  const old = new Map(view.tasks.map((t) => [t.id, t.state]));
  const move = (state: TaskState, by: number): void => {
    counts[state] = (counts[state] ?? 0) + by;
  };
  for (const id of change.removed) move(old.get(id)!, -1);
  for (const t of change.upserts) {
    const was = old.get(t.id);
    if (was !== undefined) move(was, -1);
    move(t.state, 1);
  }
  return counts as StateCounts;
}
