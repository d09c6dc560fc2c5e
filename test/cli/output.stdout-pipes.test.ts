import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

/**
 * The CLI writes results to fd 1 directly, not through process.stdout. A stdout pipe can be
 * non-blocking (Node makes it so once anything touches process.stdout, as the preload here
 * does); then a write larger than the pipe's free space is refused with EAGAIN instead of
 * waiting. The output must still arrive whole, as one document, however slow the reader.
 */
describe("results written straight to a stdout pipe", () => {
  it("non-blocking and a slow reader: a result larger than the pipe buffer arrives whole", async () => {
    const prompt = "x".repeat(60_000);
    for (let i = 0; i < 4; i++)
      expect(runCli(["add", "-w", t.dir, "--", `${i} ${prompt}`]).code).toBe(0);
    const preload = path.join(t.dir, "touch-stdout.cjs");
    writeFileSync(preload, "process.stdout;\n");
    const child = spawn(process.execPath, ["-r", preload, CLI, "list", "--json", "-w", t.dir], {
      env: { PATH: process.env.PATH, HOME: t.dir },
    });
    child.stdout.pause();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Let the CLI fill the pipe (64 KiB) before anyone reads.
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    const { tasks } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      tasks: { prompt: string }[];
    };
    expect(tasks).toHaveLength(4);
    expect(tasks.every((task) => task.prompt.endsWith(prompt))).toBe(true);
  });

  it("a reader that goes away (`| head`) gets no stack trace on stderr", async () => {
    expect(runCli(["add", "-w", t.dir, "--", "x".repeat(60_000)]).code).toBe(0);
    expect(runCli(["add", "-w", t.dir, "--", "y".repeat(60_000)]).code).toBe(0);
    const child = spawn(process.execPath, [CLI, "list", "--json", "-w", t.dir], {
      env: { PATH: process.env.PATH, HOME: t.dir },
    });
    child.stdout.destroy(); // the reader is gone before the CLI writes
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
