import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  makeHome,
  seedDeferredQueue,
  writeSessions,
  type BenchHome,
} from "../../lib/bench-home.js";
import { CLI } from "../helpers/cli.js";

let home: BenchHome;
beforeEach(() => (home = makeHome(false)));
afterEach(() => home.dispose());

/**
 * A heartbeat check runs each of its functions a few times, in a fresh process: if one gets hot
 * enough for V8 to compile it with TurboFan, that compile (3.5 ms for path's normalizeString,
 * per --trace-opt) is wasted on a process that is about to exit. path.join and path.resolve on
 * long paths did exactly this. Maglev, the quick middle tier that Node 24 reaches much sooner
 * (0.1–0.8 ms a function, on a helper thread), is not counted. The benchmark shows the time;
 * this keeps the cause from coming back, on a long workspace path, the bench's queue (100
 * tasks) and busy sessions.
 */
describe("an idle heartbeat check makes V8 compile nothing with TurboFan", () => {
  it("with a 200-character workspace path, 100 queued tasks and three busy sub-agents", async () => {
    const deep = path.join(
      home.root,
      ...Array.from({ length: 8 }, (_, i) => `a-rather-long-folder-name-${i}`),
      "workspace",
    );
    mkdirSync(deep, { recursive: true });
    expect(deep.length).toBeGreaterThan(200);
    writeSessions(home, Date.now());
    await seedDeferredQueue({ ...home, workspace: deep }, 100);
    const r = spawnSync(process.execPath, ["--trace-opt", CLI, "check", "-w", deep], {
      env: home.env,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const status = JSON.parse(
      r.stdout.split("\n").find((line) => line.startsWith("{")) ?? "null",
    ) as { status: string; reason: string; active_sessions: number };
    // The claimed task and the three busy sub-agents: the sessions and transcripts were read.
    expect(status).toMatchObject({
      status: "DEFERRED",
      reason: "concurrency_limit",
      active_sessions: 4,
    });
    const marked = r.stdout
      .split("\n")
      .filter((line) => /for optimization to TURBOFAN/i.test(line));
    expect(marked).toEqual([]);
  });
});
