import type { PoolClient } from "pg";
import type { HistoryEntry, Task } from "../../core/queue-model.js";

/**
 * Tasks as rows. The task itself is kept whole in `doc` (what the core reads and writes, so a
 * queue moves between stores losslessly); the columns the views query are derived from it in
 * SQL on every write, so they can never disagree with it.
 */
const DERIVED = `
  d->>'state',
  (d->>'priority')::integer,
  (d->>'added_at')::timestamptz,
  (d->>'run_at')::timestamptz,
  d->>'key',
  d->>'source',
  md5(d->>'prompt'),
  coalesce(d->>'age_from', d->>'added_at')::timestamptz,
  CASE WHEN NOT (d ? 'max_age_hours') THEN 'policy'
       WHEN jsonb_typeof(d->'max_age_hours') = 'null' THEN 'none' ELSE 'task' END,
  CASE WHEN jsonb_typeof(d->'max_age_hours') = 'number' THEN (d->>'max_age_hours')::float8 END,
  coalesce(d->>'finished_at', d->>'updated_at')::timestamptz,
  coalesce(d#>>'{run,owner}', d#>>'{lease,owner}'),
  d`;

const COLUMNS = `state, priority, added_at, run_at, key, source, prompt_hash, age_base, max_age,
  max_age_hours, finished_sort, owner, doc`;

/** New tasks, stored in the order given (their place in the queue). */
export async function insertTasks(
  client: PoolClient,
  q: string,
  queue: string,
  tasks: readonly Task[],
): Promise<void> {
  if (tasks.length === 0) return;
  await client.query(
    `INSERT INTO ${q}.tasks (queue, id, ${COLUMNS})
     SELECT $1, d->>'id', ${DERIVED} FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(d, n) ORDER BY n`,
    [queue, JSON.stringify(tasks)],
  );
}

/** Tasks the view held and the transform changed: rewritten in place (they keep their order). */
export async function updateTasks(
  client: PoolClient,
  q: string,
  queue: string,
  tasks: readonly Task[],
): Promise<void> {
  if (tasks.length === 0) return;
  await client.query(
    `UPDATE ${q}.tasks t SET (${COLUMNS}) = (SELECT ${DERIVED})
     FROM jsonb_array_elements($2::jsonb) AS x(d) WHERE t.queue = $1 AND t.id = d->>'id'`,
    [queue, JSON.stringify(tasks)],
  );
}

export async function deleteTasks(
  client: PoolClient,
  q: string,
  queue: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await client.query(`DELETE FROM ${q}.tasks WHERE queue = $1 AND id = ANY($2::text[])`, [
    queue,
    [...ids],
  ]);
}

/** Appends history entries, then keeps the last `limit` (the file keeps as many). */
export async function appendHistory(
  client: PoolClient,
  q: string,
  queue: string,
  entries: readonly HistoryEntry[],
  limit: number,
): Promise<void> {
  if (entries.length === 0) return;
  await client.query(
    `INSERT INTO ${q}.history (queue, entry)
     SELECT $1, e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n`,
    [queue, JSON.stringify(entries)],
  );
  await client.query(
    `DELETE FROM ${q}.history WHERE queue = $1 AND seq < (
       SELECT min(seq) FROM (SELECT seq FROM ${q}.history WHERE queue = $1 ORDER BY seq DESC LIMIT $2) kept)`,
    [queue, limit],
  );
}
