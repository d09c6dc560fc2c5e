/**
 * Run history is bounded (HISTORY_LIMIT): both stores keep the same last entries, whether they
 * arrive one change at a time or many in one change — the database trims in the same statement
 * that appends, where it sees only the entries stored before.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEntry, Queue } from "../../src/core/queue-model.js";
import { HISTORY_LIMIT } from "../../src/core/tasks.js";
import { EVERYTHING, NO_TASKS } from "../../src/core/views.js";
import { noPostgres, STORE_KINDS, StoreRig } from "../helpers/stores.js";

const entry = (n: number): HistoryEntry => ({
  task_id: `t_${n}`,
  outcome: "done",
  kind: null,
  started_at: null,
  ended_at: new Date(Date.UTC(2026, 11, 3, 12, 0, 0, n)).toISOString(),
  model: "p/cheap",
});

const appending =
  (from: number, count: number) =>
  (queue: Queue): { queue: Queue; result: null } => ({
    queue: {
      ...queue,
      history: [...queue.history, ...Array.from({ length: count }, (_, i) => entry(from + i))],
    },
    result: null,
  });

describe.skipIf(noPostgres)("history past its limit", () => {
  const rig = new StoreRig();
  beforeAll(() => rig.start(), 180_000);
  afterAll(() => rig.stop());

  /** What the database keeps, not only what a view shows (a view reads the last entries). */
  async function storedRows(queue: string): Promise<number> {
    const client = new pg.Client({ connectionString: rig.server!.url });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM task_manager.history WHERE queue = $1",
        [queue],
      );
      return Number(r.rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it("keeps the same last entries on the file and on PostgreSQL", async () => {
    const kept: Record<string, string[]> = {};
    for (const kind of STORE_KINDS) {
      const queueName = `q_${randomBytes(5).toString("hex")}`;
      const ctx = await rig.context(kind, { queue: queueName });
      let n = 0;
      // One at a time up to the limit, a batch that crosses it, then more than the limit at once.
      for (const count of [...Array<number>(HISTORY_LIMIT - 3).fill(1), 10, HISTORY_LIMIT + 7, 2]) {
        await ctx.store.mutate(NO_TASKS, appending(n, count));
        n += count;
      }
      const { queue } = await ctx.store.read(EVERYTHING);
      kept[kind] = queue.history.map((e) => e.task_id);
      expect(kept[kind]).toHaveLength(HISTORY_LIMIT);
      expect(kept[kind]!.at(-1)).toBe(`t_${n - 1}`);
      expect(kept[kind]![0]).toBe(`t_${n - HISTORY_LIMIT}`);
      if (kind === "postgres") expect(await storedRows(queueName)).toBe(HISTORY_LIMIT);
    }
    expect(kept.postgres).toEqual(kept.file);
  }, 180_000);
});
