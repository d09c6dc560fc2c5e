import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, tempDir, writeRelaxedRc } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => {
  t = tempDir();
  writeRelaxedRc(t.dir);
});
afterEach(() => t.cleanup());

/** A wrapper from skill/, found through TASK_MANAGER_WORKSPACE like the original helpers. */
function wrapper(
  name: string,
  args: string[],
): { code: number | null; json: Record<string, unknown> } {
  const r = spawnSync(path.join(ROOT, "skill", name), args, {
    env: {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      HOME: path.join(t.dir, "home"),
      TASK_MANAGER_WORKSPACE: t.dir,
    },
    encoding: "utf8",
  });
  return {
    code: r.status,
    json: r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {},
  };
}

describe("the original helper names still work: add-task.sh, check-and-spawn.sh, process-task", () => {
  it("add → check (READY) → ack → fail (retried) and done, all through the wrappers", () => {
    expect(wrapper("add-task.sh", ["Resume the crawl", "2"]).json).toMatchObject({
      status: "ADDED",
      task: { priority: 2, source: "skill" },
    });
    const ready = wrapper("check-and-spawn.sh", []).json as {
      status: string;
      task: { id: string };
    };
    expect(ready.status).toBe("READY");
    const id = ready.task.id;
    expect(
      wrapper("process-task", ["ack", id, "run-1", "agent:main:subagent:c1"]).json,
    ).toMatchObject({
      task: { state: "running", run: { run_id: "run-1", session_key: "agent:main:subagent:c1" } },
    });
    expect(wrapper("process-task", ["fail", id, "--model timed out; retry"]).json).toMatchObject({
      task: { state: "pending", last_error: { message: "--model timed out; retry" } },
    });
    expect(wrapper("process-task", ["done", id]).json).toMatchObject({ task: { state: "done" } });
  });

  it("usage errors exit 2 and say how to call them", () => {
    expect(wrapper("add-task.sh", []).code).toBe(2);
    expect(wrapper("process-task", ["ack", "t_x"]).code).toBe(2);
    expect(wrapper("process-task", ["frobnicate"]).code).toBe(2);
  });
});
