import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyQueue, type Queue } from "../../src/core/queue-model.js";
import { addTask } from "../../src/core/tasks.js";
import { cliJson, runCli, tempDir, writeRelaxedRc } from "../helpers/cli.js";

/**
 * Budgets through the shipped CLI on real files, with a host config as OpenClaw writes it: the
 * zone comes from agents.defaults.userTimezone, prices from models.providers.*.models[].cost
 * (zeros there are placeholders, so the policy's table prices that model), and check, stats
 * and doctor say the same thing.
 */
const FLASH = "google/gemini-2.5-flash";
const HAIKU = "anthropic/claude-haiku-4-5";
const ZONE = "Pacific/Auckland";

let ws: { dir: string; cleanup: () => void };
let home: string;
beforeEach(() => {
  ws = tempDir();
  home = path.join(ws.dir, "home");
  mkdirSync(path.join(ws.dir, "memory"), { mode: 0o700 });
});
afterEach(() => ws.cleanup());

function hostConfig(userTimezone: string): void {
  mkdirSync(path.join(home, ".clawdbot"), { recursive: true });
  writeFileSync(
    path.join(home, ".clawdbot", "clawdbot.json"),
    JSON.stringify({
      agents: { defaults: { userTimezone, model: { primary: "anthropic/claude-opus-4" } } },
      models: {
        providers: {
          google: {
            models: [
              {
                id: "gemini-2.5-flash",
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              },
            ],
          },
          anthropic: {
            models: [
              {
                id: "claude-haiku-4-5",
                cost: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
              },
            ],
          },
        },
      },
    }),
  );
}

const localDay = (ms: number, zone: string): string =>
  new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(ms);
const localClock = (iso: string, zone: string): string =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(Date.parse(iso));

const writeQueue = (q: Queue): void =>
  writeFileSync(path.join(ws.dir, "memory/pending_tasks.json"), JSON.stringify(q), { mode: 0o600 });

describe("a daily budget through check, stats and doctor", () => {
  it("days begin in the host's userTimezone; a model priced only by zeros is priced from budget.prices", () => {
    hostConfig(ZONE);
    writeRelaxedRc(ws.dir, {
      models: [FLASH, HAIKU],
      budget: { daily: { usd: 1 }, prices: { [FLASH]: { input: 0.3, output: 2.5 } } },
    });
    const doctor = cliJson<{ budget: Record<string, unknown> }>(
      ["doctor", "--json", "-w", ws.dir],
      { env: { HOME: home } },
    );
    expect(doctor.body.budget).toEqual({
      on: true,
      pacing_on: false,
      time_zone: ZONE,
      time_zone_source: "host",
      prices: { [FLASH]: "policy", [HAIKU]: "host" },
      warnings: [],
    });

    // $0.99 spent today (Auckland's today), and each model's last run cost $0.02 (by its price).
    const now = Date.now();
    const run = (model: string, input: number, output: number) => ({
      task_id: "t_before",
      outcome: "done" as const,
      kind: null,
      started_at: new Date(now - 120_000).toISOString(),
      ended_at: new Date(now - 60_000).toISOString(),
      model,
      usage: { input, output, cache_read: 0, cache_write: 0, cost_usd: 0 },
    });
    const q = addTask(
      {
        ...emptyQueue(),
        history: [run(FLASH, 40_000, 3200), run(HAIKU, 10_000, 2000)],
        spend: {
          [localDay(now, ZONE)]: {
            [FLASH]: { runs: 40, usd: 0.99, tokens: 900_000, unpriced_runs: 0 },
          },
        },
      },
      { prompt: "summarise the inbox" },
      now,
      "t_next",
    ).queue;
    writeQueue(q);

    const check = cliJson<Record<string, unknown>>(["check", "-w", ws.dir], {
      env: { HOME: home },
    });
    expect(check.body).toMatchObject({
      status: "DEFERRED",
      reason: "budget",
      budget: {
        scope: "all",
        window: "day",
        unit: "usd",
        cap: 1,
        spent: 0.99,
        left: 0.01,
        expected: 0.02,
      },
      limits: { time_zone: ZONE, budgets: [{ spent: 0.99, left: 0.01 }] },
    });
    // The reset is Auckland's next midnight: 00:00 there, within a day from now.
    const retryAt = check.body.retry_at as string;
    expect(localClock(retryAt, ZONE)).toBe("00:00");
    expect(Date.parse(retryAt) - now).toBeGreaterThan(0);
    expect(Date.parse(retryAt) - now).toBeLessThanOrEqual(25 * 3_600_000);
    // The zero "recorded cost" of those runs is the host pricing at a placeholder: priced instead.
    const onDisk = JSON.parse(
      readFileSync(path.join(ws.dir, "memory/pending_tasks.json"), "utf8"),
    ) as Queue;
    expect(onDisk.budget_alerts).toEqual([
      `all|day|usd@${localDay(now, ZONE)}#80`,
      `all|day|usd@${localDay(now, ZONE)}#100`,
    ]);

    const stats = cliJson<{
      limits: { budgets: Array<Record<string, unknown>> };
      spend_per_day: { days: string[]; usd: number[] };
    }>(["stats", "--json", "-w", ws.dir], { env: { HOME: home } });
    expect(stats.body.limits.budgets).toEqual([
      expect.objectContaining({
        scope: "all",
        window: "day",
        unit: "usd",
        cap: 1,
        spent: 0.99,
        left: 0.01,
        resets_at: retryAt,
      }),
    ]);
    expect(stats.body.spend_per_day.days.at(-1)).toBe(localDay(now, ZONE));
    expect(stats.body.spend_per_day.usd.at(-1)).toBe(0.99);
    const text = runCli(["stats", "-w", ws.dir], { env: { HOME: home } }).stdout;
    expect(text).toContain(
      `budget: today's budget for all runs: $0.99 of $1.00 spent, $0.01 left; resets ${retryAt} (${ZONE})`,
    );
  });

  it("doctor warns when a USD budget covers a whitelisted model with no price, and when the host's zone is no zone", () => {
    hostConfig("Mars/Olympus_Mons");
    writeRelaxedRc(ws.dir, { models: [FLASH, HAIKU], budget: { daily: { usd: 1 } } });
    const doctor = cliJson<{
      budget: { time_zone_source: string; prices: Record<string, unknown>; warnings: string[] };
    }>(["doctor", "--json", "-w", ws.dir], { env: { HOME: home } });
    expect(doctor.body.budget.time_zone_source).toBe("machine");
    expect(doctor.body.budget.prices).toEqual({ [FLASH]: null, [HAIKU]: "host" });
    expect(doctor.body.budget.warnings).toEqual([
      expect.stringContaining(
        'agents.defaults.userTimezone "Mars/Olympus_Mons" is not a time zone',
      ),
      expect.stringContaining(`a USD budget covers ${FLASH} but no price is known for it`),
    ]);
  });

  it("budget.timeZone that is no zone is a config error naming the key", () => {
    writeRelaxedRc(ws.dir, { budget: { timeZone: "Europe/Atlantis" } });
    const r = cliJson<{ status: string; code: string; message: string }>(["check", "-w", ws.dir], {
      env: { HOME: home },
    });
    expect(r.body).toMatchObject({ status: "ERROR", code: "E_CONFIG_INVALID" });
    expect(r.body.message).toContain('key "budget.timeZone"');
  });
});

describe("add --max-cost", () => {
  it("records what one run of the task may cost; a bad value is a usage error", () => {
    writeRelaxedRc(ws.dir);
    const added = cliJson<{ task: { max_cost_usd?: number } }>(
      ["add", "x", "--max-cost", "0.25", "--json", "-w", ws.dir],
      {
        env: { HOME: home },
      },
    );
    expect(added.body.task.max_cost_usd).toBe(0.25);
    for (const bad of ["0", "-1", "abc", "2000000"]) {
      const r = runCli(["add", "y", "--max-cost", bad, "-w", ws.dir], { env: { HOME: home } });
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain("--max-cost must be a number of USD");
    }
  });
});

describe("a pacing limit through check and stats", () => {
  it("an hour's starts used up: check defers with the moment it frees, stats says the same in words", () => {
    writeRelaxedRc(ws.dir, { models: [FLASH], pacing: { providers: { google: { perHour: 2 } } } });
    const now = Date.now();
    const first = new Date(now - 50 * 60_000).toISOString();
    const second = new Date(now - 10 * 60_000).toISOString();
    const q = addTask(
      { ...emptyQueue(), starts: { [FLASH]: [first, second] } },
      { prompt: "one more" },
      now,
      "t_paced",
    ).queue;
    writeQueue(q);

    const check = cliJson<Record<string, unknown>>(["check", "-w", ws.dir], {
      env: { HOME: home },
    });
    expect(check.body).toMatchObject({
      status: "DEFERRED",
      reason: "pacing",
      pacing: { scope: "provider", key: "google", window: "hour", limit: 2, used: 2 },
    });
    // The oldest start leaves the window an hour after it was made.
    const frees = (check.body.pacing as { frees_at: string }).frees_at;
    expect(Date.parse(frees)).toBe(Date.parse(first) + 3_600_000);

    const stats = cliJson<{ limits: { pacing: Array<Record<string, unknown>> } }>(
      ["stats", "--json", "-w", ws.dir],
      { env: { HOME: home } },
    );
    expect(stats.body.limits.pacing).toEqual([
      expect.objectContaining({
        scope: "provider",
        key: "google",
        window: "hour",
        used: 2,
        limit: 2,
      }),
    ]);
    const text = runCli(["stats", "-w", ws.dir], { env: { HOME: home } }).stdout;
    expect(text).toContain(
      `pacing: provider google: 2 of 2 started in the last hour; next start ${frees}`,
    );
  });
});
