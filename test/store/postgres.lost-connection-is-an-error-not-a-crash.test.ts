/**
 * A database connection that dies while a change is under way (the server restarted, an
 * operator's pg_terminate_backend, a network drop) must surface as E_STORE_UNAVAILABLE from that
 * one change — never as an unhandled 'error' event, which Node turns into an uncaught exception
 * that takes the whole process (in plugin mode: the gateway) down. node-postgres emits such
 * errors on the checked-out client itself, where the pool does not listen.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../../lib/postgres-server.js";
import { addTask } from "../../src/core/tasks.js";
import { EVERYTHING } from "../../src/core/views.js";
import { PostgresQueueStore } from "../../src/store/postgres/pg-store.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

const rig = new StoreRig();

/** Ends every task-manager connection from outside, synchronously (psql as the superuser). */
function terminateOurBackends(superuserUrl: string): number {
  const psql = path.join(postgresAvailable()!, "psql");
  const out = execFileSync(
    psql,
    [
      superuserUrl,
      "-X",
      "-At",
      "-c",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'task-manager'",
    ],
    { encoding: "utf8" },
  );
  return Number(out.trim());
}

describe.skipIf(noPostgres)("a connection lost in the middle of a change", () => {
  beforeAll(() => rig.start(), 180_000);
  afterAll(() => rig.stop());

  it("is E_STORE_UNAVAILABLE for that change, writes nothing, crashes nothing, and the next change works", async () => {
    const server = rig.server!;
    const store = new PostgresQueueStore({
      url: server.url,
      schema: "task_manager",
      queue: "lost_connection",
      poolSize: 2,
    });
    const uncaught: unknown[] = [];
    const hear = (err: unknown): void => void uncaught.push(err);
    process.on("uncaughtException", hear);
    try {
      await store.read(EVERYTHING); // migrated, one pooled connection open
      let terminated = 0;
      const failed = await store
        .mutate(EVERYTHING, (queue) => {
          // The connection is checked out and between statements: end it from outside now.
          terminated = terminateOurBackends(server.superuserUrl);
          return {
            queue: addTask(queue, { prompt: "lost" }, Date.now(), "t_lost").queue,
            result: 1,
          };
        })
        .then(
          () => null,
          (err: unknown) => err as { code?: string; message?: string },
        );
      // Late socket events (the 'end' after the server's FATAL) arrive on the next turns.
      await new Promise((r) => setTimeout(r, 300));
      expect(terminated).toBeGreaterThan(0);
      expect(failed?.code, String(failed?.message)).toBe("E_STORE_UNAVAILABLE");
      expect(failed?.message).not.toContain(new URL(server.url).password);
      expect(uncaught).toEqual([]);
      expect((await store.read(EVERYTHING)).queue.tasks).toEqual([]);
      const next = await store.mutate(EVERYTHING, (queue) => ({
        queue: addTask(queue, { prompt: "after" }, Date.now(), "t_after").queue,
        result: 1,
      }));
      expect(next.written).toBe(true);
      expect((await store.read(EVERYTHING)).queue.tasks.map((t) => t.id)).toEqual(["t_after"]);
    } finally {
      process.off("uncaughtException", hear);
      await store.close();
    }
  }, 120_000);
});
