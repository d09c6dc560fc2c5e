import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  FLOW_CONTROLLER,
  FlowMirror,
  flowTarget,
  RESYNC_MS,
  syncFlows,
  type MirroredTask,
} from "../../src/plugin/flow-mirror.js";
import { createContext } from "../../src/runtime/context.js";
import { addTask, failTask } from "../../src/runtime/operations.js";
import { tempDir } from "../helpers/cli.js";
import type { BoundManagedFlows, FlowMutation, FlowRecord } from "../../src/plugin/host-api.js";

/**
 * The host's managed flows in memory, with its revision rule (a write naming a stale revision is
 * refused) and its status patches (docs plugins/sdk-runtime/background-work.md; the real host is
 * exercised in test/e2e/page.e2e.test.ts).
 */
class Flows implements BoundManagedFlows {
  readonly rows = new Map<string, FlowRecord>();
  writes = 0;
  #next = 1;

  async list(): Promise<FlowRecord[]> {
    return [...this.rows.values()].map((f) => ({ ...f }));
  }
  async createManaged(p: {
    controllerId: string;
    goal: string;
    status?: string;
    currentStep?: string | null;
    stateJson?: unknown;
  }): Promise<FlowRecord> {
    const flow: FlowRecord = {
      flowId: `f${this.#next++}`,
      revision: 0,
      status: p.status ?? "queued",
      controllerId: p.controllerId,
      goal: p.goal,
      currentStep: p.currentStep ?? null,
      stateJson: p.stateJson,
      endedAt: null,
      cancelRequestedAt: null,
    };
    this.rows.set(flow.flowId, flow);
    this.writes++;
    return { ...flow };
  }
  #patch(flowId: string, expectedRevision: number, patch: Partial<FlowRecord>): FlowMutation {
    const flow = this.rows.get(flowId);
    if (!flow) return { applied: false, code: "not_found" };
    if (flow.revision !== expectedRevision)
      return { applied: false, code: "revision_conflict", current: { ...flow } };
    Object.assign(flow, patch, { revision: flow.revision + 1 });
    this.writes++;
    return { applied: true, flow: { ...flow } };
  }
  async setWaiting(p: {
    flowId: string;
    expectedRevision: number;
    currentStep?: string | null;
    stateJson?: unknown;
    blockedSummary?: string | null;
  }): Promise<FlowMutation> {
    return this.#patch(p.flowId, p.expectedRevision, {
      status: p.blockedSummary ? "blocked" : "waiting",
      currentStep: p.currentStep ?? null,
      stateJson: p.stateJson,
      endedAt: null,
    });
  }
  async resume(p: {
    flowId: string;
    expectedRevision: number;
    status?: "queued" | "running";
    currentStep?: string | null;
    stateJson?: unknown;
  }): Promise<FlowMutation> {
    return this.#patch(p.flowId, p.expectedRevision, {
      status: p.status ?? "queued",
      currentStep: p.currentStep ?? null,
      stateJson: p.stateJson,
      endedAt: null,
    });
  }
  async finish(p: {
    flowId: string;
    expectedRevision: number;
    stateJson?: unknown;
  }): Promise<FlowMutation> {
    return this.#patch(p.flowId, p.expectedRevision, {
      status: "succeeded",
      stateJson: p.stateJson,
      endedAt: 1,
    });
  }
  async fail(p: {
    flowId: string;
    expectedRevision: number;
    stateJson?: unknown;
  }): Promise<FlowMutation> {
    return this.#patch(p.flowId, p.expectedRevision, {
      status: "failed",
      stateJson: p.stateJson,
      endedAt: 1,
    });
  }
  async requestCancel(p: { flowId: string; expectedRevision: number }): Promise<FlowMutation> {
    return this.#patch(p.flowId, p.expectedRevision, { cancelRequestedAt: 1 });
  }
  statusOf(taskId: string): string | undefined {
    return [...this.rows.values()].find(
      (f) => (f.stateJson as { task_id?: string } | undefined)?.task_id === taskId,
    )?.status;
  }
}

const task = (id: string, state: string, wait: MirroredTask["wait"] = null): MirroredTask => ({
  id,
  state,
  prompt: `do ${id}`,
  wait,
  run: state === "running" ? { model: "fake/cheap-flash", run_id: `task-manager:${id}:1` } : null,
  last_error: state === "dead" ? { kind: "server", message: "500 internal error" } : null,
});
const backoff = {
  reason: "backoff",
  until: "2030-01-01T00:00:00.000Z",
  text: "backing off after 1 failure",
};
/** The queue's answer to "which of these ids do you still have": the ids given here. */
const present =
  (...taskIds: string[]) =>
  async (asked: readonly string[]): Promise<Set<string>> =>
    new Set(asked.filter((id) => taskIds.includes(id)));
const ids = (...tasks: MirroredTask[]) => present(...tasks.map((t) => t.id));
/** A context on a real queue in `dir`, on the real clock, that logs nothing. */
const quietContext = (dir: string) => () =>
  createContext({
    workspace: dir,
    deps: { env: { HOME: path.join(dir, "home") }, logger: { info() {}, warn() {}, error() {} } },
  });

describe("Task Flow mirror: task state → flow status", () => {
  it("maps every state, and a pending task by why it waits", () => {
    expect(flowTarget(task("t_a", "pending"))?.status).toBe("queued");
    expect(
      flowTarget(
        task("t_a", "pending", { reason: "next", until: null, text: "starts at the next check" }),
      )?.status,
    ).toBe("queued");
    expect(flowTarget(task("t_a", "pending", backoff))).toEqual({
      status: "waiting",
      step: "backoff: backing off after 1 failure",
      wait: { reason: "backoff", until: backoff.until },
    });
    expect(
      flowTarget(
        task("t_a", "pending", {
          reason: "quota_hold",
          until: backoff.until,
          text: "model fake/x is on hold",
        }),
      )?.status,
    ).toBe("waiting");
    expect(flowTarget(task("t_a", "claimed"))?.status).toBe("running");
    expect(flowTarget(task("t_a", "running"))).toEqual({
      status: "running",
      step: "running on fake/cheap-flash (run task-manager:t_a:1)",
    });
    expect(flowTarget(task("t_a", "review"))?.status).toBe("blocked");
    expect(flowTarget(task("t_a", "done"))?.status).toBe("succeeded");
    expect(flowTarget(task("t_a", "dead"))).toMatchObject({
      status: "failed",
      summary: "dead: server: 500 internal error",
    });
    expect(flowTarget(task("t_a", "expired"))?.status).toBe("failed");
    expect(flowTarget(task("t_a", "from-a-newer-version"))).toBeNull();
  });
});

describe("Task Flow mirror: one flow per task, written only when the task changed", () => {
  it("creates flows for live tasks only, then leaves them alone while nothing changes", async () => {
    const flows = new Flows();
    const live = [task("t_p", "pending", backoff), task("t_r", "running"), task("t_v", "review")];
    const old = [task("t_d", "done"), task("t_x", "dead")];
    const first = await syncFlows(flows, [...live, ...old], ids(...live, ...old));
    expect(first).toMatchObject({ created: 3, refused: 0 });
    expect([
      flows.statusOf("t_p"),
      flows.statusOf("t_r"),
      flows.statusOf("t_v"),
      flows.statusOf("t_d"),
    ]).toEqual(["waiting", "running", "blocked", undefined]);
    expect(
      [...flows.rows.values()].every(
        (f) => f.controllerId === FLOW_CONTROLLER && f.goal.startsWith("t_"),
      ),
    ).toBe(true);
    const writes = flows.writes;
    expect(await syncFlows(flows, [...live, ...old], ids(...live, ...old))).toEqual({
      created: 0,
      updated: 0,
      cancelled: 0,
      refused: 0,
    });
    expect(flows.writes).toBe(writes);
  });

  it("follows the task: running → done, dead → retried (the failed flow reopens), removed → cancel requested", async () => {
    const flows = new Flows();
    await syncFlows(
      flows,
      [task("t_1", "running"), task("t_2", "pending"), task("t_3", "pending")],
      present("t_1", "t_2", "t_3"),
    );
    await syncFlows(flows, [task("t_1", "done"), task("t_2", "dead")], present("t_1", "t_2"));
    expect([flows.statusOf("t_1"), flows.statusOf("t_2")]).toEqual(["succeeded", "failed"]);
    expect(
      [...flows.rows.values()].find((f) => (f.stateJson as { task_id: string }).task_id === "t_3")
        ?.cancelRequestedAt,
    ).toBe(1);
    await syncFlows(flows, [task("t_2", "pending")], present("t_2"));
    expect(flows.statusOf("t_2")).toBe("queued");
    expect(flows.rows.size).toBe(3);
  });

  it("a revision that moved under it is refused, counted, and put right at the next sync", async () => {
    const flows = new Flows();
    await syncFlows(flows, [task("t_1", "pending")], present("t_1"));
    const flow = [...flows.rows.values()][0]!;
    const stale = { ...flow };
    flow.revision += 1; // another writer (the host's maintenance, an operator) got there first
    const list = flows.list.bind(flows);
    flows.list = async () => [stale];
    expect(await syncFlows(flows, [task("t_1", "running")], present("t_1"))).toMatchObject({
      refused: 1,
      updated: 0,
    });
    flows.list = list;
    expect(await syncFlows(flows, [task("t_1", "running")], present("t_1"))).toMatchObject({
      refused: 0,
      updated: 1,
    });
    expect(flows.statusOf("t_1")).toBe("running");
  });

  it("flows of other controllers are never touched", async () => {
    const flows = new Flows();
    await flows.createManaged({
      controllerId: "someone-else",
      goal: "theirs",
      stateJson: { task_id: "t_1" },
    });
    await syncFlows(flows, [task("t_1", "running")], present());
    expect([...flows.rows.values()].find((f) => f.controllerId === "someone-else")).toMatchObject({
      status: "queued",
      revision: 0,
      cancelRequestedAt: null,
    });
  });
});

describe("Task Flow mirror as the service runs it: not every tick", () => {
  it("an unchanged queue is not synced again within a minute; a write, or a minute, makes it sync", async () => {
    const t = tempDir();
    try {
      let now = Date.parse("2026-11-28T10:00:00Z");
      // A quiet machine: under load a waiting task's "until" moves every minute, which is a change.
      const quiet = () => ({ loadPerCore: 0, freeMemoryMB: 1 << 20 });
      const ctx = () =>
        createContext({
          workspace: t.dir,
          deps: {
            env: { HOME: path.join(t.dir, "home") },
            now: () => now,
            observeSystem: quiet,
            logger: { info() {}, warn() {}, error() {} },
          },
        });
      const flows = new Flows();
      let listed = 0;
      const list = flows.list.bind(flows);
      flows.list = async () => {
        listed++;
        return list();
      };
      const mirror = new FlowMirror(flows, () => undefined);
      await addTask(await ctx(), { prompt: "a" });
      expect(await mirror.sync(await ctx(), false)).toMatchObject({ created: 1 });
      expect(await mirror.sync(await ctx(), false)).toBeNull();
      now += RESYNC_MS - 1;
      expect(await mirror.sync(await ctx(), false)).toBeNull();
      expect(listed).toBe(1);
      await addTask(await ctx(), { prompt: "b" });
      expect(await mirror.sync(await ctx(), false)).toMatchObject({ created: 1 });
      now += RESYNC_MS;
      expect(await mirror.sync(await ctx(), false)).toEqual({
        created: 0,
        updated: 0,
        cancelled: 0,
        refused: 0,
      });
      expect(listed).toBe(3);
    } finally {
      t.cleanup();
    }
  });

  it("a task dead before the first sync gets no flow; one that died between two syncs gets its failed flow", async () => {
    const t = tempDir();
    try {
      const ctx = quietContext(t.dir);
      const dies = async (prompt: string): Promise<string> => {
        const { task: added } = await addTask(await ctx(), { prompt });
        let state = added.state;
        for (let i = 0; i < 10 && state !== "dead"; i++)
          state = (await failTask(await ctx(), added.id, "500 internal error")).state;
        expect(state).toBe("dead");
        return added.id;
      };
      const past = await dies("dead before the gateway started");
      const flows = new Flows();
      const mirror = new FlowMirror(flows, () => undefined);
      expect(await mirror.sync(await ctx(), false)).toMatchObject({ created: 0 });
      const since = await dies("added and dead between two ticks");
      expect(await mirror.sync(await ctx(), false)).toMatchObject({ created: 1, refused: 0 });
      expect([flows.statusOf(past), flows.statusOf(since)]).toEqual([undefined, "failed"]);
      expect(flows.rows.size).toBe(1);
    } finally {
      t.cleanup();
    }
  });

  it("never throws into the tick, and says a failure once, not at every tick", async () => {
    const t = tempDir();
    try {
      const ctx = quietContext(t.dir);
      const flows = new Flows();
      flows.list = async () => {
        throw new Error("TaskFlow persistence failed.");
      };
      const warnings: string[] = [];
      const mirror = new FlowMirror(flows, (m) => warnings.push(m));
      await addTask(await ctx(), { prompt: "a" });
      expect(await mirror.sync(await ctx(), false)).toBeNull();
      expect(await mirror.sync(await ctx(), false)).toBeNull();
      expect(warnings).toEqual(["Task Flow mirror: TaskFlow persistence failed."]);
    } finally {
      t.cleanup();
    }
  });
});
