import type { HistoryEntry } from "../../core/queue-model.js";
import type { QueueChange } from "../change.js";
import type { Sql } from "./view-sql.js";

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

/** What a change writes besides its rows: the queue row's new state and the notification. */
export interface HeadWrite {
  meta: unknown | null;
  counts: unknown;
  historyLimit: number;
  channel: string;
  /** The notification's text before the new revision ("<schema>/<queue>/"). */
  notifyPrefix: string;
}

/**
 * A whole change as one statement (one round trip): each part a data-modifying CTE, run once
 * and to completion whether or not the final SELECT reads it, all on the statement's snapshot.
 * The parts touch different rows, so none needs to see another's effect — except the history
 * trim, which sees only the entries stored before this change and so keeps the last
 * `limit - appended` of them. The queue row's update returns the new revision, which is also
 * notified (delivered at commit, see listen.ts).
 */
export function changeStatement(
  q: string,
  queue: string,
  change: QueueChange,
  inView: ReadonlySet<string>,
  head: HeadWrite,
): Sql {
  const values: unknown[] = [queue];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const parts: string[] = [];
  if (change.removed.length > 0)
    parts.push(
      `DELETE FROM ${q}.tasks WHERE queue = $1 AND id = ANY(${param([...change.removed])}::text[])`,
    );
  const updated = change.upserts.filter((t) => inView.has(t.id));
  if (updated.length > 0)
    parts.push(`UPDATE ${q}.tasks t SET (${COLUMNS}) = (SELECT ${DERIVED})
      FROM jsonb_array_elements(${param(json(updated))}::jsonb) AS x(d) WHERE t.queue = $1 AND t.id = d->>'id'`);
  // A new task's id must be new: the primary key refuses one the view did not show.
  const inserted = change.upserts.filter((t) => !inView.has(t.id));
  if (inserted.length > 0)
    parts.push(`INSERT INTO ${q}.tasks (queue, id, ${COLUMNS})
      SELECT $1, d->>'id', ${DERIVED} FROM jsonb_array_elements(${param(json(inserted))}::jsonb)
      WITH ORDINALITY AS x(d, n) ORDER BY n`);
  parts.push(...historyParts(q, change.appended, head.historyLimit, param));
  const ctes = parts.map((sql, i) => `w${i} AS (${sql})`);
  ctes.push(`head AS (UPDATE ${q}.queues SET revision = revision + 1,
      meta = coalesce(${param(head.meta === null ? null : json(head.meta))}::jsonb, meta),
      counts = ${param(json(head.counts))}::jsonb, updated_at = now()
      WHERE name = $1 RETURNING revision)`);
  const channel = param(head.channel);
  const prefix = param(head.notifyPrefix);
  return {
    text: `WITH ${ctes.join(",\n  ")}
      SELECT revision, pg_notify(${channel}, ${prefix} || revision) FROM head`,
    values,
  };
}

/** Appends history entries and keeps the last `limit` (the file keeps as many). */
function historyParts(
  q: string,
  appended: readonly HistoryEntry[],
  limit: number,
  param: (value: unknown) => string,
): string[] {
  if (appended.length === 0) return [];
  const entries = appended.slice(-limit);
  // Entries stored before this change that stay; none when the new ones fill the limit.
  const keepOld = param(limit - entries.length);
  return [
    `INSERT INTO ${q}.history (queue, entry)
      SELECT $1, e FROM jsonb_array_elements(${param(json(entries))}::jsonb)
      WITH ORDINALITY AS x(e, n) ORDER BY n`,
    `DELETE FROM ${q}.history WHERE queue = $1 AND seq < coalesce((
      SELECT min(seq) FROM (SELECT seq FROM ${q}.history WHERE queue = $1
        ORDER BY seq DESC LIMIT ${keepOld}::integer) kept), 9223372036854775807)`,
  ];
}

const json = (value: unknown): string => JSON.stringify(value);
