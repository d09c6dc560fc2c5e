import pg from "pg";

/**
 * Fault points inside the PostgreSQL store's transactions, for the driver only (test code: the
 * package's own points, TASK_MANAGER_CRASH_AT, sit between transactions). node-postgres is
 * loaded once per process, so wrapping its Client's `query` here reaches the store's pool:
 *  - after_lock: the queue's row is locked (SELECT … FOR UPDATE answered);
 *  - after_write: the change's one statement (task rows, history, the queue row and the
 *    notification, see rows.ts) answered, when it wrote a task row; COMMIT not sent;
 *  - before_commit: the change is complete in the transaction; COMMIT not sent;
 *  - in_commit: COMMIT sent, its answer not awaited (it may or may not have committed).
 * TM_PG_CRASH_AT=<point>[#n] SIGKILLs the process the n-th time it reaches the point;
 * TM_PG_PAUSE_AT=<point>[#n] SIGSTOPs it there (a holder frozen mid-transaction).
 * TM_PG_NO_QUEUE_LOCK=1 drops the queue row lock from every change: the control run that must
 * break what the lock keeps.
 */
export const PG_POINTS = ["after_lock", "after_write", "before_commit", "in_commit"] as const;
export type PgPoint = (typeof PG_POINTS)[number];

interface Target {
  point: string;
  hit: number;
}

function parse(spec: string | undefined): Target | null {
  if (!spec) return null;
  const [point = "", nth] = spec.split("#");
  return { point, hit: nth === undefined ? 1 : Number(nth) };
}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;

const textOf = (config: unknown): string =>
  typeof config === "string" ? config : ((config as { text?: string } | null)?.text ?? "");

const TASK_WRITE = /\b(INSERT INTO|UPDATE) "[^"]+"\.tasks\b/;
const QUEUE_WRITE = /\bUPDATE "[^"]+"\.queues SET revision/;
const QUEUE_LOCK = /FROM "[^"]+"\.queues WHERE name = \$1 FOR UPDATE/;

export function installPgFaults(env: NodeJS.ProcessEnv = process.env): void {
  const crash = parse(env.TM_PG_CRASH_AT);
  const pause = parse(env.TM_PG_PAUSE_AT);
  const noLock = env.TM_PG_NO_QUEUE_LOCK === "1";
  if (!crash && !pause && !noLock) return;
  const hits = new Map<string, number>();
  const reach = (point: PgPoint): void => {
    const n = (hits.get(point) ?? 0) + 1;
    hits.set(point, n);
    if (pause?.point === point && pause.hit === n) process.kill(process.pid, "SIGSTOP");
    if (crash?.point === point && crash.hit === n) process.kill(process.pid, "SIGKILL");
  };
  const proto = pg.Client.prototype as unknown as { query: Query };
  const real = proto.query;
  const wrote = new WeakSet<object>();
  proto.query = function (this: pg.Client, ...args: unknown[]): unknown {
    let text = textOf(args[0]);
    if (noLock && QUEUE_LOCK.test(text)) {
      text = text.replace(/ FOR UPDATE$/, "");
      args[0] = typeof args[0] === "string" ? text : { ...(args[0] as object), text };
    }
    if (/^\s*BEGIN/.test(text)) wrote.delete(this);
    if (QUEUE_WRITE.test(text)) wrote.add(this);
    const committing = text === "COMMIT" && wrote.has(this);
    if (committing) reach("before_commit");
    const answer = real.apply(this, args);
    if (committing) reach("in_commit");
    const after: PgPoint | null = QUEUE_LOCK.test(textOf(args[0]))
      ? "after_lock"
      : TASK_WRITE.test(text)
        ? "after_write"
        : null;
    if (after === null || !(answer instanceof Promise)) return answer;
    return answer.then((result: unknown) => {
      reach(after);
      return result;
    });
  };
}
