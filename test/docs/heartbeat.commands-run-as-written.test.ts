import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, ROOT, tempDir, writeRelaxedRc } from "../helpers/cli.js";
import { fill, pasteableSection, readInstructions } from "../e2e/harness/heartbeat-instructions.js";

/**
 * HEARTBEAT.md's section, read the way the e2e heartbeat agent reads it, run as an exec tool
 * runs commands (`sh -c`, the skill's own wrapper): the check, then ack or fail filled in from
 * the status object and a spawn result. The full flow on real hosts is
 * test/e2e/skill-heartbeat.e2e.test.ts; this catches a broken command in seconds.
 */
const section = pasteableSection(readFileSync(path.join(ROOT, "HEARTBEAT.md"), "utf8"), ROOT);
const doc = readInstructions(section);

describe("HEARTBEAT.md's commands, run as written", () => {
  let ws: ReturnType<typeof tempDir>;
  const env = (): NodeJS.ProcessEnv => ({
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    HOME: ws.dir,
    TASK_MANAGER_WORKSPACE: ws.dir,
  });
  const sh = (command: string): string =>
    execFileSync("sh", ["-c", command], { cwd: ws.dir, env: env(), encoding: "utf8" });
  const list = (): Array<{
    id: string;
    state: string;
    run: { run_id: string } | null;
    last_error: { message: string } | null;
  }> =>
    cliJson<{
      tasks: Array<{
        id: string;
        state: string;
        run: { run_id: string } | null;
        last_error: { message: string } | null;
      }>;
    }>(["list", "--all", "--json"], { env: env() }).body.tasks;

  beforeEach(() => {
    ws = tempDir("tm-heartbeat-doc-");
    writeRelaxedRc(ws.dir);
    cliJson(["add", "Write the weekly report", "--json"], { env: env() });
  });
  afterEach(() => ws.cleanup());

  it("names the spawn tool and passes it exactly the recommendation's fields", () => {
    const ready = JSON.parse(sh(doc.check)) as {
      status: string;
      recommendation: Record<string, unknown>;
    };
    expect(ready.status).toBe("READY");
    expect(doc.spawnTool).toBe("sessions_spawn");
    expect(Object.fromEntries(doc.spawnArgs)).toEqual({
      task: "recommendation.prompt",
      model: "recommendation.model",
      label: "recommendation.label",
      runTimeoutSeconds: "recommendation.runTimeoutSeconds",
    });
    expect(Object.keys(ready.recommendation).sort()).toEqual([
      "label",
      "model",
      "prompt",
      "runTimeoutSeconds",
    ]);
    expect(doc.deferred).toEqual({ tool: "tool_call", result: "result.details" });
  });

  it("check → accepted spawn → ack leaves the task running with that run", () => {
    const ready = JSON.parse(sh(doc.check)) as { task: { id: string } };
    const spawned = {
      status: doc.acceptedStatus,
      runId: "run-1",
      childSessionKey: "agent:main:subagent:abc",
    };
    sh(fill(doc.ack, [spawned, ready]));
    expect(list()).toMatchObject([
      { id: ready.task.id, state: "running", run: { run_id: "run-1" } },
    ]);
  });

  it("check → refused spawn → fail records the host's error", () => {
    const ready = JSON.parse(sh(doc.check)) as { task: { id: string } };
    sh(
      fill(doc.fail, [{ status: "forbidden", error: "sessions_spawn is not allowed here" }, ready]),
    );
    expect(list()).toMatchObject([
      {
        id: ready.task.id,
        state: "pending",
        last_error: { message: "sessions_spawn is not allowed here" },
      },
    ]);
  });

  it("an error text with shell syntax in it is recorded verbatim and runs nothing (it goes on stdin)", () => {
    const ready = JSON.parse(sh(doc.check)) as { task: { id: string } };
    const hostile =
      "refused: $(touch pwned-1) `touch pwned-2` \"; touch pwned-3; echo \" '$(touch pwned-4)'";
    sh(fill(doc.fail, [{ status: "error", error: hostile }, ready]));
    expect(list()).toMatchObject([
      { id: ready.task.id, state: "pending", last_error: { message: hostile } },
    ]);
    expect(readdirSync(ws.dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });

  it("a placeholder nothing answers is an error, not a command with a hole in it", () => {
    expect(() => fill(doc.ack, [{}])).toThrow(/placeholder <task\.id>/);
  });
});
