import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, runCli, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("task-manager serve and priority", () => {
  it("serve refuses to bind anything but loopback, with a stable code and nothing printed to stdout but the error", () => {
    const r = cliJson(["serve", "--host", "0.0.0.0", "-w", t.dir, "--json"]);
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({ status: "ERROR", code: "E_INVALID_INPUT" });
    expect(String(r.body.message)).toContain("loopback only");
  });

  it("priority <id> <n> changes the run order the way the status page's action does", () => {
    const first = cliJson<{ task: { id: string } }>(["add", "first", "-w", t.dir, "--json"]).body
      .task.id;
    const second = cliJson<{ task: { id: string } }>(["add", "second", "-w", t.dir, "--json"]).body
      .task.id;
    expect(cliJson(["priority", second, "1", "-w", t.dir, "--json"]).body).toMatchObject({
      status: "OK",
      task: { id: second, priority: 1 },
    });
    const order = cliJson<{ tasks: Array<{ id: string }> }>([
      "list",
      "-w",
      t.dir,
      "--json",
    ]).body.tasks.map((x) => x.id);
    expect(order).toEqual([second, first]);
  });

  it("priority with a value that is not a whole number is a usage error (exit 2)", () => {
    expect(runCli(["priority", "t_x", "soon", "-w", t.dir]).code).toBe(2);
  });
});
