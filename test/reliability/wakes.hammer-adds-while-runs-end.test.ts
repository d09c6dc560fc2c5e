/**
 * The wake-on-due dispatcher under load, on real files, real watches and real timers: adds
 * arrive in bursts from another writer (a second store on the same queue files, as the CLI or
 * the page would be) while runs end at random moments. Whatever order the wakes come in —
 * queue changes, run ends, the due timer — the invariants of the reliability suite hold: never
 * more runs than the caps, no task started twice, no tick overlapping another, nothing lost.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TaskManagerService } from "../../src/plugin/service.js";
import { addTask, listTasks } from "../../src/runtime/operations.js";
import { tempDir } from "../helpers/cli.js";
import { FakeGatewayHost, testLane } from "../helpers/lanes.js";

/** A schedule that never fires during the test: every start is a wake. */
const NEVER = { schedule: "0 0 1 1 *" } as const;
const AGENTS = ["main", "research"] as const;
const PER_AGENT_CAP = 2;
const GATEWAY_CAP = 3;
const BURSTS = 12;
const PER_BURST = 10;

let svc: TaskManagerService | null = null;
let t: { dir: string; cleanup: () => void } | null = null;
afterEach(async () => {
  await svc?.stop();
  t?.cleanup();
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("wakes under a hammer of adds while runs end", () => {
  it("never more runs than the caps, no task started twice, no overlapping tick, every task done", async () => {
    t = tempDir("tm-wakes-");
    const gw = new FakeGatewayHost();
    const policyInput = { ...NEVER, maxConcurrent: PER_AGENT_CAP };
    const lanes = AGENTS.map((id) => testLane(t!.dir, id, policyInput, gw));
    // The other writer: its own contexts (its own store objects) on the same workspaces.
    const writers = AGENTS.map((id) => testLane(t!.dir, id, policyInput, gw));

    let inTick = 0;
    let mostAtOnce = 0;
    svc = new TaskManagerService({
      lanes,
      spawner: gw,
      gateway: { gatewayMaxConcurrent: GATEWAY_CAP },
      log: () => undefined,
      onTick: (phase) => {
        inTick += phase === "start" ? 1 : -1;
        mostAtOnce = Math.max(mostAtOnce, inTick);
      },
    });
    // Each run ends after 100–300 ms (long enough that both agents fill their slots), as a host's `subagent_ended` would tell the plugin.
    gw.onSpawn = (r) => {
      const agent = /^agent:([^:]+):/.exec(r.sessionKey)![1]!;
      setTimeout(
        () => {
          gw.finish(r.sessionKey);
          svc?.runEnded(agent);
        },
        100 + Math.floor(Math.random() * 200),
      );
    };
    await svc.start();

    const added = new Set<string>();
    for (let burst = 0; burst < BURSTS; burst++) {
      const writer = writers[burst % writers.length]!;
      const ctx = await writer.context();
      for (let i = 0; i < PER_BURST; i++) {
        const { task } = await addTask(ctx, { prompt: `burst ${burst} task ${i}` });
        added.add(task.id);
      }
      await pause(Math.floor(Math.random() * 60));
    }

    const deadline = Date.now() + 120_000;
    const done = async (): Promise<number> => {
      let n = 0;
      for (const lane of lanes)
        for (const task of await listTasks(await lane.context(), true))
          if (task.state === "done") n += 1;
      return n;
    };
    while ((await done()) < added.size) {
      if (Date.now() > deadline)
        throw new Error(`only ${await done()} of ${added.size} tasks done after 120 s`);
      await pause(100);
    }
    await svc.settled();

    expect(gw.maxBusy).toBeLessThanOrEqual(GATEWAY_CAP);
    for (const id of AGENTS)
      expect(gw.maxBusyPerAgent.get(id) ?? 0).toBeLessThanOrEqual(PER_AGENT_CAP);
    // The cap was really tested: the gateway ran as many as it may at once.
    expect(gw.maxBusy).toBe(GATEWAY_CAP);
    const spawnsPerTask = new Map<string, number>();
    for (const r of gw.spawned) spawnsPerTask.set(r.taskId, (spawnsPerTask.get(r.taskId) ?? 0) + 1);
    expect([...spawnsPerTask.values()].filter((n) => n > 1)).toEqual([]);
    expect(new Set(spawnsPerTask.keys())).toEqual(added);
    expect(mostAtOnce).toBe(1);
  }, 180_000);
});
