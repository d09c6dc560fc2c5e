import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, runCli, tempDir, writeRelaxedRc } from "../helpers/cli.js";

let ws: { dir: string; cleanup: () => void };
let queueFile: string;
beforeEach(() => {
  ws = tempDir();
  mkdirSync(path.join(ws.dir, "memory"));
  queueFile = path.join(ws.dir, "memory/pending_tasks.json");
});
afterEach(() => ws.cleanup());

const legacy = [
  {
    prompt: "Research competitor pricing",
    priority: 2,
    added_at: "2026-01-27T10:00:00Z",
    metadata: { source: "rate_limit", retry_count: 1 },
  },
  {
    prompt: "Write the weekly report",
    priority: "high",
    added_at: 1769508000,
    metadata: { source: "manual", retry_count: 0, channel: "telegram" },
  },
  {
    prompt: "Same text twice",
    priority: 5,
    added_at: "2026-01-27T11:00:00Z",
    metadata: { source: "crash" },
  },
  {
    prompt: "Same text twice",
    priority: 5,
    added_at: "2026-01-27T11:00:00Z",
    metadata: { source: "crash" },
  },
  { prompt: "Odd extra keys", extra: { nested: [1, 2] } },
];

describe("the original bare-array queue file", () => {
  it("is read as-is (stable ids) and migrated losslessly to the envelope on the first write", () => {
    writeFileSync(queueFile, JSON.stringify(legacy));
    const before = cliJson<{ tasks: Array<{ id: string; prompt: string }> }>([
      "list",
      "--json",
      "-w",
      ws.dir,
    ]);
    expect(before.body.tasks).toHaveLength(legacy.length);
    const again = cliJson<{ tasks: Array<{ id: string }> }>(["list", "--json", "-w", ws.dir]);
    expect(again.body.tasks.map((t) => t.id)).toEqual(before.body.tasks.map((t) => t.id));
    expect(readFileSync(queueFile, "utf8")).toBe(JSON.stringify(legacy)); // reading changes nothing

    expect(cliJson(["add", "new task", "--json", "-w", ws.dir]).body).toMatchObject({
      status: "ADDED",
    });
    const migrated = JSON.parse(readFileSync(queueFile, "utf8"));
    expect(migrated).toMatchObject({ version: 2, revision: 1 });
    expect(migrated.tasks).toHaveLength(legacy.length + 1);
    for (const [i, entry] of legacy.entries()) {
      const task = migrated.tasks[i];
      expect(task.prompt).toBe(entry.prompt);
      expect(task.state).toBe("pending");
      expect(task.metadata.legacy.priority).toEqual(entry.priority ?? null);
    }
    // The ids a user saw before the migration still name the same tasks after it.
    expect(
      migrated.tasks
        .slice(0, legacy.length)
        .map((t: { id: string }) => t.id)
        .sort(),
    ).toEqual(before.body.tasks.map((t) => t.id).sort());
    expect(migrated.tasks[0]).toMatchObject({
      priority: 2,
      source: "rate_limit",
      failures: 1,
      metadata: { retry_count: 1 },
    });
    expect(migrated.tasks[1]).toMatchObject({
      priority: 2,
      source: "manual",
      added_at: "2026-01-27T10:00:00.000Z",
      metadata: { channel: "telegram" },
    });
    expect(migrated.tasks[4].metadata.legacy.extra).toEqual({ nested: [1, 2] });
  });
});

describe("a corrupt queue file", () => {
  for (const [name, bytes] of [
    ["truncated JSON", '{"version":2,"revision":3,"paused":false,"tasks":[{"id"'],
    ["wrong shape", '{"version":2,"revision":1,"tasks":"nope"}'],
    ["binary", "\u0000\u0001\u00ff garbage"],
  ] as const) {
    it(`(${name}) is an E_QUEUE_CORRUPT error, quarantined as a copy and never overwritten`, () => {
      writeFileSync(queueFile, bytes);
      const original = readFileSync(queueFile);
      const check = cliJson<{ status: string; code: string; message: string }>([
        "check",
        "-w",
        ws.dir,
      ]);
      expect(check.code).toBe(1);
      expect(check.body).toMatchObject({ status: "ERROR", code: "E_QUEUE_CORRUPT" });
      expect(check.body.message).toContain(queueFile);
      const add = cliJson<{ code: string }>(["add", "more work", "--json", "-w", ws.dir]);
      expect(add.body.code).toBe("E_QUEUE_CORRUPT");
      expect(readFileSync(queueFile).equals(original)).toBe(true);
      const copies = readdirSync(path.join(ws.dir, "memory")).filter((n) =>
        n.includes(".corrupt-"),
      );
      expect(copies).toHaveLength(1);
      expect(readFileSync(path.join(ws.dir, "memory", copies[0]!)).equals(original)).toBe(true);
    });
  }
});

describe("hostile task text", () => {
  it("is stored verbatim and never executed", () => {
    writeRelaxedRc(ws.dir);
    const marker = path.join(ws.dir, "pwned");
    const prompts = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x; touch ${marker}`,
      `line1\ntouch ${marker}\n'"\\`,
    ];
    for (const prompt of prompts) {
      expect(cliJson(["add", prompt, "--json", "-w", ws.dir]).body).toMatchObject({
        status: "ADDED",
        task: { prompt },
      });
    }
    const listed = cliJson<{ tasks: Array<{ prompt: string }> }>([
      "list",
      "--json",
      "-w",
      ws.dir,
    ]).body.tasks.map((t) => t.prompt);
    expect(listed.sort()).toEqual([...prompts].sort());
    const ready = cliJson<{ recommendation: { prompt: string } }>(["check", "-w", ws.dir]).body;
    expect(prompts).toContain(ready.recommendation.prompt);
    expect(existsSync(marker)).toBe(false);
  });

  it("control characters are stripped, and an oversized prompt is refused with a clear error", () => {
    const added = cliJson<{ task: { prompt: string } }>([
      "add",
      "a\u001b[31mred\u0007",
      "--json",
      "-w",
      ws.dir,
    ]);
    expect(added.body.task.prompt).toBe("a[31mred");
    const big = runCli(["add", "-", "--json", "-w", ws.dir], { input: "x".repeat(1024 * 1024) });
    expect(big.code).toBe(1);
    expect(JSON.parse(big.stdout)).toMatchObject({ status: "ERROR", code: "E_PROMPT_TOO_LARGE" });
  });
});

describe("exit codes and output", () => {
  it("check prints exactly one JSON document; usage errors exit 2; a missing task exits 1", () => {
    const check = runCli(["check", "-w", ws.dir]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ status: "NO_TASKS", host: { kind: "none" } });
    expect(runCli(["frobnicate"]).code).toBe(2);
    expect(runCli(["add", "x", "--priority", "high", "-w", ws.dir]).code).toBe(2);
    const missing = runCli(["done", "t_nope", "--json", "-w", ws.dir]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: "E_TASK_NOT_FOUND" });
  });
});
