import { DUPLICATE_STATES, IN_FLIGHT_STATES, type Scope } from "../../core/views.js";
import { TASK_STATES } from "../../core/queue-model.js";

/**
 * The SQL for each view of core/views.ts: the same tasks `selectView` picks in memory, picked
 * here by indexed queries, so a view costs what it holds, not what the queue stores. Each part
 * selects ids; the tasks come back once each, in stored order (`seq`). The store contract tests
 * compare these views with the in-memory ones on the same queues.
 */

export interface Sql {
  text: string;
  values: unknown[];
}

const names = new Map<string, string>();

/**
 * The statement as a named prepared statement: each connection parses and plans a text once,
 * then reuses it (the dispatch view's plan costs twice its run). The name is the text's hash,
 * so one name never stands for two texts.
 */
export function prepared(sql: Sql): { name: string; text: string; values: unknown[] } {
  let name = names.get(sql.text);
  if (name === undefined) {
    const hash = process.getBuiltinModule("node:crypto").createHash("sha256");
    name = `tm_${hash.update(sql.text).digest("hex").slice(0, 24)}`;
    names.set(sql.text, name);
  }
  return { name, ...sql };
}

/** Pending tasks in run order (core/order.ts compareTasks; ids compare as JavaScript strings do). */
const RUN_ORDER = `priority, added_at, id COLLATE "C"`;

/** Ids of what a check sees: $1 queue, $2 now, $3 head, $4 the policy's max age (hours), $5 probe ids. */
function dispatchIds(q: string): string {
  return `
    SELECT id FROM ${q}.tasks WHERE queue = $1 AND state IN (${IN_FLIGHT_STATES.map((s) => `'${s}'`).join(", ")})
    UNION SELECT id FROM ${q}.tasks WHERE queue = $1 AND id = ANY($5::text[])
    UNION (SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND (run_at IS NULL OR run_at <= $2)
           ORDER BY ${RUN_ORDER} LIMIT $3)
    UNION (SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND run_at > $2
           ORDER BY run_at, ${RUN_ORDER} LIMIT 1)
    UNION SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND max_age = 'policy'
          AND $4::float8 IS NOT NULL AND age_base < $2::timestamptz - make_interval(secs => $4::float8 * 3600)
    UNION SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND max_age = 'task'
          AND age_base < $2::timestamptz - make_interval(secs => max_age_hours * 3600)`;
}

/** Ids of the first $6 tasks of each state in the page's order (core/views.ts pageIds). */
function pageIds(q: string): string {
  const finished = TASK_STATES.filter((s) => s !== "pending" && !IN_FLIGHT_STATES.includes(s));
  return `
    UNION (SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND (run_at IS NULL OR run_at <= $2)
           ORDER BY ${RUN_ORDER} LIMIT $6)
    UNION (SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = 'pending' AND run_at > $2
           ORDER BY run_at, ${RUN_ORDER} LIMIT $6)
    ${finished
      .map(
        (s) => `UNION (SELECT id FROM ${q}.tasks WHERE queue = $1 AND state = '${s}'
           ORDER BY finished_sort DESC, ${RUN_ORDER} LIMIT $6)`,
      )
      .join("\n    ")}`;
}

const byIds = (q: string, ids: string): string =>
  `SELECT t.seq, t.doc FROM ${q}.tasks t JOIN (${ids}) AS chosen USING (id) WHERE t.queue = $1`;

/**
 * The tasks a scope sees, or null when it sees none. `probes`: the ids the queue's holds name
 * as their probe (read from the queue row first).
 */
function taskQuery(
  q: string,
  queue: string,
  scope: Scope,
  nowIso: string,
  probes: readonly string[],
): Sql | null {
  switch (scope.tasks) {
    case "none":
      return null;
    case "all":
      return { text: `SELECT seq, doc FROM ${q}.tasks WHERE queue = $1`, values: [queue] };
    case "ids":
      return {
        text: `SELECT seq, doc FROM ${q}.tasks WHERE queue = $1 AND id = ANY($2::text[])`,
        values: [queue, [...scope.ids]],
      };
    case "states":
      return {
        text: `SELECT seq, doc FROM ${q}.tasks WHERE queue = $1 AND state = ANY($2::text[])`,
        values: [queue, [...scope.states]],
      };
    case "duplicates":
      return scope.key !== null
        ? {
            text: `SELECT seq, doc FROM ${q}.tasks WHERE queue = $1 AND state = ANY($2::text[]) AND key = $3`,
            values: [queue, [...DUPLICATE_STATES], scope.key],
          }
        : {
            text: `SELECT seq, doc FROM ${q}.tasks WHERE queue = $1 AND state = ANY($2::text[]) AND source = $3
                   AND prompt_hash = md5($4) AND doc->>'prompt' = $4`,
            values: [queue, [...DUPLICATE_STATES], scope.source, scope.prompt],
          };
    case "dispatch":
      return {
        text: byIds(q, dispatchIds(q)),
        values: [queue, nowIso, scope.head, scope.maxAgeHours, [...probes]],
      };
    case "page":
      return {
        text: byIds(q, dispatchIds(q) + pageIds(q)),
        values: [queue, nowIso, scope.head, scope.maxAgeHours, [...probes], scope.perState],
      };
  }
}

/**
 * One statement for a whole view: the scope's tasks (part 0) and the last `history` entries
 * (part 1), each in stored order — or null when the scope sees neither.
 */
export function viewQuery(
  q: string,
  queue: string,
  scope: Scope,
  nowIso: string,
  probes: readonly string[],
  history: number,
): Sql | null {
  const tasks = taskQuery(q, queue, scope, nowIso, probes) ?? {
    text: `SELECT seq, doc FROM ${q}.tasks WHERE false`,
    values: [queue],
  };
  if (history <= 0 && scope.tasks === "none") return null;
  const values = [...tasks.values];
  const parts = [`SELECT 0 AS part, seq, doc AS v FROM (${tasks.text}) t`];
  if (history > 0) {
    values.push(history);
    parts.push(`SELECT 1, seq, entry FROM (SELECT seq, entry FROM ${q}.history WHERE queue = $1
      ORDER BY seq DESC LIMIT $${values.length}) h`);
  }
  return { text: `${parts.join("\n  UNION ALL ")}\n  ORDER BY part, seq`, values };
}
