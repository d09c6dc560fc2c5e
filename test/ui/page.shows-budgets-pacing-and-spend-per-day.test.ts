/**
 * Budgets and pacing on the status page, as a person sees them: the real `task-manager serve`,
 * Debian's Chromium, a real queue file holding the budget ledger and pacing start times.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyQueue, type Queue } from "../../src/core/queue-model.js";
import { addTask } from "../../src/core/tasks.js";
import { ROOT, tempDir } from "../helpers/cli.js";
import { launchChromium, type Browser } from "./lib/browser.js";
import { closeAll, startServe, type Served } from "./lib/serve.js";

const OUTPUT = path.join(ROOT, ".cache", "test-output", "status-page");
const MODEL = "google/gemini-2.5-flash";
const ZONE = "America/New_York";
const DAY_MS = 86_400_000;

let t: { dir: string; cleanup: () => void };
let served: Served | null = null;
let browser: Browser | null = null;
let page: Page;
const ws = (): string => path.join(t.dir, "ws");
const localDay = (ms: number): string =>
  new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(ms);
/** Spend on days 0 (today), 3 and 10 ago. */
const SPENT: Array<[number, number]> = [
  [0, 0.9],
  [3, 0.4],
  [10, 1.2],
];

beforeAll(async () => {
  t = tempDir();
  mkdirSync(path.join(ws(), "memory"), { recursive: true });
  mkdirSync(path.join(t.dir, "home"));
  writeFileSync(
    path.join(ws(), ".taskmanagerrc.json"),
    JSON.stringify({
      loadThreshold: 1000,
      minFreeMemoryMB: 0,
      models: [MODEL],
      budget: {
        daily: { usd: 1 },
        monthly: { tokens: 10_000_000 },
        timeZone: ZONE,
        prices: { [MODEL]: { input: 0.3, output: 2.5 } },
      },
      pacing: { providers: { google: { perHour: 10 } } },
    }),
  );
  const now = Date.now();
  const spend: NonNullable<Queue["spend"]> = {};
  for (const [ago, usd] of SPENT)
    spend[localDay(now - ago * DAY_MS)] = {
      [MODEL]: { runs: 5, usd, tokens: 100_000, unpriced_runs: 0 },
    };
  let q: Queue = {
    ...emptyQueue(),
    spend,
    starts: { [MODEL]: [new Date(now - 600_000).toISOString()] },
    history: [
      {
        task_id: "t_before",
        outcome: "done",
        kind: null,
        started_at: new Date(now - 120_000).toISOString(),
        ended_at: new Date(now - 60_000).toISOString(),
        model: MODEL,
        usage: { input: 100_000, output: 40_000, cache_read: 0, cache_write: 0, cost_usd: null },
      },
    ],
  };
  q = addTask(q, { prompt: "waits for the budget" }, now, "t_waiting").queue;
  writeFileSync(path.join(ws(), "memory", "pending_tasks.json"), JSON.stringify(q), {
    mode: 0o600,
  });
  served = await startServe(ws(), { HOME: path.join(t.dir, "home") });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(served.url);
  await page.waitForSelector("[data-testid=budget]");
}, 120_000);

afterAll(async () => {
  await closeAll({ browser, served, cleanup: t.cleanup });
});

describe("budgets, pacing and spend per day on the page (serve, headless Chromium)", () => {
  it("each budget shows what was spent in its window, what is left, and a countdown to the reset", async () => {
    const rows = page.locator("[data-testid=budget]");
    expect(await rows.count()).toBe(2);
    const day = page.locator("[data-testid=budget][data-window=day]");
    expect(await day.getAttribute("data-unit")).toBe("usd");
    expect(await day.locator("[data-testid=budget-spent]").textContent()).toBe("$0.90");
    expect(await day.locator("[data-testid=budget-left]").textContent()).toBe("$0.10");
    expect(await day.textContent()).toContain(`(${ZONE})`);
    expect(await day.locator("[data-testid=countdown]").textContent()).toMatch(/^in \d+/);
    // The meter is filled through the CSSOM (the page's CSP refuses style attributes).
    const meter = await day.locator(".meter").boundingBox();
    const fill = await day.locator(".meter span").boundingBox();
    expect(fill!.width / meter!.width).toBeCloseTo(0.9, 1);
    const month = page.locator("[data-testid=budget][data-window=month]");
    expect(await month.locator("[data-testid=budget-spent]").textContent()).toMatch(/tokens$/);
  });

  it("the next task waits for the budget, and its card says why", async () => {
    // The last run cost $0.13 (100k in, 40k out at $0.30/$2.50 per million): $0.10 left is too little.
    expect(await page.textContent("[data-testid=check] .badge")).toBe("budget");
    const wait = page.locator('[data-task-id="t_waiting"] [data-testid=wait]');
    expect(await wait.getAttribute("data-reason")).toBe("budget");
    expect(await wait.textContent()).toContain("today's budget for all runs has $0.10 left");
  });

  it("each pacing limit shows the window's use", async () => {
    const row = page.locator("[data-testid=pacing][data-key=google]");
    expect(await row.textContent()).toContain("provider google: 1 of 10 starts in the last hour");
  });

  it("the spend chart has one bar per day with spend in the last 30, next to the runs chart", async () => {
    expect(await page.locator("[data-testid=spend-chart] rect.s-spend").count()).toBe(SPENT.length);
    const titles = await page.locator("[data-testid=spend-chart] rect.hit title").allTextContents();
    expect(titles).toHaveLength(30);
    expect(titles.at(-1)).toBe(`${localDay(Date.now())}: $0.90, 100,000 tokens, 5 runs`);
    expect(await page.textContent("[data-testid=spend-total]")).toBe("$2.50 in 30 days");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "budgets.png"), fullPage: true });
  });
});
