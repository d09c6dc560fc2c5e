import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { zstdCompressSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openclawHost } from "../../../src/host/openclaw/adapter.js";
import { tempDir } from "../../helpers/cli.js";

/**
 * The OpenClaw adapter against databases laid out as OpenClaw 2026.9.6 writes them (the columns
 * it reads, values as seen on a real gateway: INTEGRATION.md, "Host facts: OpenClaw"). The real
 * gateway is exercised by the e2e suite; these pin each reading rule and the edge cases a
 * running gateway rarely shows on demand.
 */
let t: { dir: string; cleanup: () => void };
let state: string;
beforeEach(() => {
  t = tempDir();
  state = path.join(t.dir, ".openclaw");
});
afterEach(() => t.cleanup());

const agentFile = (): string => path.join(state, "agents/main/agent/openclaw-agent.sqlite");

function agentDb(): DatabaseSync {
  mkdirSync(path.dirname(agentFile()), { recursive: true });
  const db = new DatabaseSync(agentFile());
  db.exec(`PRAGMA journal_mode=WAL;
    CREATE TABLE IF NOT EXISTS session_nodes (session_key TEXT PRIMARY KEY, current_session_id TEXT NOT NULL, entry_json TEXT NOT NULL, updated_at INTEGER NOT NULL, status TEXT);
    CREATE TABLE IF NOT EXISTS transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT, created_at INTEGER NOT NULL, event_zstd BLOB, event_utf8_bytes INTEGER, PRIMARY KEY (session_id, seq));`);
  return db;
}

function bootDb(boots: Array<{ pid: number; startedAt: number }>): void {
  mkdirSync(path.join(state, "state"), { recursive: true });
  const db = new DatabaseSync(path.join(state, "state/openclaw.sqlite"));
  db.exec(
    "CREATE TABLE gateway_boot_lifecycle (boot_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, started_at_ms INTEGER NOT NULL, completed_at_ms INTEGER)",
  );
  for (const [i, b] of boots.entries())
    db.prepare("INSERT INTO gateway_boot_lifecycle VALUES (?, ?, ?, NULL)").run(
      `b${i}`,
      b.pid,
      b.startedAt,
    );
  db.close();
}

interface SessionFixture {
  key: string;
  status: string | null;
  entry?: Record<string, unknown>;
  /** Transcript messages, oldest first; a message of 1 KiB or more is stored zstd-compressed, as the host does. */
  messages?: Array<Record<string, unknown>>;
  updatedAt?: number;
}

function session(db: DatabaseSync, s: SessionFixture): void {
  const id = `sid-${s.key.split(":").pop()}`;
  const entry = {
    sessionId: id,
    updatedAt: s.updatedAt ?? Date.now(),
    skillsSnapshot: { prompt: "x".repeat(20_000) },
    ...s.entry,
  };
  db.prepare("INSERT OR REPLACE INTO session_nodes VALUES (?, ?, ?, ?, ?)").run(
    s.key,
    id,
    JSON.stringify(entry),
    s.updatedAt ?? Date.now(),
    s.status,
  );
  const events = [
    { type: "session", version: 4, id },
    ...(s.messages ?? []).map((message) => ({ type: "message", message })),
  ];
  for (const [seq, event] of events.entries()) {
    const json = JSON.stringify(event);
    if (Buffer.byteLength(json) >= 1024)
      db.prepare("INSERT INTO transcript_events VALUES (?, ?, NULL, 0, ?, ?)").run(
        id,
        seq,
        zstdCompressSync(Buffer.from(json)),
        Buffer.byteLength(json),
      );
    else
      db.prepare("INSERT INTO transcript_events VALUES (?, ?, ?, 0, NULL, NULL)").run(
        id,
        seq,
        json,
      );
  }
}

const user = (text: string) => ({ role: "user", content: text });
const answer = (usage = { input: 10, output: 5 }) => ({
  role: "assistant",
  content: [{ type: "text", text: "Task finished." }],
  stopReason: "stop",
  usage,
});
const toolCall = () => ({
  role: "assistant",
  content: [{ type: "toolCall", id: "c1", name: "exec", arguments: { command: "ls" } }],
  stopReason: "toolUse",
});
const error = (message: string) => ({
  role: "assistant",
  content: [],
  stopReason: "error",
  errorMessage: message,
});
const key = (id: string): string => `agent:main:subagent:${id}`;
const deadPid = (): number =>
  spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  }).stdout as unknown as number;

describe("the OpenClaw adapter reads the host's own records", () => {
  it("a finished run is done, with the model that ran, its usage and cost, and its tool calls", async () => {
    const db = agentDb();
    session(db, {
      key: key("a"),
      status: "done",
      entry: {
        model: "cheap-flash",
        modelProvider: "fake",
        inputTokens: 10,
        outputTokens: 5,
        cacheRead: 0,
        cacheWrite: 0,
        estimatedCostUsd: 0.000003,
      },
      messages: [user("Do it"), toolCall(), answer()],
    });
    const host = openclawHost(state, null, "main");
    expect(await host.view().runOutcome({ sessionKey: key("a"), runId: null })).toEqual({
      status: "done",
      model: "fake/cheap-flash",
      usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 0.000003 },
      toolCalls: 1,
    });
    host.close();
  });

  it("a 429 is a failure with the provider's message and the host's recorded reset time — never done", async () => {
    const db = agentDb();
    session(db, {
      key: key("q"),
      status: "failed",
      entry: {
        lastRunError: "⚠️ rate limited",
        quotaSuspension: { expectedResumeBy: 1_795_857_710_010 },
      },
      messages: [user("x"), error("429 rate limited; Retry-After: 0.001 seconds")],
    });
    // The trap: a status that says done while the last answer stopped on an error is still a failure.
    session(db, {
      key: key("d"),
      status: "done",
      messages: [user("x"), error("429 rate limited")],
    });
    const view = openclawHost(state, null, "main").view();
    expect(await view.runOutcome({ sessionKey: key("q"), runId: null })).toMatchObject({
      status: "failed",
      message: "429 rate limited; Retry-After: 0.001 seconds",
      resetAtMs: 1_795_857_710_010,
      toolCalls: 0,
    });
    expect(await view.runOutcome({ sessionKey: key("d"), runId: null })).toMatchObject({
      status: "failed",
      message: "429 rate limited",
    });
  });

  it("a run cut off by a gateway restart is interrupted; a repeated idempotency key after a restart is a refused run (no attempt)", async () => {
    const db = agentDb();
    session(db, {
      key: key("i"),
      status: "failed",
      entry: {
        lastRunError:
          "Subagent execution was interrupted by a Gateway restart. Inspect retained session history and uncertain tool outcomes, then continue the child with a follow-up or assign replacement work.",
      },
      messages: [user("x")],
    });
    session(db, {
      key: key("r"),
      status: "failed",
      messages: [
        user("x"),
        error("Session transcript keyed user is outside the current turn: e6a2b870"),
      ],
    });
    const view = openclawHost(state, null, "main").view();
    expect(await view.runOutcome({ sessionKey: key("i"), runId: null })).toEqual({
      status: "interrupted",
      toolCalls: 0,
    });
    expect(await view.runOutcome({ sessionKey: key("r"), runId: null })).toEqual({
      status: "rejected",
      message: "Session transcript keyed user is outside the current turn: e6a2b870",
    });
  });

  it("a run still marked running whose gateway died is settled as interrupted; running runs count as busy", async () => {
    const db = agentDb();
    const now = Date.now();
    session(db, {
      key: key("orphan"),
      status: "running",
      entry: { startedAt: now - 60_000 },
      messages: [user("x"), toolCall()],
    });
    session(db, { key: key("live"), status: "running", entry: { startedAt: now - 1000 } });
    // The orphan started under a gateway that has since been replaced; the live one under this process.
    bootDb([
      { pid: Number(deadPid()), startedAt: now - 120_000 },
      { pid: process.pid, startedAt: now - 30_000 },
    ]);
    const view = openclawHost(state, null, "main").view();
    // Busy as the host's status says until the next gateway marks the orphan failed.
    expect((await view.busySubagents(now, 60_000)).sort()).toEqual([key("live"), key("orphan")]);
    expect(await view.runOutcome({ sessionKey: key("orphan"), runId: null })).toEqual({
      status: "interrupted",
      toolCalls: 1,
    });
    expect(await view.runOutcome({ sessionKey: key("live"), runId: null })).toEqual({
      status: "running",
    });
    expect(
      await view.runOutcome({ sessionKey: key("live"), runId: null, wantToolCalls: true }),
    ).toEqual({ status: "running", toolCalls: 0 });
  });

  it("failed or interrupted runs nobody queued are found with their task (even compressed), never task-manager's own", async () => {
    const db = agentDb();
    const long = `Summarise the incident. ${"details ".repeat(200)}`;
    session(db, {
      key: key("foreign"),
      status: "failed",
      entry: { endedAt: 42 },
      messages: [user(long), error("500 internal error")],
    });
    session(db, {
      key: key("task-manager-abc-1"),
      status: "failed",
      messages: [user("ours"), error("500")],
    });
    session(db, { key: key("fine"), status: "done", messages: [user("ok"), answer()] });
    const found = await openclawHost(state, null, "main").view().failedRuns(Date.now(), 60_000);
    expect(found).toEqual([
      {
        sessionKey: key("foreign"),
        captureId: `${key("foreign")}@42`,
        prompt: long,
        error: "500 internal error",
        acted: false,
      },
    ]);
  });

  it("a database that appears after the first look is read on the next (the gateway had not run a session yet)", async () => {
    const host = openclawHost(state, null, "main");
    expect(await host.view().runOutcome({ sessionKey: key("late"), runId: null })).toEqual({
      status: "unknown",
    });
    session(agentDb(), { key: key("late"), status: "done", messages: [user("x"), answer()] });
    expect(await host.view().runOutcome({ sessionKey: key("late"), runId: null })).toMatchObject({
      status: "done",
    });
    host.close();
  });

  it("a layout it does not know is a clear error naming the file, not a silent zero", async () => {
    mkdirSync(path.dirname(agentFile()), { recursive: true });
    new DatabaseSync(agentFile()).exec("CREATE TABLE something_else (x)");
    await expect(
      openclawHost(state, null, "main").view().busySubagents(Date.now(), 60_000),
    ).rejects.toMatchObject({
      code: "E_HOST_UNSUPPORTED",
      message: expect.stringContaining(agentFile()),
    });
  });
});
