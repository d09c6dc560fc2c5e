/**
 * Several gateways on one database queue: the cap counts every gateway's runs, only a run's own
 * gateway settles it, a gateway gone past its lease has its runs recovered by another, and a
 * gateway that lost its claim while it was stalled records nothing over the one that took it.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/core/queue-model.js";
import { EVERYTHING } from "../../src/core/views.js";
import type { Context } from "../../src/runtime/context.js";
import { dispatchOnce } from "../../src/runtime/dispatch.js";
import * as ops from "../../src/runtime/operations.js";
import { runCheck } from "../../src/runtime/run-check.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

const T0 = Date.parse("2026-12-03T12:00:00.000Z");

describe.skipIf(noPostgres)("gateways sharing one PostgreSQL queue", () => {
  const rig = new StoreRig();
  beforeAll(() => rig.start(), 180_000);
  afterAll(() => rig.stop());

  let n = 0;
  /** Gateway `id` on queue `queue`, on a clock the test moves. */
  async function gateway(
    id: string,
    queue: string,
    clock: { now: number },
    maxConcurrent = 1,
  ): Promise<Context> {
    return rig.context("postgres", {
      queue,
      gatewayId: id,
      input: { maxConcurrent, models: ["p/m"], leaseSeconds: 300, taskTimeoutMinutes: 5 },
      deps: {
        now: () => clock.now,
        newId: () => `t_${id.toLowerCase().replace(/[^a-z0-9]/g, "")}${++n}`,
      },
    });
  }
  const spawner = () => {
    const started: string[] = [];
    return {
      started,
      spawn: async (r: { sessionKey: string }) => {
        started.push(r.sessionKey);
        return { runId: `r${started.length}` };
      },
    };
  };
  const task = async (ctx: Context, id: string): Promise<Task> =>
    (await ctx.store.read(EVERYTHING)).queue.tasks.find((t) => t.id === id)!;
  /** Makes `id` look silent since a day ago, by the database's clock. */
  async function silence(id: string): Promise<void> {
    const client = new pg.Client({ connectionString: rig.server!.url });
    await client.connect();
    await client.query(
      "UPDATE task_manager.gateways SET heartbeat_at = now() - interval '1 day' WHERE id = $1",
      [id],
    );
    await client.end();
  }

  it("the cap counts the other gateway's run; only the owner settles it, until it is gone past its lease", async () => {
    const clock = { now: T0 };
    const a = await gateway("GW-A", "owners", clock);
    const b = await gateway("GW-B", "owners", clock);
    const first = await ops.addTask(a, { prompt: "first", idempotent: true });
    const second = await ops.addTask(b, { prompt: "second", idempotent: true });
    const sa = spawner();
    expect(await dispatchOnce(a, sa)).toMatchObject({
      status: "READY",
      dispatched: { task_id: first.task.id },
    });
    expect((await task(b, first.task.id)).run?.owner).toBe("GW-A");

    // B sees A's run against the cap of 1, and starts nothing.
    expect(await runCheck(b)).toMatchObject({ status: "DEFERRED", reason: "concurrency_limit" });
    // Past the run's timeout B still leaves it alone: only A can see A's run.
    clock.now += 10 * 60_000;
    await runCheck(b);
    expect((await task(b, first.task.id)).state).toBe("running");

    // A goes silent past its lease: B's next check settles A's run as interrupted (the task
    // waits out its backoff, to be repeated later under its attempt-fixed key) and, the cap
    // free again, starts its own due task.
    await silence("GW-A");
    const sb = spawner();
    const recovered = await dispatchOnce(b, sb);
    expect(recovered.status !== "ERROR" && recovered.settled).toContainEqual(
      expect.objectContaining({ id: first.task.id, outcome: "failed" }),
    );
    const back = await task(b, first.task.id);
    expect(back.state).toBe("pending");
    expect(back.last_error?.kind).toBe("interrupted");
    expect(recovered).toMatchObject({ status: "READY", dispatched: { task_id: second.task.id } });
    expect((await task(b, second.task.id)).run?.owner).toBe("GW-B");
    expect(sb.started).toHaveLength(1);
  }, 60_000);

  it("a gateway whose claim lapsed while it was stalled records nothing over the claim that replaced it", async () => {
    const clockA = { now: T0 };
    const clockB = { now: T0 };
    const a = await gateway("GW-C", "fencing", clockA);
    const b = await gateway("GW-D", "fencing", clockB);
    const { task: t } = await ops.addTask(a, { prompt: "only once, please" });
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    let startedByA = 0;
    const slowSpawner = {
      spawn: async () => {
        startedByA += 1;
        await stalled; // A stalls inside the spawn, past its lease
        return { runId: "late" };
      },
    };
    const aDispatch = dispatchOnce(a, slowSpawner);
    while (startedByA === 0) await new Promise((r) => setTimeout(r, 20));

    // B, six minutes later by its clock: A's 5-minute lease has run out, B claims and starts it.
    clockB.now += 6 * 60_000;
    const sb = spawner();
    expect(await dispatchOnce(b, sb)).toMatchObject({
      status: "READY",
      dispatched: { task_id: t.id },
    });
    release();
    expect(await aDispatch).toMatchObject({ status: "ERROR", code: "E_LEASE_LOST" });
    // B's run stands, recorded once; A's late ack changed nothing and released nothing.
    expect(await task(b, t.id)).toMatchObject({
      state: "running",
      attempts: 1,
      run: { owner: "GW-D", run_id: "r1" },
    });
    expect(sb.started).toHaveLength(1);
  }, 60_000);

  it("one provider account, one hold: a rate limit met on one gateway holds the other, and one probe goes first", async () => {
    const clock = { now: T0 };
    const a = await gateway("GW-E", "holds", clock, 2);
    const b = await gateway("GW-F", "holds", clock, 2);
    const first = await ops.addTask(a, { prompt: "hits the limit", idempotent: true });
    expect(await dispatchOnce(a, spawner())).toMatchObject({ status: "READY" });
    await ops.failTask(a, first.task.id, "429 rate limited; Retry-After: 600 seconds");
    await ops.addTask(b, { prompt: "added on the other gateway", idempotent: true });

    // B never met the limit, yet waits for the provider's reset: the hold is the queue's.
    const held = await runCheck(b);
    expect(held).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
      hold: { scope: "provider", key: "p", source: "message" },
    });
    const until = Date.parse((held as { retry_at: string }).retry_at);
    expect(until).toBe(T0 + 600_000);

    // After the reset both gateways look at once, with room for two runs: one probe starts,
    // on one of them; the other waits for its answer.
    clock.now = until + 1000;
    const [sa, sb] = [spawner(), spawner()];
    const answers = await Promise.all([dispatchOnce(a, sa), dispatchOnce(b, sb)]);
    expect(sa.started.length + sb.started.length).toBe(1);
    expect(answers.map((r) => r.status).sort()).toEqual(["DEFERRED", "READY"]);
    expect(answers.find((r) => r.status === "DEFERRED")).toMatchObject({
      reason: "quota_cooldown",
      hold: { key: "p", state: "probing" },
    });
  }, 60_000);
});
