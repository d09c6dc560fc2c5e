import { afterAll, describe, expect, test } from "vitest";
import { createContext } from "../../dist/runtime/context.js";
import * as ops from "../../dist/runtime/operations.js";
import {
  intFromEnv,
  makeSandbox,
  prng,
  seedFromEnv,
  type Sandbox,
  removeSandboxes,
} from "./lib/env.ts";
import { drain } from "./lib/drain.ts";
import { appendLine, readGatewayRecord } from "./lib/fake-gateway.ts";
import { recordFigure } from "./lib/figures.ts";
import {
  ackLogOf,
  acknowledgedAdds,
  FIXED_KILLS,
  inflict,
  RANDOM_KILL,
  readQueue,
  stagedFiles,
  STEP_MS,
  type Kill,
} from "./lib/lane.ts";

const KILLS = intFromEnv("TM_KILLS", 210);
const LANES = intFromEnv("TM_KILL_LANES", 12);
const SEED = seedFromEnv();

interface LaneStats {
  kills: number;
  byPoint: Record<string, number>;
  unparseable: number;
  lostAcknowledged: number;
  stagedLeftByKills: number;
  stagedAfterNextWrite: number;
  recoveryMs: number[];
  offset: number;
}

/** Every kill leaves the lock, a staging file or a half-done dispatch behind; a normal step follows. */
const LEAVES_LOCK = new Set(["after_lock", "after_stage", "after_rename", "after_rename#2"]);

async function verify(s: Sandbox, stats: LaneStats): Promise<void> {
  const queue = await readQueue(s);
  if (queue === null) {
    stats.unparseable += 1;
    return;
  }
  const ids = new Set(queue.tasks.map((t) => t.id));
  stats.lostAcknowledged += acknowledgedAdds(s).filter((id) => !ids.has(id)).length;
}

/**
 * One lane: rounds of (normal add → verify → kill → verify) on its own workspace. Lanes run in
 * parallel so the 2 s stale-lock waits after in-lock kills overlap.
 */
async function runLane(
  lane: number,
  kills: Kill[],
  random: () => number,
): Promise<{ s: Sandbox; stats: LaneStats }> {
  const s = makeSandbox(`crash${lane}`);
  const stats: LaneStats = {
    kills: 0,
    byPoint: {},
    unparseable: 0,
    lostAcknowledged: 0,
    stagedLeftByKills: 0,
    stagedAfterNextWrite: 0,
    recoveryMs: [],
    offset: 0,
  };
  let lastKill: { at: string; exitedAt: number } | null = null;
  for (const kill of kills) {
    stats.offset += STEP_MS;
    // The survivor is this test process (a different process from the one killed, same lock).
    const clock = stats.offset;
    const ctx = await createContext({
      workspace: s.workspace,
      deps: { now: () => Date.now() + clock, env: s.env },
    });
    const added = await ops.addTask(ctx, {
      prompt: `lane ${lane} t${clock}`,
      source: "reliability",
    });
    appendLine(ackLogOf(s), JSON.stringify({ added: added.task.id }));
    if (lastKill && LEAVES_LOCK.has(lastKill.at))
      stats.recoveryMs.push(Date.now() - lastKill.exitedAt);
    stats.stagedAfterNextWrite += stagedFiles(s).length;
    await verify(s, stats);
    stats.offset += STEP_MS;
    const exit = await inflict(s, kill, stats.offset, Math.floor(random() * 120));
    expect(
      exit.signal,
      `${kill.kind}@${kill.at} should die by SIGKILL: ${exit.stdout} ${exit.stderr}`,
    ).toBe("SIGKILL");
    stats.kills += 1;
    stats.byPoint[`${kill.kind}@${kill.at}`] = (stats.byPoint[`${kill.kind}@${kill.at}`] ?? 0) + 1;
    if (kill.at === "after_stage") stats.stagedLeftByKills += stagedFiles(s).length;
    lastKill = { at: kill.at, exitedAt: exit.exitedAt };
    await verify(s, stats);
  }
  return { s, stats };
}

/** Spreads the kills over lanes: the named points in turn, every third kill a random one. */
function schedule(total: number, lanes: number): Kill[][] {
  const plan: Kill[][] = Array.from({ length: lanes }, () => []);
  for (let i = 0; i < total; i++) {
    const kill =
      i % 3 === 2 ? RANDOM_KILL : FIXED_KILLS[(i - Math.floor(i / 3)) % FIXED_KILLS.length]!;
    plan[i % lanes]!.push(kill);
  }
  return plan;
}

afterAll(removeSandboxes);

describe("crashes: SIGKILL at every named point and at random", () => {
  test(`${KILLS} kills over ${LANES} workspaces: the queue always parses, no acknowledged task is lost, none runs twice`, async () => {
    const random = prng(SEED);
    const lanes = await Promise.all(
      schedule(KILLS, LANES).map((kills, lane) => runLane(lane, kills, random)),
    );
    const totals = {
      kills: 0,
      unparseable: 0,
      lostAcknowledged: 0,
      stagedLeftByKills: 0,
      stagedAfterNextWrite: 0,
      notDone: 0,
      duplicateRuns: 0,
      repeatedSpawnCalls: 0,
      tasks: 0,
      runs: 0,
    };
    const byPoint: Record<string, number> = {};
    const recovery: number[] = [];
    for (const { s, stats } of lanes) {
      await drain(s, stats.offset, 400);
      await verify(s, stats);
      const queue = (await readQueue(s))!;
      const gateway = readGatewayRecord(s.stateDir);
      const runsPerTask = new Map<string, number>();
      for (const run of gateway.runs)
        runsPerTask.set(run.taskId, (runsPerTask.get(run.taskId) ?? 0) + 1);
      const callsPerKey = new Map<string, number>();
      for (const call of gateway.calls)
        callsPerKey.set(call.idempotencyKey, (callsPerKey.get(call.idempotencyKey) ?? 0) + 1);
      totals.kills += stats.kills;
      totals.unparseable += stats.unparseable;
      totals.lostAcknowledged += stats.lostAcknowledged;
      totals.stagedLeftByKills += stats.stagedLeftByKills;
      totals.stagedAfterNextWrite += stats.stagedAfterNextWrite + stagedFiles(s).length;
      totals.notDone += queue.tasks.filter(
        (t) => t.state !== "done" || runsPerTask.get(t.id) !== 1,
      ).length;
      totals.duplicateRuns += [...runsPerTask.values()].reduce((n, c) => n + c - 1, 0);
      totals.repeatedSpawnCalls += [...callsPerKey.values()].reduce((n, c) => n + c - 1, 0);
      totals.tasks += queue.tasks.length;
      totals.runs += gateway.runs.length;
      recovery.push(...stats.recoveryMs);
      for (const [k, v] of Object.entries(stats.byPoint)) byPoint[k] = (byPoint[k] ?? 0) + v;
    }
    recovery.sort((a, b) => a - b);
    const lockRecoveryMs = {
      samples: recovery.length,
      min: recovery[0],
      median: recovery[Math.floor(recovery.length / 2)],
      max: recovery.at(-1),
      staleMs: 2000,
    };
    await recordFigure("crash", { seed: SEED, lanes: LANES, ...totals, lockRecoveryMs, byPoint });
    expect(totals.kills).toBe(KILLS);
    expect(totals.unparseable).toBe(0);
    expect(totals.lostAcknowledged).toBe(0);
    expect(totals.notDone).toBe(0);
    expect(totals.duplicateRuns).toBe(0);
    expect(totals.stagedLeftByKills).toBeGreaterThan(0);
    expect(totals.stagedAfterNextWrite).toBe(0);
  }, 600_000);
});
