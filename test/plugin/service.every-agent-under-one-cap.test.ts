import { EVERYTHING, NO_TASKS } from "../../src/core/views.js";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { placeHold } from "../../src/core/holds.js";
import { TaskManagerService } from "../../src/plugin/service.js";
import type { GatewaySettings, PolicyInput } from "../../src/policy/schema.js";
import { addTask, listTasks } from "../../src/runtime/operations.js";
import { tempDir } from "../helpers/cli.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { T0 } from "../helpers/fixtures.js";
import { FakeGatewayHost, type TestLane, testLane } from "../helpers/lanes.js";

let t: { dir: string; cleanup: () => void };
let clock: FakeClock;
let gw: FakeGatewayHost;
let svc: TaskManagerService | null;
beforeEach(() => {
  t = tempDir();
  clock = new FakeClock(T0);
  gw = new FakeGatewayHost();
  svc = null;
});
afterEach(async () => {
  await svc?.stop();
  t.cleanup();
});

const lane = (id: string, input: PolicyInput = {}): TestLane =>
  testLane(t.dir, id, { schedule: "0 0 1 1 *", ...input }, gw, () => clock.now());

function service(lanes: TestLane[], gateway: GatewaySettings = {}): TaskManagerService {
  svc = new TaskManagerService({ lanes, spawner: gw, gateway, clock, log: () => undefined });
  return svc;
}

/** Ends every busy run and tells the dispatcher, as subagent_ended does. */
async function endRuns(s: TaskManagerService): Promise<void> {
  for (const key of gw.running()) {
    gw.finish(key);
    s.runEnded(/^agent:([^:]+):/.exec(key)![1]!);
  }
  await s.settled();
}

describe("every agent of the gateway, each on its own queue and sessions, under one cap", () => {
  it("each agent's tasks run in its own sessions, on its own whitelist", async () => {
    const main = lane("main", { models: ["google/gemini-2.5-flash"] });
    const research = lane("research", { models: ["anthropic/claude-haiku-4-5"] });
    await addTask(await main.context(), { prompt: "main's task" });
    await addTask(await research.context(), { prompt: "research's task" });
    const s = service([main, research], { gatewayMaxConcurrent: 2 });
    await s.tick();
    const byPrompt = Object.fromEntries(gw.spawned.map((r) => [r.prompt, r]));
    expect(byPrompt["main's task"]).toMatchObject({
      model: "google/gemini-2.5-flash",
      sessionKey: expect.stringMatching(/^agent:main:subagent:task-manager-/),
    });
    expect(byPrompt["research's task"]).toMatchObject({
      model: "anthropic/claude-haiku-4-5",
      sessionKey: expect.stringMatching(/^agent:research:subagent:task-manager-/),
    });
    // Each queue file holds only its own agent's task, now running.
    expect((await listTasks(await research.context(), true)).map((x) => x.state)).toEqual([
      "running",
    ]);
  });

  it("the gateway-wide cap holds across agents, and the agent that waited goes first next time", async () => {
    const a = lane("a", { maxConcurrent: 2 });
    const b = lane("b", { maxConcurrent: 2 });
    for (let i = 0; i < 3; i++) {
      await addTask(await a.context(), { prompt: `a${i}`, priority: i + 1 });
      await addTask(await b.context(), { prompt: `b${i}`, priority: i + 1 });
    }
    const s = service([a, b], { gatewayMaxConcurrent: 1 });
    const first = await s.tick();
    expect(gw.spawned.map((r) => r.prompt)).toEqual(["a0"]);
    const bWaits = first.results.find((r) => r.agent === "b");
    expect(bWaits).toMatchObject({ status: "DEFERRED", reason: "concurrency_limit" });
    const order: string[] = [];
    for (let i = 0; i < 20 && gw.spawned.length < 6; i++) {
      await endRuns(s);
      order.push(gw.spawned.at(-1)!.prompt);
      expect(gw.busy()).toBeLessThanOrEqual(1);
    }
    // Slots alternate between the agents instead of one agent's queue draining first.
    expect(order).toEqual(["b0", "a1", "b1", "a2", "b2"]);
    expect(gw.maxBusy).toBe(1);
  });

  it("without gatewayMaxConcurrent the cap is the largest maxConcurrent of the agents served", async () => {
    const a = lane("a", { maxConcurrent: 1 });
    const b = lane("b", { maxConcurrent: 2 });
    for (let i = 0; i < 3; i++) {
      await addTask(await a.context(), { prompt: `a${i}` });
      await addTask(await b.context(), { prompt: `b${i}` });
    }
    const s = service([a, b]);
    await s.tick();
    expect(gw.busy()).toBe(2);
    expect(gw.maxBusy).toBe(2);
  });

  it("a quota hold in one agent's queue is placed in the queues of the agents sharing its accounts; holdGroups [] shares none", async () => {
    const models = ["google/gemini-2.5-flash"];
    for (const [groups, shared] of [
      [undefined, true],
      [[], false],
    ] as const) {
      gw = new FakeGatewayHost();
      const sub = path.join(t.dir, shared ? "shared" : "apart");
      const a = testLane(sub, "a", { models }, gw, () => clock.now());
      const b = testLane(sub, "b", { models }, gw, () => clock.now());
      const until = T0 + 3_600_000;
      const actx = await a.context();
      await actx.store.mutate(NO_TASKS, (q) => ({
        queue: placeHold(q, models[0]!, "provider", { untilMs: until, source: "message" }, T0),
        result: null,
      }));
      await addTask(await b.context(), { prompt: "b's task on the held provider" });
      const s = new TaskManagerService({
        lanes: [a, b],
        spawner: gw,
        gateway: groups === undefined ? {} : { holdGroups: [...groups] },
        clock,
        log: () => undefined,
      });
      const report = await s.tick();
      const bq = (await (await b.context()).store.read(EVERYTHING)).queue;
      if (shared) {
        expect(bq.holds?.google).toMatchObject({
          until: new Date(until).toISOString(),
          probe: null,
        });
        expect(report.results.find((r) => r.agent === "b")).toMatchObject({
          status: "DEFERRED",
          reason: "quota_cooldown",
        });
        expect(gw.spawned).toHaveLength(0);
      } else {
        expect(bq.holds).toBeUndefined();
        expect(gw.spawned).toHaveLength(1);
      }
      await s.stop();
    }
  });

  it("an agent whose .taskmanagerrc is invalid is an ERROR of its own; the other agents are served", async () => {
    const good = lane("good");
    const bad = lane("bad");
    writeFileSync(path.join(bad.workspace, ".taskmanagerrc"), JSON.stringify({ maxConcurent: 2 }));
    const realContext = bad.context;
    // The lane loads its rc like the plugin does: through the policy loader, not a fixed policy.
    bad.context = async () => {
      const { loadPluginPolicy } = await import("../../src/plugin/policy.js");
      await loadPluginPolicy(bad.workspace, {});
      return realContext();
    };
    await addTask(await good.context(), { prompt: "still runs" });
    const s = service([bad, good]);
    const report = await s.tick();
    expect(report.results.find((r) => r.agent === "bad")).toMatchObject({
      status: "ERROR",
      code: "E_CONFIG_INVALID",
    });
    expect(gw.spawned.map((r) => r.prompt)).toEqual(["still runs"]);
  });
});
