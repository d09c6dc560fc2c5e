import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { placeHold } from "../../src/core/holds.js";
import { emptyQueue } from "../../src/core/queue-model.js";
import type { Queue } from "../../src/core/queue-model.js";
import { addTask } from "../../src/core/tasks.js";
import { cliJson, runCli, tempDir, writeRelaxedRc } from "../helpers/cli.js";

/**
 * The shipped CLI on real files: what a person (or HEARTBEAT.md) does with tasks that left
 * rotation, and what `check` and `stats` say about holds and spend.
 */
let ws: { dir: string; cleanup: () => void };
let queueFile: string;
beforeEach(() => {
  ws = tempDir();
  mkdirSync(path.join(ws.dir, "memory"), { mode: 0o700 });
  queueFile = path.join(ws.dir, "memory/pending_tasks.json");
  writeRelaxedRc(ws.dir);
});
afterEach(() => ws.cleanup());

const HOUR = 3_600_000;
const write = (queue: Queue): void =>
  writeFileSync(queueFile, JSON.stringify(queue), { mode: 0o600 });
const onDisk = (): Queue => JSON.parse(readFileSync(queueFile, "utf8")) as Queue;
type Body = {
  status: string;
  reason?: string;
  retry_at?: string | null;
  hold?: Record<string, unknown>;
  alerts?: Array<Record<string, unknown>>;
  settled?: Array<Record<string, unknown>>;
  task?: Record<string, unknown>;
  tasks?: Array<Record<string, unknown>>;
};

describe("max age through the CLI", () => {
  it("the original bare array with months-old entries resumes on first install", () => {
    writeFileSync(
      queueFile,
      JSON.stringify([
        {
          prompt: "Research competitor pricing",
          priority: 2,
          added_at: "2026-01-27T10:00:00Z",
          metadata: { source: "rate_limit", retry_count: 1 },
        },
      ]),
    );
    const check = cliJson<Body>(["check", "-w", ws.dir]);
    expect(check.body).toMatchObject({
      status: "READY",
      task: { prompt: "Research competitor pricing" },
    });
    expect(onDisk().tasks[0]).toMatchObject({
      state: "claimed",
      added_at: "2026-01-27T10:00:00.000Z",
    });
    expect(Date.now() - Date.parse(onDisk().tasks[0]!.age_from!)).toBeLessThan(60_000);
  });

  it("a task older than maxAgeHours is not started: expired with an alert; expired retry brings it back", () => {
    write(
      addTask(
        emptyQueue(),
        { prompt: "tell Sam the meeting moved" },
        Date.now() - 72 * HOUR,
        "t_old1",
      ).queue,
    );
    const check = cliJson<Body>(["check", "-w", ws.dir]);
    expect(check.body).toMatchObject({
      status: "NO_TASKS",
      settled: [{ id: "t_old1", outcome: "expired", reason: "max_age" }],
      alerts: [{ type: "expired", task_id: "t_old1" }],
    });
    expect(cliJson<Body>(["expired", "list", "--json", "-w", ws.dir]).body.tasks).toMatchObject([
      { id: "t_old1", state: "expired", reason: "max_age" },
    ]);
    expect(cliJson<Body>(["list", "--json", "-w", ws.dir]).body.tasks).toEqual([]);
    expect(
      cliJson<Body>(["expired", "retry", "t_old1", "--json", "-w", ws.dir]).body,
    ).toMatchObject({ status: "OK", task: { id: "t_old1", state: "pending" } });
    expect(cliJson<Body>(["check", "-w", ws.dir]).body).toMatchObject({
      status: "READY",
      task: { id: "t_old1" },
    });
  });

  it("add --max-age and --idempotent are stored per task; bad values are usage errors", () => {
    const added = cliJson<Body>([
      "add",
      "ping the build",
      "--max-age",
      "6",
      "--idempotent",
      "--json",
      "-w",
      ws.dir,
    ]);
    expect(added.body.task).toMatchObject({ max_age_hours: 6, idempotent: true });
    expect(
      cliJson<Body>([
        "add",
        "whenever",
        "--max-age",
        "none",
        "--no-idempotent",
        "--json",
        "-w",
        ws.dir,
      ]).body.task,
    ).toMatchObject({ max_age_hours: null, idempotent: false });
    const plain = cliJson<Body>(["add", "plain", "--json", "-w", ws.dir]).body.task!;
    expect("max_age_hours" in plain || "idempotent" in plain).toBe(false);
    for (const bad of ["0", "-1", "soon", "1e3"]) {
      const r = runCli(["add", "x", "--max-age", bad, "-w", ws.dir]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain("--max-age");
    }
  });
});

describe("review through the CLI", () => {
  function underReview(): void {
    const q = addTask(emptyQueue(), { prompt: "email the invoice" }, Date.now(), "t_rev1").queue;
    write({
      ...q,
      tasks: q.tasks.map((t) => ({
        ...t,
        state: "review" as const,
        reason: "acted_then_timed_out" as const,
        attempts: 1,
        failures: 1,
      })),
    });
  }

  it("review list shows it (and list does too); check leaves it alone", () => {
    underReview();
    expect(cliJson<Body>(["review", "list", "--json", "-w", ws.dir]).body.tasks).toMatchObject([
      { id: "t_rev1", state: "review", reason: "acted_then_timed_out" },
    ]);
    expect(cliJson<Body>(["list", "--json", "-w", ws.dir]).body.tasks).toMatchObject([
      { id: "t_rev1" },
    ]);
    expect(cliJson<Body>(["check", "-w", ws.dir]).body).toMatchObject({
      status: "NO_TASKS",
      pending_count: 0,
    });
  });

  it("review retry runs it again; review drop deletes it; both refuse a task not under review", () => {
    underReview();
    expect(cliJson<Body>(["review", "retry", "t_rev1", "--json", "-w", ws.dir]).body).toMatchObject(
      { task: { state: "pending" } },
    );
    expect(cliJson<Body>(["check", "-w", ws.dir]).body).toMatchObject({
      status: "READY",
      task: { id: "t_rev1", attempt: 2 },
    });
    const refused = cliJson<{ status: string; code: string; message: string }>([
      "review",
      "drop",
      "t_rev1",
      "--json",
      "-w",
      ws.dir,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.body).toMatchObject({ status: "ERROR", code: "E_INVALID_STATE" });
    expect(refused.body.message).toContain("t_rev1");
    underReview();
    expect(cliJson<Body>(["review", "drop", "t_rev1", "--json", "-w", ws.dir]).body).toMatchObject({
      task: { id: "t_rev1" },
    });
    expect(onDisk().tasks).toEqual([]);
  });
});

describe("quota holds in the status object", () => {
  it("DEFERRED quota_cooldown with retry_at and the hold: scope, key, until, source", () => {
    writeRelaxedRc(ws.dir, { models: ["google/gemini-2.5-flash", "google/gemini-2.5-pro"] });
    const until = Date.now() + 2 * HOUR;
    const q = addTask(emptyQueue(), { prompt: "x" }, Date.now(), "t_q1").queue;
    write(
      placeHold(
        q,
        "google/gemini-2.5-flash",
        "provider",
        { untilMs: until, source: "host" },
        Date.now(),
      ),
    );
    const check = cliJson<Body>(["check", "-w", ws.dir]);
    expect(check.body).toMatchObject({
      status: "DEFERRED",
      reason: "quota_cooldown",
      retry_at: new Date(until).toISOString(),
      hold: {
        scope: "provider",
        key: "google",
        until: new Date(until).toISOString(),
        source: "host",
        state: "waiting",
        probe_task: null,
      },
    });
    const stats = cliJson<{ holds: Array<Record<string, unknown>> }>([
      "stats",
      "--json",
      "-w",
      ws.dir,
    ]);
    expect(stats.body.holds).toMatchObject([{ key: "google", state: "waiting", source: "host" }]);
  });
});

describe("stats: spend per model from the host's catalog, and the main model's price for the same runs", () => {
  it("reads models.providers.*.models[].cost and agents.defaults.model.primary from the host config", () => {
    const home = path.join(ws.dir, "home");
    mkdirSync(path.join(home, ".clawdbot"), { recursive: true });
    writeFileSync(
      path.join(home, ".clawdbot", "clawdbot.json"),
      JSON.stringify({
        agents: { defaults: { model: { primary: "anthropic/claude-opus-4" } } },
        models: {
          providers: {
            anthropic: {
              models: [
                {
                  id: "claude-opus-4",
                  cost: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
                },
              ],
            },
            google: {
              models: [
                {
                  id: "gemini-2.5-flash",
                  cost: { input: 0.3, output: 2.5, cacheRead: 0.075, cacheWrite: 0 },
                },
              ],
            },
          },
        },
      }),
    );
    const now = Date.now();
    const run = (
      outcome: "done" | "failed",
      input: number,
      output: number,
      cost_usd: number | null,
    ) => ({
      task_id: "t_s1",
      outcome,
      kind: outcome === "done" ? null : ("error" as const),
      started_at: new Date(now - 20_000).toISOString(),
      ended_at: new Date(now - 10_000).toISOString(),
      model: "google/gemini-2.5-flash",
      usage: { input, output, cache_read: 0, cache_write: 0, cost_usd },
    });
    write({
      ...emptyQueue(),
      history: [run("done", 100_000, 20_000, null), run("failed", 50_000, 0, 0.02)],
    });
    const stats = cliJson<{ spend: Record<string, unknown>; history: Record<string, unknown> }>(
      ["stats", "--json", "-w", ws.dir],
      { env: { HOME: home } },
    );
    // Flash, catalog-priced: 0.1M×0.3 + 0.02M×2.5 = 0.08; plus the recorded 0.02.
    expect(stats.body.spend).toEqual({
      by_model: {
        "google/gemini-2.5-flash": {
          runs: 2,
          done: 1,
          success_rate: 0.5,
          mean_run_seconds: 10,
          input: 150_000,
          output: 20_000,
          cache_read: 0,
          cache_write: 0,
          cost_usd: 0.1,
          unpriced_runs: 0,
          runs_without_usage: 0,
        },
      },
      total_usd: 0.1,
      main_model: "anthropic/claude-opus-4",
      // 0.15M×15 + 0.02M×75 = 2.25 + 1.5
      on_main_model_usd: 3.75,
      saved_usd: 3.65,
    });
    const text = runCli(["stats", "-w", ws.dir], { env: { HOME: home } });
    expect(text.stdout).toContain("google/gemini-2.5-flash: 2 runs, 1 done");
    expect(text.stdout).toContain("saved $3.6500");
  });
});
