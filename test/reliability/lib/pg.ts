import pg from "pg";
import { postgresAvailable, startPostgres, type PgServer } from "../../../lib/postgres-server.ts";
import type { Queue } from "../../../dist/core/queue-model.js";
import { EVERYTHING } from "../../../dist/core/views.js";
import { PostgresQueueStore } from "../../../dist/store/postgres/pg-store.js";
import { makeSandbox, OPEN_POLICY, type Sandbox } from "./env.ts";

/**
 * The reliability suite on PostgreSQL: sandboxes ("hosts") whose policy puts the queue in one
 * real server, and instruments that look at the database from outside, as the superuser —
 * never through the store under test.
 */
export const SCHEMA = "task_manager";

/**
 * Skipped only on a machine without PostgreSQL; where the machine must be complete
 * (TASK_MANAGER_REQUIRE_HOST=1, as in CI) a missing server fails the suite instead.
 */
export const noPostgres =
  postgresAvailable() === null && process.env.TASK_MANAGER_REQUIRE_HOST !== "1";

export interface PgSandbox extends Sandbox {
  queue: string;
}

/** A host: its own workspace and state folder (so its own gateway identity), on `queue`. */
export function pgSandbox(
  name: string,
  server: PgServer,
  queue: string,
  policy: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): PgSandbox {
  const s = makeSandbox(name, {
    ...OPEN_POLICY,
    ...policy,
    store: { kind: "postgres", queue, ...(policy.store as object | undefined) },
  });
  s.env = { ...s.env, TASK_MANAGER_DATABASE_URL: server.url, ...env };
  return { ...s, queue };
}

export const startServer = (): Promise<PgServer> => startPostgres();

/** The password in a URL, to prove it never reaches an output. */
export const passwordOf = (url: string): string => decodeURIComponent(new URL(url).password);

/** The superuser in the database the queues live in. */
const dbUrl = (server: PgServer): string =>
  server.superuserUrl.replace(/\/postgres$/, "/taskmanager");

export async function withClient<T>(url: string, body: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "tm-reliability" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The queue as a reader of the package sees it (validated); throws if it cannot be read. */
export async function readPgQueue(server: PgServer, queue: string): Promise<Queue> {
  const store = new PostgresQueueStore({ url: server.url, schema: SCHEMA, queue, poolSize: 1 });
  try {
    return (await store.read(EVERYTHING)).queue;
  } finally {
    await store.close();
  }
}

export interface Consistency {
  /** The queue row's per-state counts equal the rows' states (a half-written change breaks this). */
  countsMatch: boolean;
  stored: Record<string, number>;
  actual: Record<string, number>;
  /** Rows whose indexed columns disagree with the task document they were derived from. */
  derivedMismatch: number;
}

/** Whether every committed change was whole: counts, derived columns and documents agree. */
export async function consistency(server: PgServer, queue: string): Promise<Consistency> {
  return withClient(dbUrl(server), async (c) => {
    const head = await c.query<{ counts: Record<string, number> | null }>(
      `SELECT counts FROM ${SCHEMA}.queues WHERE name = $1`,
      [queue],
    );
    const rows = await c.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM ${SCHEMA}.tasks WHERE queue = $1 GROUP BY state`,
      [queue],
    );
    const derived = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${SCHEMA}.tasks WHERE queue = $1 AND (
         state IS DISTINCT FROM doc->>'state' OR id IS DISTINCT FROM doc->>'id'
         OR priority IS DISTINCT FROM (doc->>'priority')::integer
         OR owner IS DISTINCT FROM coalesce(doc#>>'{run,owner}', doc#>>'{lease,owner}'))`,
      [queue],
    );
    const stored = Object.fromEntries(
      Object.entries(head.rows[0]?.counts ?? {}).filter(([, n]) => n !== 0),
    );
    const actual = Object.fromEntries(rows.rows.map((r) => [r.state, Number(r.n)]));
    const same =
      Object.keys({ ...stored, ...actual }).every((k) => stored[k] === actual[k]) &&
      (head.rows.length > 0 || rows.rows.length === 0);
    return { countsMatch: same, stored, actual, derivedMismatch: Number(derived.rows[0]!.n) };
  });
}

/**
 * Checks every committed state of every queue for tasks in flight (claimed + running): a
 * deferred trigger on the tasks table counts them at each commit, under one advisory lock held
 * to the end of the transaction, so each count sees every commit before it — whether or not
 * the store itself serializes its changes. Not a sample: every committed state is counted.
 * Install after the schema exists (the first process's migration).
 */
export async function installInFlightProbe(server: PgServer): Promise<void> {
  await withClient(dbUrl(server), async (c) => {
    await c.query(`
      CREATE SCHEMA IF NOT EXISTS tm_probe;
      CREATE TABLE IF NOT EXISTS tm_probe.in_flight (
        queue text PRIMARY KEY, max_seen integer NOT NULL, checks bigint NOT NULL);
      CREATE OR REPLACE FUNCTION tm_probe.count_in_flight() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
      DECLARE
        q text := coalesce(NEW.queue, OLD.queue);
        n integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('tm_probe.in_flight'));
        SELECT count(*) INTO n FROM ${SCHEMA}.tasks WHERE queue = q AND state IN ('claimed', 'running');
        INSERT INTO tm_probe.in_flight AS f (queue, max_seen, checks) VALUES (q, n, 1)
          ON CONFLICT (queue) DO UPDATE SET max_seen = greatest(f.max_seen, n), checks = f.checks + 1;
        RETURN NULL;
      END $$;
      DROP TRIGGER IF EXISTS tm_probe_in_flight ON ${SCHEMA}.tasks;
      CREATE CONSTRAINT TRIGGER tm_probe_in_flight AFTER INSERT OR UPDATE OR DELETE ON ${SCHEMA}.tasks
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tm_probe.count_in_flight();`);
  });
}

/** The most tasks in flight at any commit, and how many row changes were checked. */
export async function readInFlightProbe(
  server: PgServer,
  queue: string,
): Promise<{ maxInFlight: number; checks: number }> {
  return withClient(dbUrl(server), async (c) => {
    const r = await c.query<{ max_seen: number; checks: string }>(
      "SELECT max_seen, checks FROM tm_probe.in_flight WHERE queue = $1",
      [queue],
    );
    return { maxInFlight: r.rows[0]?.max_seen ?? 0, checks: Number(r.rows[0]?.checks ?? 0) };
  });
}

/** Ends every connection task-manager holds (the pool's and the LISTEN one); returns how many. */
export async function terminateBackends(server: PgServer): Promise<number> {
  return withClient(server.superuserUrl, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
       WHERE application_name LIKE 'task-manager%' AND pid <> pg_backend_pid()`,
    );
    return Number(r.rows[0]!.n);
  });
}

/** Runs `migrate` once so the tables exist before anyone instruments them. */
export async function migrateNow(server: PgServer, queue: string): Promise<void> {
  const store = new PostgresQueueStore({ url: server.url, schema: SCHEMA, queue, poolSize: 1 });
  try {
    await store.read({ tasks: "none" });
  } finally {
    await store.close();
  }
}
