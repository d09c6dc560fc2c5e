import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { Queue } from "../../dist/core/queue-model.js";
import {
  cli,
  CLI,
  makeSandbox,
  queuePath,
  type Exit,
  type Sandbox,
  removeSandboxes,
} from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

interface Frozen {
  child: ChildProcess;
  done: Promise<Exit>;
}

const started: ChildProcess[] = [];

/** A failed assertion must not leave a stopped process behind (it would hold its lock forever). */
function killLeftovers(): void {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Starts `add <prompt>` that SIGSTOPs itself at `point` while holding the lock. */
function addThatFreezes(s: Sandbox, prompt: string, point: string): Frozen {
  const child = spawn(process.execPath, [CLI, "add", prompt, "--json"], {
    env: { ...s.env, TASK_MANAGER_PAUSE_AT: point },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const done = new Promise<Exit>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now() }),
    );
  });
  return { child, done };
}

/** Resolves once the kernel reports the process stopped (state T in /proc/<pid>/stat). */
async function stopped(pid: number): Promise<void> {
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const prompts = (s: Sandbox): string[] =>
  (JSON.parse(readFileSync(queuePath(s), "utf8")) as Queue).tasks.map((t) => t.prompt);
const codeOf = (e: Exit): string | undefined =>
  (JSON.parse(e.stdout || "{}") as { code?: string }).code;

/** No stack trace, no unhandled error: the loss of the lock surfaced as an ordinary result. */
function expectCleanFailure(e: Exit): void {
  expect(e.signal).toBeNull();
  expect(e.code).toBe(1);
  expect(["E_STALE_WRITE", "E_LOCK_COMPROMISED"]).toContain(codeOf(e));
  expect(e.stderr).not.toMatch(/ECOMPROMISED|Unhandled|at .*\.js:\d+/);
}

afterEach(killLeftovers);
afterAll(removeSandboxes);

describe("a lock holder frozen past the stale timeout (SIGSTOP, laptop sleep)", () => {
  test.each(["after_lock", "after_stage"])(
    "frozen at %s, then resumed after another process took the lock and wrote: the newer queue survives",
    async (point) => {
      const s = makeSandbox(`frozen-${point}`);
      expect((await cli(s, ["add", "before"])).code).toBe(0);
      const frozen = addThatFreezes(s, "from the frozen holder", point);
      await stopped(frozen.child.pid!);
      const taker = await cli(s, ["add", "from the taker"]); // waits out the 2 s stale time, then writes
      expect(taker.code, taker.stderr).toBe(0);
      frozen.child.kill("SIGCONT");
      const resumed = await frozen.done;
      const after = prompts(s);
      await recordFigure(`frozen-${point}`, {
        staleMs: 2000,
        resumedWith: codeOf(resumed) ?? "OK",
        prompts: after.length,
        takerKept: after.includes("from the taker"),
      });
      expect(after).toContain("from the taker");
      expect(after).toContain("before");
      if (point === "after_stage") {
        // It staged bytes computed from the old queue: publishing them would erase the taker's task.
        expectCleanFailure(resumed);
        expect(after).not.toContain("from the frozen holder");
      } else {
        // Frozen before reading: failing cleanly or writing on top of the taker's queue are both safe.
        if (resumed.code !== 0) expectCleanFailure(resumed);
      }
    },
    60_000,
  );

  test("resumed while the taker still holds the lock: the old holder does not write, and does not remove the taker's lock", async () => {
    const s = makeSandbox("frozen-both");
    const first = addThatFreezes(s, "first (frozen, loses the lock)", "after_stage");
    await stopped(first.child.pid!);
    const taker = addThatFreezes(s, "taker (holds the lock)", "after_lock");
    await stopped(taker.child.pid!); // it got the lock: the first holder's is stale by now
    first.child.kill("SIGCONT");
    const firstExit = await first.done;
    const third = cli(s, ["add", "third (must wait for the taker)"]);
    taker.child.kill("SIGCONT");
    const [takerExit, thirdExit] = [await taker.done, await third];
    const after = prompts(s);
    await recordFigure("frozen-both", {
      first: codeOf(firstExit) ?? "OK",
      taker: codeOf(takerExit) ?? "OK",
      third: codeOf(thirdExit) ?? "OK",
      prompts: after,
    });
    expectCleanFailure(firstExit);
    expect(takerExit.code, takerExit.stdout + takerExit.stderr).toBe(0);
    expect(thirdExit.code, thirdExit.stdout + thirdExit.stderr).toBe(0);
    expect(after.sort()).toEqual(["taker (holds the lock)", "third (must wait for the taker)"]);
  }, 60_000);
});
