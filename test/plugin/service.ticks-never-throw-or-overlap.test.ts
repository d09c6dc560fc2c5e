import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MainActivity } from "../../src/plugin/main-activity.js";
import { TaskManagerService } from "../../src/plugin/service.js";
import { createContext } from "../../src/runtime/context.js";
import type { SpawnRequest, Spawner } from "../../src/runtime/dispatch.js";
import { addTask, listTasks } from "../../src/runtime/operations.js";
import { policy, RELAXED_POLICY } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "home"));
});
afterEach(() => t.cleanup());

function service(spawner: Spawner, main = new MainActivity("agent:main:main", 60_000)) {
  const context = () =>
    createContext({
      workspace: t.dir,
      policy: policy({ ...RELAXED_POLICY, maxConcurrent: 2 }),
      deps: {
        env: { HOME: path.join(t.dir, "home") },
        logger: { info() {}, warn() {}, error() {} },
      },
    });
  return {
    svc: new TaskManagerService({
      lanes: [{ id: "main", context, main, notify: () => undefined, heartbeatEvery: null }],
      spawner,
      gateway: {},
      log: () => undefined,
    }),
    context,
  };
}

describe("the plugin service", () => {
  it("a spawner that throws becomes an ERROR result; the task is released, not lost, and nothing throws", async () => {
    const { svc, context } = service({ spawn: () => Promise.reject(new Error("gateway down")) });
    await addTask(await context(), { prompt: "x" });
    const report = await svc.tick();
    expect(report.results[0]).toMatchObject({ status: "ERROR", code: "E_SPAWN_FAILED" });
    const [task] = await listTasks(await context(), true);
    expect(task).toMatchObject({
      state: "pending",
      attempts: 0,
      last_error: { message: expect.stringContaining("gateway down") },
    });
  });

  it("dispatches up to maxConcurrent per tick, with deterministic session and idempotency keys", async () => {
    const spawned: SpawnRequest[] = [];
    const { svc, context } = service({
      spawn: async (r) => {
        spawned.push(r);
        return { runId: `run-${spawned.length}` };
      },
    });
    for (const p of ["a", "b", "c"]) await addTask(await context(), { prompt: p });
    const report = await svc.tick();
    expect(report.results.map((r) => r.status)).toEqual(["READY", "READY"]);
    expect(spawned.map((s) => s.prompt)).toEqual(["a", "b"]);
    for (const s of spawned) {
      expect(s.idempotencyKey).toBe(`task-manager:${s.taskId}:1`);
      expect(s.sessionKey).toBe(`agent:main:subagent:task-manager-${s.taskId.slice(2)}-1`);
    }
    const states = (await listTasks(await context(), true)).map((x) => x.state).sort();
    expect(states).toEqual(["pending", "running", "running"]);
  });

  it("ticks requested at once run one after another, never overlapping", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { svc, context } = service({
      spawn: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight -= 1;
        return { runId: "r" };
      },
    });
    for (const p of ["a", "b", "c", "d"]) await addTask(await context(), { prompt: p });
    await Promise.all([svc.tick(), svc.tick(), svc.tick()]);
    expect(maxInFlight).toBe(1);
  });

  it("defers with main_busy while the main session runs", async () => {
    const main = new MainActivity("agent:main:main", 60_000);
    const { svc, context } = service({ spawn: async () => ({ runId: "r" }) }, main);
    await addTask(await context(), { prompt: "a" });
    main.started("agent:main:main");
    expect((await svc.tick()).results[0]).toMatchObject({
      status: "DEFERRED",
      reason: "main_busy",
    });
    main.ended("agent:main:main");
    expect((await svc.tick()).results[0]).toMatchObject({ status: "READY" });
  });
});

describe("the task_queue tool", () => {
  it("is given to the main session and never to sub-agents (a task's run cannot queue more tasks)", async () => {
    const { queueToolFor } = await import("../../src/plugin/surfaces.js");
    const { svc, context } = service({ spawn: async () => ({ runId: "r" }) });
    const factory = queueToolFor({ agents: () => ["main"], context, service: () => svc });
    expect(factory({ sessionKey: "agent:main:subagent:abc" })).toBeNull();
    const tool = factory({ sessionKey: "agent:main:main" });
    expect(tool?.name).toBe("task_queue");
    const added = await tool!.execute("call-1", {
      action: "add",
      prompt: "from the main session",
      priority: 2,
    });
    expect(added.details).toMatchObject({
      status: "ADDED",
      task: { prompt: "from the main session", source: "tool", priority: 2 },
    });
    const listed = await tool!.execute("call-2", { action: "list" });
    expect((listed.details as { tasks: unknown[] }).tasks).toHaveLength(1);
  });
});
