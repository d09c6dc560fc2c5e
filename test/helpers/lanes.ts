import { mkdirSync } from "node:fs";
import path from "node:path";
import type { HostPort } from "../../src/host/port.js";
import { MainActivity } from "../../src/plugin/main-activity.js";
import type { Lane } from "../../src/plugin/service.js";
import type { PolicyInput } from "../../src/policy/schema.js";
import { createContext } from "../../src/runtime/context.js";
import type { SpawnRequest, Spawner } from "../../src/runtime/dispatch.js";
import { policy, RELAXED_POLICY } from "./fixtures.js";

interface Run {
  agent: string;
  taskId: string;
  status: "running" | "done";
}

/**
 * An in-memory gateway for the dispatcher's tests: it starts runs (a repeated idempotency key
 * starts none, as the real hosts do), shows each agent its busy sub-agent sessions, and says how
 * a run ended once the test ends it. Counts what a test asserts: runs at once, spawns per task.
 */
export class FakeGatewayHost implements Spawner {
  readonly runs = new Map<string, Run>();
  readonly spawnsByKey = new Map<string, number>();
  /** Most runs busy at once, on the whole gateway and per agent. */
  maxBusy = 0;
  readonly maxBusyPerAgent = new Map<string, number>();
  /** Every spawn, in order. */
  readonly spawned: SpawnRequest[] = [];
  /** Called for each spawn (a test can end runs, or time them). */
  onSpawn: ((r: SpawnRequest) => void) | null = null;

  async spawn(request: SpawnRequest): Promise<{ runId: string | null }> {
    const seen = this.spawnsByKey.get(request.idempotencyKey) ?? 0;
    this.spawnsByKey.set(request.idempotencyKey, seen + 1);
    this.spawned.push(request);
    if (seen === 0) {
      const agent = /^agent:([^:]+):/.exec(request.sessionKey)![1]!;
      this.runs.set(request.sessionKey, { agent, taskId: request.taskId, status: "running" });
      this.maxBusy = Math.max(this.maxBusy, this.busy());
      this.maxBusyPerAgent.set(
        agent,
        Math.max(this.maxBusyPerAgent.get(agent) ?? 0, this.busy(agent)),
      );
    }
    this.onSpawn?.(request);
    return { runId: `run-${request.idempotencyKey}` };
  }

  busy(agent?: string): number {
    let n = 0;
    for (const r of this.runs.values())
      if (r.status === "running" && (agent === undefined || r.agent === agent)) n += 1;
    return n;
  }

  /** Ends a run as done (the host's record says so from now on). */
  finish(sessionKey: string): void {
    const run = this.runs.get(sessionKey);
    if (run) run.status = "done";
  }

  running(agent?: string): string[] {
    return [...this.runs.entries()]
      .filter(([, r]) => r.status === "running" && (agent === undefined || r.agent === agent))
      .map(([k]) => k);
  }

  /** The host port one agent's context sees. */
  port(agent: string): HostPort {
    return {
      info: { kind: "none", state_dir: null, sessions_store: null },
      config: null,
      view: () => ({
        busySubagents: async () => this.running(agent),
        runOutcome: async ({ sessionKey }) => {
          const run = this.runs.get(sessionKey);
          if (!run) return { status: "unknown" };
          return run.status === "done"
            ? { status: "done", model: "google/gemini-2.5-flash" }
            : { status: "running" };
        },
        hasRun: async (key) => this.runs.has(key),
        failedRuns: async () => [],
      }),
    };
  }
}

const quiet = { info() {}, warn() {}, error() {} };

export interface TestLane extends Lane {
  workspace: string;
  /** Store watches the dispatcher holds open on this lane's queue now. */
  watches(): number;
}

/** A lane on a real temp workspace (its own queue file), with a given policy, on the fake gateway. */
export function testLane(
  root: string,
  id: string,
  input: PolicyInput,
  gateway: FakeGatewayHost,
  now: () => number = Date.now,
): TestLane {
  const workspace = path.join(root, `workspace-${id}`);
  mkdirSync(workspace, { recursive: true });
  const home = path.join(root, "home");
  mkdirSync(home, { recursive: true });
  const p = policy({ ...RELAXED_POLICY, ...input, agentId: id });
  let watches = 0;
  return {
    id,
    workspace,
    heartbeatEvery: null,
    main: new MainActivity(`agent:${id}:main`, 60_000, now),
    notify: () => undefined,
    watches: () => watches,
    context: async () => {
      const ctx = await createContext({
        workspace,
        policy: p,
        host: {
          location: {
            kind: null,
            stateDir: path.join(home, ".openclaw"),
            configPath: path.join(home, ".openclaw", "openclaw.json"),
            source: "test",
          },
          adapter: async () => gateway.port(id),
        },
        deps: { now, env: { HOME: home }, logger: quiet },
      });
      // Counted, so a test sees every watch released again.
      const watch = ctx.store.watch.bind(ctx.store);
      ctx.store.watch = (onChange) => {
        watches += 1;
        const stop = watch(onChange);
        let open = true;
        return () => {
          if (open) watches -= 1;
          open = false;
          stop();
        };
      };
      return ctx;
    },
  };
}
