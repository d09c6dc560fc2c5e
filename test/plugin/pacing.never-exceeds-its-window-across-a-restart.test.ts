import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostPort, HostView, SpawnRequest } from "../../src/host/port.js";
import { MainActivity } from "../../src/plugin/main-activity.js";
import { TaskManagerService } from "../../src/plugin/service.js";
import { createContext } from "../../src/runtime/context.js";
import { addTask, listTasks } from "../../src/runtime/operations.js";
import { policy, RELAXED_POLICY, T0 } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/cli.js";

/**
 * A 10-runs-per-hour pacing limit over a simulated clock, with the plugin's service on the real
 * file store, and a gateway restart in the middle of the hour: the first service is stopped and
 * a second one (new spawner, new contexts) takes over. Only the queue file carries what the first
 * one started, and the window still holds.
 */
const MODEL = "fake/flash";
const MINUTE = 60_000;
const HOUR = 3_600_000;

let t: { dir: string; cleanup: () => void };
beforeEach(() => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "home"));
});
afterEach(() => t.cleanup());

/** A host whose runs finish a minute after they started (so only pacing holds the starts back). */
function fakeHost(startedAt: Map<string, number>, now: () => number): HostPort {
  const view: HostView = {
    busySubagents: async () => [],
    runOutcome: async ({ sessionKey }) => {
      const at = startedAt.get(sessionKey);
      return at !== undefined && now() - at >= MINUTE
        ? {
            status: "done",
            model: MODEL,
            usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: null },
          }
        : { status: "running" };
    },
    hasRun: async () => false,
    failedRuns: async () => [],
  };
  return {
    info: { kind: "none", state_dir: null, sessions_store: null },
    config: null,
    view: () => view,
  };
}

describe("pacing across a gateway restart in the middle of the hour", () => {
  it("10 runs per hour are never exceeded; the second gateway counts what the first one started", async () => {
    let clock = T0;
    const startedAt = new Map<string, number>();
    const spawns: number[] = [];
    const p = policy({
      ...RELAXED_POLICY,
      models: [MODEL],
      maxConcurrent: 4,
      maxAgeHours: null,
      pacing: { providers: { fake: { perHour: 10 } } },
    });
    const context = () =>
      createContext({
        workspace: t.dir,
        policy: p,
        host: {
          location: {
            kind: null,
            stateDir: path.join(t.dir, "home"),
            configPath: "",
            source: "test",
          },
          adapter: async () => fakeHost(startedAt, () => clock),
        },
        deps: {
          now: () => clock,
          env: { HOME: path.join(t.dir, "home") },
          logger: { info() {}, warn() {}, error() {} },
        },
      });
    const gateway = () =>
      new TaskManagerService({
        lanes: [
          {
            id: "main",
            context,
            main: new MainActivity("agent:main:main", 60_000),
            notify: () => undefined,
            heartbeatEvery: null,
          },
        ],
        spawner: {
          spawn: async (r: SpawnRequest) => {
            startedAt.set(r.sessionKey, clock);
            spawns.push(clock);
            return { runId: `run-${spawns.length}` };
          },
        },
        gateway: {},
        log: () => undefined,
      });
    for (let i = 0; i < 40; i++) await addTask(await context(), { prompt: `task ${i}` });

    const tickUntil = async (svc: TaskManagerService, untilMs: number): Promise<void> => {
      for (; clock < untilMs; clock += 20_000) await svc.tick();
    };
    const first = gateway();
    await tickUntil(first, T0 + 30 * MINUTE);
    await first.stop();
    const beforeRestart = spawns.length;
    // What the restarted gateway has to go on: the queue file.
    const onDisk = JSON.parse(
      readFileSync(path.join(t.dir, "memory/pending_tasks.json"), "utf8"),
    ) as {
      starts?: Record<string, string[]>;
    };
    expect(onDisk.starts?.[MODEL]).toHaveLength(beforeRestart);

    const second = gateway();
    await tickUntil(second, T0 + 150 * MINUTE);
    await second.stop();

    expect(beforeRestart).toBeGreaterThanOrEqual(5);
    for (let i = 0; i + 10 < spawns.length; i++)
      expect(spawns[i + 10]! - spawns[i]!, `starts ${i} and ${i + 10}`).toBeGreaterThanOrEqual(
        HOUR,
      );
    // The second gateway used what was left of the first hour, no more.
    expect(spawns.filter((s) => s < T0 + HOUR)).toHaveLength(10);
    expect(spawns.length).toBeGreaterThan(20);
    const states = (await listTasks(await context(), true)).map((x) => x.state);
    expect(states.filter((s) => s === "done" || s === "pending" || s === "running")).toHaveLength(
      40,
    );
  }, 120_000);
});
