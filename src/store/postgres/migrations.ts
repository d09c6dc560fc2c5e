import type { Pool, PoolClient } from "pg";
import { TaskManagerError } from "../../base/errors.js";
import { inTransaction, type PgSettings } from "./connection.js";

/**
 * The database schema, as numbered migrations applied in order and recorded in
 * `<schema>.migrations`. A migration never changes once released; a change is a new one.
 * `q` quotes the schema (a validated identifier: lower-case letters, digits, underscore).
 */
const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: (q: string) => string }> = [
  {
    version: 1,
    name: "queues, tasks as rows, history, gateways",
    sql: (q) => `
      CREATE TABLE ${q}.queues (
        name text PRIMARY KEY,
        revision bigint NOT NULL DEFAULT 0,
        meta jsonb NOT NULL,
        counts jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ${q}.tasks (
        queue text NOT NULL REFERENCES ${q}.queues (name) ON DELETE CASCADE,
        id text NOT NULL,
        seq bigserial NOT NULL,
        state text NOT NULL,
        priority integer NOT NULL,
        added_at timestamptz NOT NULL,
        run_at timestamptz,
        key text,
        source text NOT NULL,
        prompt_hash text NOT NULL,
        age_base timestamptz NOT NULL,
        max_age text NOT NULL,
        max_age_hours double precision,
        finished_sort timestamptz NOT NULL,
        owner text,
        doc jsonb NOT NULL,
        PRIMARY KEY (queue, id)
      );
      CREATE INDEX tasks_due ON ${q}.tasks (queue, priority, added_at, id COLLATE "C") WHERE state = 'pending';
      CREATE INDEX tasks_retry ON ${q}.tasks (queue, run_at) WHERE state = 'pending' AND run_at IS NOT NULL;
      CREATE INDEX tasks_in_flight ON ${q}.tasks (queue) WHERE state IN ('claimed', 'running');
      CREATE INDEX tasks_age ON ${q}.tasks (queue, age_base) WHERE state = 'pending' AND max_age = 'policy';
      CREATE INDEX tasks_own_age ON ${q}.tasks (queue) WHERE state = 'pending' AND max_age = 'task';
      CREATE INDEX tasks_by_state ON ${q}.tasks (queue, state, finished_sort DESC);
      CREATE INDEX tasks_key ON ${q}.tasks (queue, key) WHERE key IS NOT NULL;
      CREATE INDEX tasks_prompt ON ${q}.tasks (queue, source, prompt_hash);
      CREATE INDEX tasks_order ON ${q}.tasks (queue, seq);
      CREATE TABLE ${q}.history (
        queue text NOT NULL REFERENCES ${q}.queues (name) ON DELETE CASCADE,
        seq bigserial NOT NULL,
        entry jsonb NOT NULL,
        PRIMARY KEY (queue, seq)
      );
      CREATE TABLE ${q}.gateways (
        id text PRIMARY KEY,
        label text NOT NULL,
        kind text NOT NULL,
        lease_seconds integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export const quoted = (schema: string): string => `"${schema}"`;

/** A lock number of our own for migrations (two hosts starting at once take turns). */
const MIGRATION_LOCK = 0x74_6d_6d_69; // "tmmi"

async function appliedVersion(client: PoolClient, q: string): Promise<number> {
  const r = await client.query<{ v: number | null }>(
    `SELECT max(version) AS v FROM ${q}.migrations`,
  );
  return r.rows[0]?.v ?? 0;
}

async function schemaExists(client: PoolClient, schema: string): Promise<boolean> {
  const r = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  return (r.rowCount ?? 0) > 0;
}

export interface MigrateReport {
  schema: string;
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

/**
 * Brings the schema up to this version, in one transaction, under an advisory lock: a second
 * host starting at the same moment waits, then finds nothing left to do. A schema newer than
 * this version (a newer task-manager wrote it) is refused, not altered.
 */
export async function migrate(pool: Pool, s: PgSettings): Promise<MigrateReport> {
  const q = quoted(s.schema);
  return inTransaction(pool, s, "BEGIN", async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    // A schema the operator created for the role is used as it is (no CREATE on the database needed).
    if (!(await schemaExists(client, s.schema))) await client.query(`CREATE SCHEMA ${q}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${q}.migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const from = await appliedVersion(client, q);
    if (from > SCHEMA_VERSION) throw newerSchema(s, from);
    const applied: MigrateReport["applied"] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query(m.sql(q));
      await client.query(`INSERT INTO ${q}.migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push({ version: m.version, name: m.name });
    }
    return { schema: s.schema, from, to: SCHEMA_VERSION, applied };
  });
}

function newerSchema(s: PgSettings, found: number): TaskManagerError {
  return new TaskManagerError(
    "E_STORE_SCHEMA",
    `The task-manager schema ${s.schema} is at version ${found}, newer than this task-manager knows (${SCHEMA_VERSION}); it was left as it is. Upgrade task-manager on this host.`,
    { schema: s.schema, found, known: SCHEMA_VERSION },
  );
}

/** Schemas this process already found current: the check costs one query per process. */
const current = new Set<string>();

/** On first use in a process: migrate if the schema is missing or older (safe when hosts race). */
export async function ensureSchema(pool: Pool, s: PgSettings): Promise<void> {
  const key = `${s.url}\0${s.schema}`;
  if (current.has(key)) return;
  const version = await inTransaction(pool, s, "BEGIN READ ONLY", async (client) => {
    if (!(await schemaExists(client, s.schema))) return 0;
    const table = await client.query("SELECT to_regclass($1) AS t", [
      `${quoted(s.schema)}.migrations`,
    ]);
    return table.rows[0]?.t ? appliedVersion(client, quoted(s.schema)) : 0;
  });
  if (version > SCHEMA_VERSION) throw newerSchema(s, version);
  if (version < SCHEMA_VERSION) await migrate(pool, s);
  current.add(key);
}
