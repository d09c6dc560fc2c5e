import type { Pool, PoolClient } from "pg";
import { isTaskManagerError, TaskManagerError } from "../../base/errors.js";

/** How to reach the shared queue: resolved from the policy's `store` and the environment. */
export interface PgSettings {
  /** The connection URL, password included: never printed (see `redactUrl`). */
  url: string;
  /** The schema its tables live in (a validated identifier). */
  schema: string;
  /** The queue's name: gateways naming the same queue share it. */
  queue: string;
  poolSize: number;
}

/** The URL without its password (and without query parameters, which may carry secrets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    return `postgres://${user}${u.host}${u.pathname}`;
  } catch {
    return "postgres://(unreadable URL)";
  }
}

/** Where the queue lives, for people: server, database, schema and queue — no password. */
export const describeStore = (s: PgSettings): string =>
  `${redactUrl(s.url)} (schema ${s.schema}, queue ${s.queue})`;

/** Checks a URL before anything connects: a bad one is a config error naming the key, without its text. */
export function checkUrl(url: string, where: string): void {
  let ok = false;
  try {
    const u = new URL(url);
    ok = (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
  } catch {
    ok = false;
  }
  if (!ok)
    throw new TaskManagerError(
      "E_CONFIG_INVALID",
      `The PostgreSQL URL from ${where} is not a postgres://user:password@host:port/database URL (it is not shown here: it may hold a password).`,
      { key: "store.url" },
    );
}

/** SQLSTATE classes and codes that mean "the database cannot be used right now". */
const UNAVAILABLE_SQLSTATE = /^(08|57P0|53|28|3D000)/;
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
]);

function unavailable(err: { code?: string; message?: string }): boolean {
  const code = err.code ?? "";
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) return true;
  const message = err.message ?? "";
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/**
 * A driver or server failure as task-manager's error: E_LOCKED when the queue stayed locked
 * past the wait, E_STORE_UNAVAILABLE when the database cannot be reached or refuses the role,
 * E_STORE_SCHEMA when the role may not use the schema. Messages name the server without the
 * password; the transaction was rolled back, so nothing changed.
 */
export function storeError(err: unknown, s: PgSettings): Error {
  if (isTaskManagerError(err)) return err;
  const e = err as { code?: string; message?: string };
  const where = describeStore(s);
  const reason = (e.message ?? String(err)).replaceAll(s.url, redactUrl(s.url));
  if (e.code === "55P03")
    return new TaskManagerError(
      "E_LOCKED",
      `The queue ${s.queue} in ${redactUrl(s.url)} is locked by another task-manager transaction; try again in a moment.`,
      { store: "postgres" },
    );
  if (e.code === "42501" || e.code === "3F000")
    return new TaskManagerError(
      "E_STORE_SCHEMA",
      `The database role may not use task-manager's schema in ${where}: ${reason}. Give it the schema (INTEGRATION.md, "PostgreSQL store": the role and grants it needs), then run \`task-manager db migrate\`.`,
      { store: "postgres", code: e.code },
    );
  if (e.code === "22P05" || e.code === "22021")
    return new TaskManagerError(
      "E_INVALID_INPUT",
      `PostgreSQL refused a text value (${reason}); remove NUL and invalid characters from the task's fields.`,
      { store: "postgres" },
    );
  if (unavailable(e))
    return new TaskManagerError(
      "E_STORE_UNAVAILABLE",
      `Cannot use the task-manager database ${where}: ${reason}. Nothing was changed; the next check tries again. Check that PostgreSQL is running and that store.url or TASK_MANAGER_DATABASE_URL is right.`,
      { store: "postgres", code: e.code ?? null },
    );
  return new TaskManagerError(
    "E_INTERNAL",
    `The task-manager database ${where} failed: ${reason}. Nothing was changed.`,
    { store: "postgres", code: e.code ?? null },
  );
}

/**
 * A transaction left idle this long belongs to a frozen client (SIGSTOP, a laptop asleep): the
 * server ends it, so the queue's row lock it holds does not stop every other gateway until the
 * client wakes. Our transactions never wait between statements on anything but the CPU.
 */
const IDLE_IN_TRANSACTION_MS = 10_000;

/**
 * A pool of connections. node-postgres is loaded on first use (the file store never pays for
 * it). Idle connections let a CLI process exit; an idle connection's error (a restarted server)
 * is dropped rather than thrown into the gateway — the next query reconnects.
 */
export async function openPool(s: PgSettings): Promise<Pool> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: s.url,
    max: s.poolSize,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: "task-manager",
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  pool.on("error", () => undefined);
  return pool;
}

/** Runs `body` in one transaction on a pooled connection; any failure rolls it back. */
export async function inTransaction<T>(
  pool: Pool,
  s: PgSettings,
  begin: string,
  body: (client: PoolClient) => Promise<T>,
): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw storeError(err, s);
  }
  let broken = false;
  // A connection that dies while checked out emits "error" on the client, where the pool does
  // not listen: unheard, Node throws it and takes the process (a whole gateway) down. The
  // statement under way fails on its own; this only marks the connection as not reusable.
  const onError = (): void => {
    broken = true;
  };
  client.on("error", onError);
  try {
    await client.query(begin);
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw storeError(err, s);
  } finally {
    // A connection that failed mid-transaction is not handed to the next caller.
    client.removeListener("error", onError);
    client.release(broken);
  }
}
