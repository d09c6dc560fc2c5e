import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRunOutcome } from "../../../src/host/clawdbot/transcript.js";
import { cliJson, tempDir, writeRelaxedRc } from "../../helpers/cli.js";

// Transcript lines exactly as Clawdbot 2026.1.24-3 writes them (test/e2e/HOST-NOTES.md §B).
const head = [
  { type: "session", version: 3, id: "s1", timestamp: "2026-11-25T20:00:00.000Z", cwd: "/ws" },
  {
    type: "model_change",
    id: "a1",
    parentId: null,
    timestamp: "2026-11-25T20:00:00.000Z",
    provider: "fake",
    modelId: "cheap-flash",
  },
  {
    type: "message",
    id: "a2",
    parentId: "a1",
    timestamp: "2026-11-25T20:00:00.000Z",
    message: { role: "user", content: [{ type: "text", text: "Do the task" }], timestamp: 1 },
  },
];
const CONTENT: Record<string, unknown[]> = {
  error: [],
  toolUse: [{ type: "toolCall", id: "call_1", name: "exec", arguments: { command: "ls" } }],
};
const assistant = (stopReason: string, extra: Record<string, unknown> = {}) => ({
  type: "message",
  id: `m${stopReason}`,
  parentId: "a2",
  timestamp: "2026-11-25T20:00:01.000Z",
  message: {
    role: "assistant",
    content: CONTENT[stopReason] ?? [{ type: "text", text: "Task finished: 42." }],
    provider: "fake",
    model: "cheap-flash",
    stopReason,
    timestamp: 2,
    ...extra,
  },
});
const error429 = assistant("error", { errorMessage: "429 rate limited" });
const jsonl = (lines: unknown[]): string => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("a run's outcome comes from its transcript and session lock, never from the host's run status", () => {
  const file = () => path.join(t.dir, "s1.jsonl");

  it("a final answer is done; an error line is a failure with the provider's message", async () => {
    writeFileSync(file(), jsonl([...head, assistant("stop")]));
    expect(await readRunOutcome(file())).toEqual({ status: "done", toolCalls: 0 });
    writeFileSync(file(), jsonl([...head, error429, error429]));
    expect(await readRunOutcome(file())).toEqual({
      status: "failed",
      message: "429 rate limited",
      toolCalls: 0,
    });
  });

  it("an error followed by a later answer (the host's own retry succeeded) is done", async () => {
    writeFileSync(file(), jsonl([...head, error429, assistant("stop")]));
    expect(await readRunOutcome(file())).toEqual({ status: "done", toolCalls: 0 });
  });

  it("while a live process holds the session lock the run is still going, even after an error line", async () => {
    writeFileSync(file(), jsonl([...head, error429]));
    writeFileSync(
      `${file()}.lock`,
      JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() }),
    );
    expect(await readRunOutcome(file())).toEqual({ status: "running" });
  });

  it("a lock left by a dead process (gateway killed mid-run, no transcript yet) is an interrupted run", async () => {
    const child = spawn(process.execPath, ["-e", "0"]);
    const pid = child.pid!;
    await new Promise((r) => child.on("exit", r));
    writeFileSync(`${file()}.lock`, JSON.stringify({ pid, createdAt: new Date().toISOString() }));
    expect(await readRunOutcome(file())).toEqual({ status: "interrupted", toolCalls: 0 });
  });

  it("a tool call in progress is running, and counted (the run has acted); a missing transcript is unknown", async () => {
    writeFileSync(file(), jsonl([...head, assistant("toolUse")]));
    expect(await readRunOutcome(file())).toEqual({ status: "running", toolCalls: 1 });
    writeFileSync(file(), jsonl([...head, assistant("toolUse"), assistant("stop")]));
    expect(await readRunOutcome(file())).toEqual({ status: "done", toolCalls: 1 });
    expect(await readRunOutcome(path.join(t.dir, "nope.jsonl"))).toEqual({ status: "unknown" });
  });
  it("a finished run reports the tokens and cost the host recorded on its answers, summed", async () => {
    const usage = (input: number, output: number, total: number) => ({
      usage: {
        input,
        output,
        cacheRead: 1,
        cacheWrite: 0,
        totalTokens: input + output,
        cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total },
      },
    });
    writeFileSync(
      file(),
      jsonl([
        ...head,
        assistant("toolUse", usage(100, 20, 0.002)),
        assistant("stop", usage(150, 30, 0.003)),
      ]),
    );
    const outcome = await readRunOutcome(file());
    expect(outcome).toMatchObject({
      status: "done",
      toolCalls: 1,
      usage: { input: 250, output: 50, cacheRead: 2, cacheWrite: 0 },
    });
    expect(outcome.status === "done" && outcome.usage?.costUsd).toBeCloseTo(0.005, 9);
  });
});

describe("skill mode: a check settles acked runs from the host's sessions store (real files, real CLI)", () => {
  it("a 429 transcript is a quota failure, never done, and the task moves to the fallback model", () => {
    const home = path.join(t.dir, "home");
    const state = path.join(home, ".clawdbot");
    const sessions = path.join(state, "agents/main/sessions");
    const ws = path.join(t.dir, "ws");
    mkdirSync(sessions, { recursive: true });
    mkdirSync(ws);
    writeRelaxedRc(ws);
    const env = { HOME: home };
    const key = "agent:main:subagent:0f3c";
    writeFileSync(
      path.join(sessions, "sessions.json"),
      JSON.stringify({ [key]: { sessionId: "s1", updatedAt: Date.now(), model: "cheap-flash" } }),
    );
    writeFileSync(path.join(sessions, "s1.jsonl"), jsonl([...head, error429]));

    cliJson(["add", "Do the task", "-w", ws, "--json"], { env });
    const ready = cliJson<{ status: string; task: { id: string }; host: { kind: string } }>(
      ["check", "-w", ws],
      { env },
    ).body;
    expect(ready).toMatchObject({ status: "READY", host: { kind: "clawdbot" } });
    cliJson(["ack", ready.task.id, "--run-id", "r1", "--session-key", key, "-w", ws, "--json"], {
      env,
    });

    const settled = cliJson<{ settled: Array<{ id: string; outcome: string; error: string }> }>(
      ["check", "-w", ws],
      { env },
    ).body;
    expect(settled.settled).toEqual([
      { id: ready.task.id, outcome: "failed", error: "429 rate limited" },
    ]);
    // The same check hands the task to the next whitelisted model: the first one is cooling down.
    expect(settled).toMatchObject({
      status: "READY",
      task: { id: ready.task.id, attempt: 2 },
      recommendation: { model: "anthropic/claude-haiku-4-5" },
    });
    const task = cliJson<{ task: { state: string; last_error: { kind: string } } }>(
      ["show", ready.task.id, "-w", ws, "--json"],
      { env },
    ).body.task;
    expect(task.state).not.toBe("done");
    expect(task.last_error.kind).toBe("quota");
  });
});
