/**
 * After a bulk write (a `store migrate --to postgres`, a big import) the planner knew nothing
 * of the new rows until autovacuum came by, and the claim query scanned and sorted all of them
 * (~300 ms a claim at 100,000 tasks against 5 ms with statistics; bench "stores"). A change
 * that writes 1,000 rows or more refreshes the table's statistics itself; a small one does not.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queue } from "../../src/core/queue-model.js";
import { NO_TASKS } from "../../src/core/views.js";
import { queueWith } from "../helpers/fixtures.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

describe.skipIf(noPostgres)("statistics after a bulk write on PostgreSQL", () => {
  const rig = new StoreRig();
  beforeAll(() => rig.start(), 180_000);
  afterAll(() => rig.stop());

  /** When `tasks` was last analysed by hand (autovacuum's own analyses are counted apart). */
  async function lastAnalyze(): Promise<Date | null> {
    const url = rig.server!.superuserUrl.replace(/\/postgres$/, "/taskmanager");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = await client.query<{ last_analyze: Date | null }>(
        "SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = 'task_manager' AND relname = 'tasks'",
      );
      return r.rows[0]?.last_analyze ?? null;
    } finally {
      await client.end();
    }
  }

  /** A change that appends `count` new tasks. */
  const append = (count: number, tag: string) => {
    const extra = queueWith(Array.from({ length: count }, (_, i) => `${tag} ${i}`)).tasks;
    return (q: Queue) => ({ queue: { ...q, tasks: [...q.tasks, ...extra] }, result: null });
  };

  it("a write of 10 rows leaves them to autovacuum; one of 1,200 analyses the table at once", async () => {
    const ctx = await rig.context("postgres");
    await ctx.store.mutate(NO_TASKS, append(10, "small"));
    expect(await lastAnalyze()).toBeNull();
    await ctx.store.mutate(NO_TASKS, append(1200, "bulk"));
    expect(await lastAnalyze()).toBeInstanceOf(Date);
  }, 120_000);
});
