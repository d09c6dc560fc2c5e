import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openclawHost } from "../../../src/host/openclaw/adapter.js";
import { tempDir } from "../../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("OpenClaw adapter: a database that appears later is read once it exists", () => {
  it("reads a sub-agent session from an agent database created after the adapter's first (empty) read", async () => {
    const host = openclawHost(t.dir, null, "main");
    try {
      // A fresh gateway: the plugin reads before the agent's first session created the database.
      expect(await host.view().busySubagents(Date.now(), 60_000)).toEqual([]);
      const dir = path.join(t.dir, "agents", "main", "agent");
      mkdirSync(dir, { recursive: true });
      const db = new DatabaseSync(path.join(dir, "openclaw-agent.sqlite"));
      db.exec(
        "CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, current_session_id TEXT, status TEXT, updated_at INTEGER, entry_json TEXT)",
      );
      db.prepare("INSERT INTO session_nodes VALUES (?, ?, ?, ?, ?)").run(
        "agent:main:subagent:task-manager-x-1",
        "s1",
        "running",
        Date.now(),
        JSON.stringify({ startedAt: Date.now() }),
      );
      db.close();
      expect(await host.view().busySubagents(Date.now(), 60_000)).toEqual([
        "agent:main:subagent:task-manager-x-1",
      ]);
    } finally {
      host.close();
    }
  });
});
