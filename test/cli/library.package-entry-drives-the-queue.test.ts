import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import type * as api from "../../src/index.js";
import { ROOT, tempDir } from "../helpers/cli.js";
import { RELAXED_POLICY } from "../helpers/fixtures.js";

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir("tm-library-");
});
afterEach(() => t.cleanup());

/** Runs an ES module script that imports the package by its name, as a user's script would. */
function script(body: string): { code: number | null; out: unknown; stderr: string } {
  const file = path.join(ROOT, `.library-test-${process.pid}.mjs`);
  writeFileSync(file, `import * as tm from "task-manager";\n${body}\n`);
  try {
    const r = spawnSync(process.execPath, [file], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: t.dir },
      encoding: "utf8",
    });
    const last = r.stdout.trim().split("\n").at(-1) ?? "null";
    return { code: r.status, out: JSON.parse(last), stderr: r.stderr };
  } finally {
    spawnSync("rm", ["-f", file]);
  }
}

describe('the package\'s "." entry is a library a script can drive the queue with', () => {
  it("add → list → check READY → ack → done, on the workspace it is given", () => {
    // A busy test machine must not turn READY into DEFERRED system_load.
    writeFileSync(path.join(t.dir, ".taskmanagerrc"), JSON.stringify(RELAXED_POLICY));
    const ws = JSON.stringify(t.dir);
    const r = script(`
      const opts = { workspace: ${ws} };
      const added = await tm.add({ prompt: "Summarise the tickets", priority: 2 }, opts);
      const again = await tm.add({ prompt: "Summarise the tickets" }, opts);
      const ready = await tm.check(opts);
      await tm.ack(ready.task.id, { sessionKey: "agent:main:subagent:x", runId: "r1" }, opts);
      const finished = await tm.done(ready.task.id, opts);
      const open = await tm.list(opts);
      const all = await tm.list({ ...opts, all: true });
      let missing = null;
      try { await tm.show("t_nope", opts); } catch (err) { missing = [err instanceof tm.TaskManagerError, err.code]; }
      console.log(JSON.stringify({ added: added.status, source: added.task.source, again: again.status,
        ready: ready.status, same: ready.task.id === added.task.id, finished: finished.state,
        open: open.length, all: all.map((x) => x.state), missing }));
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toEqual({
      added: "ADDED",
      source: "library",
      again: "DUPLICATE",
      ready: "READY",
      same: true,
      finished: "done",
      open: 0,
      all: ["done"],
      missing: [true, "E_TASK_NOT_FOUND"],
    });
  });

  it("check answers ERROR as a status object instead of throwing", () => {
    writeFileSync(path.join(t.dir, ".taskmanagerrc"), JSON.stringify({ maxConcurent: 2 }));
    const r = script(
      `console.log(JSON.stringify(await tm.check({ workspace: ${JSON.stringify(t.dir)} })));`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ status: "ERROR", code: "E_CONFIG_INVALID" });
  });

  it("its types: check gives a status object, list gives tasks", () => {
    expectTypeOf<ReturnType<typeof api.check>>().toEqualTypeOf<Promise<api.StatusObject>>();
    expectTypeOf<ReturnType<typeof api.list>>().toEqualTypeOf<Promise<api.Task[]>>();
    expectTypeOf<api.StatusObject["status"]>().toEqualTypeOf<
      "READY" | "DEFERRED" | "NO_TASKS" | "ERROR"
    >();
  });
});
