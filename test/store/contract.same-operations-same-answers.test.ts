/**
 * The store contract: one core, so the same operations on the same clock give the same answers
 * and leave the same queue whatever the store — the file in the workspace or PostgreSQL. Every
 * runtime operation a user, the page or the plugin can call is run through both here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewTask } from "../../src/core/tasks.js";
import { EVERYTHING } from "../../src/core/views.js";
import type { Context } from "../../src/runtime/context.js";
import { dispatchOnce } from "../../src/runtime/dispatch.js";
import * as ops from "../../src/runtime/operations.js";
import { runCheck } from "../../src/runtime/run-check.js";
import { noPostgres, type StoreKind, StoreRig } from "../helpers/stores.js";

const T0 = Date.parse("2026-12-03T12:00:00.000Z");

/** A context with a clock the test moves and ids and tokens that repeat run after run. */
async function rigged(
  rig: StoreRig,
  kind: StoreKind,
): Promise<{ ctx: Context; tick(ms: number): void }> {
  let now = T0;
  let n = 0;
  const ctx = await rig.context(kind, {
    input: { models: ["p/cheap", "q/other"], maxConcurrent: 2, retry: { baseDelayMs: 1000 } },
    deps: {
      now: () => now,
      newId: () => `t_${(++n).toString(36)}`,
      newToken: () => `tok${n}`,
      random: () => 0.5,
      // The machine is not part of the story: its load would differ between the two runs.
      observeSystem: () => ({ loadPerCore: 0.1, freeMemoryMB: 4096 }),
    },
  });
  const tick = (ms: number): void => {
    now += ms;
  };
  return { ctx, tick };
}

/** The same story on one store; returns everything it answered, then the queue it left. */
async function story(rig: StoreRig, kind: StoreKind): Promise<unknown[]> {
  const { ctx, tick } = await rigged(rig, kind);
  const out: unknown[] = [];
  // Where each queue lives differs, and a shared store records which gateway claimed and ran.
  const here = (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value ?? null).replaceAll(ctx.workspace.dir, "(workspace)"),
      (k, v) => (k === "owner" ? undefined : v),
    );
  const say = (label: string, value: unknown): void => void out.push([label, here(value)]);
  const spawned: string[] = [];
  const spawner = {
    spawn: async (r: { sessionKey: string }) => {
      spawned.push(r.sessionKey);
      return { runId: `run-${spawned.length}` };
    },
  };

  const added = async (label: string, input: NewTask): Promise<string> => {
    const r = await ops.addTask(ctx, input);
    say(label, r);
    return r.task.id;
  };
  const a = await added("add a", { prompt: "write the report", priority: 3 });
  const b = await added("add b", { prompt: "call the vendor", key: "vendor" });
  await added("add b again", { prompt: "call the vendor again", key: "vendor" });
  const c = await added("add c", { prompt: "archive", priority: 9, maxAgeHours: 1 });
  tick(1000);
  say("dispatch 1", await dispatchOnce(ctx, spawner));
  say("dispatch 2", await dispatchOnce(ctx, spawner));
  say("dispatch 3 (at the cap)", await runCheck(ctx));
  tick(1000);
  say(
    "fail a on a rate limit",
    await ops.failTask(ctx, a, "429 rate limited; Retry-After: 600 seconds"),
  );
  say("done b", await ops.completeTask(ctx, b));
  tick(2 * 3_600_000);
  say("check after 2 h (c expired, a probes)", await runCheck(ctx));
  say("revive c", await ops.reviveExpired(ctx, c));
  say("priority c", await ops.setPriority(ctx, c, 1));
  say("pause", await ops.setPaused(ctx, true));
  say("check paused", await runCheck(ctx));
  say("resume", await ops.setPaused(ctx, false));
  say("list", await ops.listTasks(ctx, false));
  say("remove c", await ops.removeTask(ctx, c));
  say("stats", await ops.stats(ctx));
  say("list all", await ops.listTasks(ctx, true));
  const { queue } = await ctx.store.read(EVERYTHING);
  say("queue", { ...queue, revision: "(store's own)" });
  say("spawned", spawned);
  return out;
}

describe.skipIf(noPostgres)(
  "the same operations answer the same on the file and on PostgreSQL",
  () => {
    const rig = new StoreRig();
    beforeAll(() => rig.start(), 180_000);
    afterAll(() => rig.stop());

    it("add, dedupe, dispatch to the cap, a rate-limit hold and its probe, expiry, revival, pause, priority, removal, stats", async () => {
      const file = await story(rig, "file");
      const db = await story(rig, "postgres");
      for (let i = 0; i < file.length; i++)
        expect(db[i], JSON.stringify((file[i] as unknown[])[0])).toEqual(file[i]);
      // A story worth comparing: work was started, held, expired and settled.
      const text = JSON.stringify(file);
      for (const seen of [
        '"READY"',
        "concurrency_limit",
        '"expired"',
        '"paused"',
        "run-2",
        '"DUPLICATE"',
      ])
        expect(text).toContain(seen);
    }, 120_000);
  },
);
