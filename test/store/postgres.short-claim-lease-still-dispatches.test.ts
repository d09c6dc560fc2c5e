/**
 * On a shared store a dispatch confirms its claim before spawning, and refuses to spawn on a
 * claim about to lapse (another gateway could claim the task the moment it does). The margin it
 * keeps must fit inside the claim: `leaseSeconds` may be as short as 5 s, and a margin longer
 * than the lease would refuse every claim — no task would ever start, each claim left to lapse.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVERYTHING } from "../../src/core/views.js";
import { dispatchOnce } from "../../src/runtime/dispatch.js";
import * as ops from "../../src/runtime/operations.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

describe.skipIf(noPostgres)("a claim lease shorter than the confirm margin", () => {
  const rig = new StoreRig();
  beforeAll(() => rig.start(), 180_000);
  afterAll(() => rig.stop());

  it.each([5, 12, 29])(
    "leaseSeconds %i: the claimed task is spawned and recorded as running",
    async (leaseSeconds) => {
      const ctx = await rig.context("postgres", {
        input: { leaseSeconds },
        gatewayId: "gw-short-lease",
      });
      const added = await ops.addTask(ctx, { prompt: `short lease ${leaseSeconds}` });
      const spawned: string[] = [];
      const result = await dispatchOnce(ctx, {
        spawn: async (r) => {
          spawned.push(r.sessionKey);
          return { runId: "run-1" };
        },
      });
      expect(result.status, JSON.stringify(result)).toBe("READY");
      expect(spawned).toHaveLength(1);
      const task = (await ctx.store.read(EVERYTHING)).queue.tasks.find(
        (t) => t.id === added.task.id,
      );
      expect(task?.state).toBe("running");
      expect(task?.run?.owner).toBe("gw-short-lease");
    },
    60_000,
  );
});
