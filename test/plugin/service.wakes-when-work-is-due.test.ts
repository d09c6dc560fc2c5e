import { EVERYTHING } from "../../src/core/views.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimTask, failTask } from "../../src/core/tasks.js";
import { isoTime } from "../../src/core/time.js";
import { type TickReport, TaskManagerService } from "../../src/plugin/service.js";
import type { PolicyInput } from "../../src/policy/schema.js";
import { addTask, listTasks } from "../../src/runtime/operations.js";
import { tempDir } from "../helpers/cli.js";
import { FakeClock, settle, until } from "../helpers/fake-clock.js";
import { fixedRandom, T0 } from "../helpers/fixtures.js";
import { FakeGatewayHost, type TestLane, testLane } from "../helpers/lanes.js";

/** A schedule that never fires during a test: every start here is a wake, not the safety net. */
const NEVER = { schedule: "0 0 1 1 *" } as const;

let t: { dir: string; cleanup: () => void };
let clock: FakeClock;
let gw: FakeGatewayHost;
let svc: TaskManagerService | null;
let reports: TickReport[];
beforeEach(() => {
  t = tempDir();
  clock = new FakeClock(T0);
  gw = new FakeGatewayHost();
  svc = null;
  reports = [];
});
afterEach(async () => {
  await svc?.stop();
  t.cleanup();
});

function lane(id: string, input: PolicyInput = {}): TestLane {
  return testLane(t.dir, id, { ...NEVER, ...input }, gw, () => clock.now());
}

async function started(lanes: TestLane[], gateway = {}): Promise<TaskManagerService> {
  svc = new TaskManagerService({
    lanes,
    spawner: gw,
    gateway,
    clock,
    log: () => undefined,
    debug: () => undefined,
    // Every tick's report, as it ends.
    onTick: (phase) => {
      if (phase === "end" && svc?.lastTick) reports.push(svc.lastTick);
    },
  });
  await svc.start();
  return svc;
}

const quiet = (s: TaskManagerService): Promise<void> => s.settled();

/** Moves the fake clock in steps until `check` holds, letting file-watch events arrive between steps. */
async function advanceUntil(
  s: TaskManagerService,
  check: () => boolean,
  stepMs = 50,
  maxMs = 5000,
): Promise<number> {
  const from = clock.now();
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (clock.now() - from > maxMs || Date.now() > deadline)
      throw new Error(`not reached after ${clock.now() - from} ms of fake time`);
    await new Promise((r) => setTimeout(r, 10)); // real time: watch events
    await clock.advance(stepMs);
    await quiet(s);
  }
  return clock.now() - from;
}

describe("the dispatcher wakes when work is due, not at the next heartbeat", () => {
  it("a task added from outside (another process, the CLI) starts after the debounce, with no schedule firing", async () => {
    const main = lane("main");
    const s = await started([main]);
    await clock.advance(1000); // the start-up look
    await quiet(s);
    expect(gw.spawned).toHaveLength(0);
    const ctx = await main.context();
    await addTask(ctx, { prompt: "added by the CLI" });
    const waited = await advanceUntil(s, () => gw.spawned.length === 1);
    expect(waited).toBeLessThanOrEqual(200); // the 100 ms debounce, plus a step
    expect(gw.spawned[0]!.prompt).toBe("added by the CLI");
    expect(s.lastTick!.trigger).toEqual(["queue"]);
    // What an operator asks `task-manager.status`: which start, and what woke it.
    expect(s.recentStarts).toEqual([
      expect.objectContaining({ agent: "main", trigger: ["queue"], task_id: expect.any(String) }),
    ]);
  });

  it("a burst of 1,000 adds is one tick, not 1,000", async () => {
    const main = lane("main");
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    const before = reports.length;
    const ctx = await main.context();
    for (let i = 0; i < 1000; i++) await addTask(ctx, { prompt: `burst ${i}` });
    await new Promise((r) => setTimeout(r, 300)); // the last watch events arrive
    await clock.advance(100);
    await quiet(s);
    await new Promise((r) => setTimeout(r, 300)); // the tick's own writes echo back
    await clock.advance(1000);
    await quiet(s);
    const ticks = reports.slice(before);
    expect(ticks.length).toBe(1);
    expect(ticks[0]!.trigger).toEqual(["queue"]);
    expect(gw.spawned).toHaveLength(1); // maxConcurrent 1
  }, 120_000);

  it("a steady stream of adds is looked at every second (the debounce's ceiling), not only once it stops", async () => {
    const main = lane("main", { maxConcurrent: 64 });
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    const ctx = await main.context();
    for (let i = 0; i < 30; i++) {
      await addTask(ctx, { prompt: `stream ${i}` });
      await new Promise((r) => setTimeout(r, 15));
      await clock.advance(80); // each add within the 100 ms quiet time of the last
    }
    await quiet(s);
    // 30 adds over 2.4 s of steady changes: a tick at each 1 s ceiling, not one at the end only.
    expect(reports.filter((r) => r.trigger.includes("queue")).length).toBeGreaterThanOrEqual(2);
    expect(gw.spawned.length).toBeGreaterThan(0);
  });

  it("the tick's own writes do not wake it again", async () => {
    const main = lane("main");
    await addTask(await main.context(), { prompt: "a" });
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    expect(gw.spawned).toHaveLength(1); // claim + ack: two writes of its own
    const ticks = reports.length;
    await new Promise((r) => setTimeout(r, 300));
    await clock.advance(2000);
    await quiet(s);
    expect(reports.length).toBe(ticks);
  });

  it("a retry waits for its run_at and starts then: the timer is armed for that moment", async () => {
    const main = lane("main", { maxAgeHours: null });
    const ctx = await main.context();
    const { task } = await addTask(ctx, { prompt: "retry me" });
    await ctx.store.mutate(EVERYTHING, (q) => {
      const claimed = claimTask(
        q,
        q.tasks[0]!,
        { token: "x", model: "google/gemini-2.5-flash", leaseSeconds: 60 },
        T0,
      ).queue;
      return {
        queue: failTask(
          claimed,
          task.id,
          { message: "boom" },
          {
            policy: ctx.policy,
            nowMs: T0,
            random: fixedRandom,
          },
        ).queue,
        result: null,
      };
    });
    const runAt = Date.parse((await listTasks(ctx, true))[0]!.run_at!);
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    expect(s.lastTick!.results[0]).toMatchObject({ status: "DEFERRED", reason: "backoff" });
    expect(s.lastTick!.next_wake).toMatchObject({ at: isoTime(runAt), cause: "retry" });
    expect(s.nextRun()!.getTime()).toBe(runAt);
    await clock.advance(runAt - clock.now() - 1);
    await quiet(s);
    expect(gw.spawned).toHaveLength(0);
    await clock.advance(1);
    await quiet(s);
    expect(gw.spawned).toHaveLength(1);
    expect(s.lastTick!.trigger).toEqual(["due"]);
  });

  it("a run's end starts the next task at once (and looks again shortly after); a busy slot is rechecked within a minute", async () => {
    const main = lane("main", { maxConcurrent: 1 });
    const ctx = await main.context();
    await addTask(ctx, { prompt: "first", priority: 1 });
    await addTask(ctx, { prompt: "second", priority: 2 });
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    expect(gw.spawned.map((r) => r.prompt)).toEqual(["first"]);
    // Its one slot taken, the second task waits: looked at again within a minute whatever happens.
    expect(s.lastTick!.next_wake).toMatchObject({
      cause: "recheck",
      at: isoTime(clock.now() + 60_000),
    });
    gw.finish(gw.spawned[0]!.sessionKey);
    s.runEnded("main");
    await quiet(s);
    expect(gw.spawned.map((r) => r.prompt)).toEqual(["first", "second"]);
    expect(s.lastTick!.trigger).toEqual(["run_end"]);
    // The follow-up looks are on the timer: 1.5 s after the end.
    expect(s.nextRun()!.getTime()).toBe(clock.now() + 1500);
  });

  it("the main session going idle wakes the dispatcher", async () => {
    const main = lane("main");
    main.main.onIdle(() => svc?.wake("main_idle", ["main"]));
    await addTask(await main.context(), { prompt: "after the main turn" });
    main.main.started("agent:main:main");
    const s = await started([main]);
    await clock.advance(1000);
    await quiet(s);
    expect(s.lastTick!.results[0]).toMatchObject({ status: "DEFERRED", reason: "main_busy" });
    main.main.ended("agent:main:main");
    await quiet(s);
    expect(gw.spawned).toHaveLength(1);
    expect(s.lastTick!.trigger).toEqual(["main_idle"]);
  });

  it('wake: "heartbeat" keeps the old rhythm: no watch, no timer, only the schedule (or its own run ending) starts work', async () => {
    const main = lane("main", { wake: "heartbeat" });
    const s = await started([main]);
    await addTask(await main.context(), { prompt: "waits for the heartbeat" });
    await new Promise((r) => setTimeout(r, 300));
    await clock.advance(60_000);
    await quiet(s);
    expect(clock.pending).toBe(0);
    expect(main.watches()).toBe(0);
    expect(gw.spawned).toHaveLength(0);
    s.wake("schedule", ["main"]);
    await quiet(s);
    expect(gw.spawned).toHaveLength(1);
    expect(main.watches()).toBe(0);
  });

  it("stop() releases every timer and every watch, and later wakes do nothing", async () => {
    const a = lane("a");
    const b = lane("b");
    await addTask(await a.context(), { prompt: "x" });
    const s = await started([a, b]);
    await clock.advance(1000);
    await quiet(s);
    expect(a.watches() + b.watches()).toBe(2);
    expect(clock.pending).toBeGreaterThan(0);
    await s.stop();
    expect(clock.pending).toBe(0);
    expect(a.watches() + b.watches()).toBe(0);
    s.wake("queue", ["a"]);
    s.runEnded("a");
    await settle();
    expect(clock.pending).toBe(0);
    expect(s.nextRun()).toBeNull();
  });

  it("wakes that come while a tick runs are one more tick after it, never a second tick at once", async () => {
    const main = lane("main", { maxConcurrent: 8 });
    let inTick = 0;
    let most = 0;
    svc = new TaskManagerService({
      lanes: [main],
      spawner: {
        spawn: async (r) => {
          await new Promise((res) => setTimeout(res, 20));
          return gw.spawn(r);
        },
      },
      gateway: {},
      clock,
      log: () => undefined,
      onTick: (phase) => {
        inTick += phase === "start" ? 1 : -1;
        most = Math.max(most, inTick);
      },
    });
    await svc.start();
    for (let i = 0; i < 6; i++) await addTask(await main.context(), { prompt: `t${i}` });
    const before = svc.lastTick;
    for (let i = 0; i < 20; i++) svc.wake("queue", ["main"]);
    await settle();
    for (let i = 0; i < 20; i++) svc.wake("run_end", ["main"]);
    await svc.settled();
    expect(most).toBe(1);
    expect(svc.lastTick).not.toBe(before);
    expect(gw.spawned).toHaveLength(6);
    await until(() => inTick === 0);
  });

  it("a wake from inside a hook's async context (an agent turn) runs the tick outside it", async () => {
    // OpenClaw keeps a turn's caller authority in an AsyncLocalStorage and refuses a run started
    // in it once the turn is over; this store stands in for it.
    const turn = new AsyncLocalStorage<string>();
    const main = lane("main", { maxConcurrent: 2 });
    const seen: Array<string | undefined> = [];
    svc = new TaskManagerService({
      lanes: [main],
      spawner: {
        spawn: async (r) => {
          seen.push(turn.getStore());
          return gw.spawn(r);
        },
      },
      gateway: {},
      clock,
      log: () => undefined,
    });
    await svc.start();
    await addTask(await main.context(), { prompt: "from a hook" });
    await addTask(await main.context(), { prompt: "from the gateway method" });
    turn.run("subagent_ended of some run", () => svc!.runEnded("main"));
    await svc.settled();
    await turn.run("a gateway request", () => svc!.tick());
    expect(gw.spawned).toHaveLength(2);
    expect(seen).toEqual([undefined, undefined]);
  });
});
