import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("`task-manager run`: a foreground scheduler for hosts without plugin mode", () => {
  it("runs a check on every tick of `schedule`, one JSON line each, and stops cleanly on SIGTERM", async () => {
    writeFileSync(
      path.join(t.dir, ".taskmanagerrc.json"),
      JSON.stringify({ schedule: "* * * * * *", loadThreshold: 1000, minFreeMemoryMB: 0 }),
    );
    runCli(["add", "first", "-w", t.dir]);
    runCli(["add", "second", "-w", t.dir]);
    const child = spawn(process.execPath, [CLI, "run", "-w", t.dir], {
      env: { PATH: process.env.PATH, HOME: path.join(t.dir, "home") },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (out.split("\n").filter(Boolean).length >= 3) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code).toBe(0);
    const lines = out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { status: string; reason?: string });
    expect(lines[0]).toMatchObject({ status: "READY" });
    // The first tick claimed a task; nobody acks it, so its lease holds the only slot.
    expect(lines.slice(1, 3)).toEqual([
      expect.objectContaining({ status: "DEFERRED", reason: "concurrency_limit" }),
      expect.objectContaining({ status: "DEFERRED", reason: "concurrency_limit" }),
    ]);
    expect(err).toMatch(/run: schedule \* \* \* \* \* \* \(config\)/);
    expect(err).toMatch(/run: stopped/);
  }, 20_000);

  it("a bad schedule is E_CONFIG_INVALID naming the key, before anything runs", () => {
    writeFileSync(
      path.join(t.dir, ".taskmanagerrc.json"),
      JSON.stringify({ schedule: "61 * * * * *" }),
    );
    const r = runCli(["run", "--json", "-w", t.dir]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      code: "E_CONFIG_INVALID",
      message: expect.stringContaining('key "schedule"'),
    });
  });
});
