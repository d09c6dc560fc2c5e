import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureAgentEnd, scanFailedSubagents } from "../../src/plugin/run-capture.js";
import { createContext } from "../../src/runtime/context.js";
import { completeTask, listTasks } from "../../src/runtime/operations.js";
import { tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
let sessions: string;
beforeEach(() => {
  t = tempDir();
  sessions = path.join(t.dir, "home/.clawdbot/agents/main/sessions");
  mkdirSync(sessions, { recursive: true });
  mkdirSync(path.join(t.dir, "ws"));
});
afterEach(() => t.cleanup());

const user = {
  role: "user",
  content: [{ type: "text", text: "Summarise the Q3 report" }],
  timestamp: 1000,
};
const failed = {
  role: "assistant",
  content: [],
  stopReason: "error",
  errorMessage: "429 rate limited",
  timestamp: 2000,
};
const line = (message: unknown) =>
  JSON.stringify({
    type: "message",
    id: "x",
    parentId: null,
    timestamp: "2026-11-25T20:00:00.000Z",
    message,
  });

function writeSession(key: string, sessionId: string, messages: unknown[]): void {
  writeFileSync(
    path.join(sessions, "sessions.json"),
    JSON.stringify({ [key]: { sessionId, updatedAt: Date.now() } }),
  );
  writeFileSync(path.join(sessions, `${sessionId}.jsonl`), `${messages.map(line).join("\n")}\n`);
}

const context = () =>
  createContext({
    workspace: path.join(t.dir, "ws"),
    deps: { env: { HOME: path.join(t.dir, "home") } },
  });

describe("auto-capture queues a failed run nobody queued, exactly once", () => {
  it("seen by the transcript scan and by agent_end (which says success:true), it becomes one task, even after that task is done", async () => {
    const key = "agent:main:subagent:abc";
    writeSession(key, "s1", [user, failed]);
    expect(await scanFailedSubagents(await context())).toBe(1);
    expect(await scanFailedSubagents(await context())).toBe(0);
    const hook = await captureAgentEnd(
      await context(),
      { success: true, messages: [user, failed] },
      { sessionKey: key },
      "agent:main:main",
    );
    expect(hook).toBe(0);
    const [task] = await listTasks(await context(), true);
    expect(task).toMatchObject({
      prompt: "Summarise the Q3 report",
      source: "capture",
      metadata: { captured_from: "transcript", session_key: key, error: "429 rate limited" },
    });
    await completeTask(await context(), task!.id);
    expect(await scanFailedSubagents(await context())).toBe(0);
    expect(await listTasks(await context(), true)).toHaveLength(1);
  });

  it("a later failed run in the same session is a new capture", async () => {
    const key = "agent:main:subagent:abc";
    writeSession(key, "s1", [user, failed]);
    await scanFailedSubagents(await context());
    await completeTask(await context(), (await listTasks(await context(), true))[0]!.id);
    writeSession(key, "s1", [
      user,
      failed,
      { ...user, timestamp: 3000 },
      { ...failed, timestamp: 4000 },
    ]);
    expect(await scanFailedSubagents(await context())).toBe(1);
  });

  it("successful runs, our own runs, and the main session (capture.main off by default) are not captured", async () => {
    writeSession("agent:main:subagent:task-manager-xyz-1", "s2", [user, failed]);
    expect(await scanFailedSubagents(await context())).toBe(0);
    writeSession("agent:main:subagent:ok", "s3", [
      user,
      { ...failed, stopReason: "stop", content: [{ type: "text", text: "done" }] },
    ]);
    expect(await scanFailedSubagents(await context())).toBe(0);
    expect(
      await captureAgentEnd(
        await context(),
        { success: false, messages: [user, failed] },
        { sessionKey: "agent:main:main" },
        "agent:main:main",
      ),
    ).toBe(0);
    expect(await listTasks(await context(), true)).toHaveLength(0);
  });
});
