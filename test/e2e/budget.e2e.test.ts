/**
 * A daily spend budget on a real OpenClaw 2026.9.6 gateway in plugin mode. The stub provider
 * reports 10 prompt + 5 completion tokens a request; the host's catalog prices the cheap model
 * at $1,000 / $4,000 per million tokens, so a request costs $0.03 and a run what its requests
 * cost. Under a $0.10 daily cap (days in the host's agents.defaults.userTimezone), the plugin
 * starts runs until the next one's expected cost no longer fits, then every tick answers
 * DEFERRED budget with the zone's next midnight, the provider hears nothing more, and the page
 * shows the budget used up. No mocks: the gateway, its plugin, the queue file and the browser
 * are real.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { launchChromium, type Browser } from "../ui/lib/browser.js";
import { until } from "../ui/lib/page.js";
import { answer, type FakeProvider, startFakeProvider } from "./harness/fake-provider.js";
import { CHEAP_MODELS, type Host, waitFor } from "./harness/host.js";
import { hostMatrix, startPluginHost, tasks, tm } from "./helpers.js";

const OUTPUT = path.join(ROOT, ".cache", "test-output", "status-page");
const ZONE = "Pacific/Auckland";
const CAP = 0.1;
const PER_REQUEST = (10 * 1000 + 5 * 4000) / 1e6; // $0.03
const PROMPT = "Budgeted job";

interface Budget {
  scope: string;
  window: string;
  unit: string;
  cap: number;
  spent: number;
  left: number;
  resets_at: string;
}
interface TickReport {
  results: Array<{ status: string; reason?: string; retry_at?: string | null; budget?: Budget }>;
}

const localClock = (iso: string): string =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(Date.parse(iso));

describe.runIf(hostMatrix().includes("openclaw"))(
  "a daily budget in plugin mode on a real OpenClaw gateway",
  () => {
    let provider: FakeProvider;
    let host: Host;
    let browser: Browser | null = null;
    let page: Page;
    const requestsFor = (): number =>
      provider.requests.filter((r) => JSON.stringify(r.messages).includes(PROMPT)).length;

    beforeAll(async () => {
      provider = await startFakeProvider({ behaviour: answer("Budgeted job finished.", 200) });
      const model = (id: string, input: number, output: number) => ({
        id,
        name: id,
        cost: { input, output, cacheRead: 0, cacheWrite: 0 },
        contextWindow: 128_000,
        maxTokens: 4096,
        input: ["text"],
      });
      host = await startPluginHost(
        "openclaw",
        provider.baseUrl,
        { models: [CHEAP_MODELS[0]], maxConcurrent: 1 },
        {
          extraConfig: {
            agents: { defaults: { userTimezone: ZONE } },
            models: {
              providers: {
                fake: {
                  models: [
                    model("expensive-large", 15, 75),
                    model("cheap-flash", 1000, 4000),
                    model("cheap-mini", 0.15, 0.6),
                  ],
                },
              },
            },
          },
        },
      );
      // The budget goes in the workspace's rc file, which the plugin merges its own config over:
      // the CLI (stats) reads the same file, so both see the same budget.
      writeFileSync(
        path.join(host.workspace, ".taskmanagerrc.json"),
        JSON.stringify({ budget: { daily: { usd: CAP } } }),
      );
    }, 300_000);

    afterAll(async () => {
      try {
        await browser?.close();
      } finally {
        await host?.dispose();
        await provider?.close();
      }
    });

    it("starts runs until the next one would not fit, then defers with reason budget until the zone's midnight", async () => {
      for (let i = 1; i <= 6; i++) tm(host, ["add", `${PROMPT} ${i}`]);
      const deferred = await waitFor(
        async () => {
          const report = await host.call<TickReport>("task-manager.tick", {});
          const r = report.results[0];
          // Settled: no run out (while one is, its expected cost is reserved; it may cost less).
          const out = tasks(host).some((t) => t.state === "claimed" || t.state === "running");
          return r?.status === "DEFERRED" && r.reason === "budget" && !out ? r : undefined;
        },
        240_000,
        "a tick deferred for the budget",
      );
      expect(deferred.budget).toMatchObject({ scope: "all", window: "day", unit: "usd", cap: CAP });
      expect(deferred.retry_at).toBe(deferred.budget!.resets_at);
      expect(localClock(deferred.retry_at!)).toBe("00:00");
      expect(Date.parse(deferred.retry_at!) - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);

      // Nothing more reaches the provider, however many ticks run (every second, plus ours).
      const heard = requestsFor();
      await new Promise((r) => setTimeout(r, 8000));
      const again = await host.call<TickReport>("task-manager.tick", {});
      expect(again.results[0]).toMatchObject({ status: "DEFERRED", reason: "budget" });
      expect(requestsFor()).toBe(heard);

      const all = tasks(host).filter((t) => t.prompt.startsWith(PROMPT));
      const done = all.filter((t) => t.state === "done");
      expect(done.length).toBeGreaterThanOrEqual(1);
      expect(all.filter((t) => t.state === "pending").length).toBe(6 - done.length);
      // Spent what the provider's reported usage costs at the catalog price, within the cap plus
      // at most the last run's overspend.
      const stats = tm(host, ["stats"]) as { limits: { time_zone: string; budgets: Budget[] } };
      expect(stats.limits.time_zone).toBe(ZONE);
      const [budget] = stats.limits.budgets;
      expect(budget!.spent).toBeCloseTo(heard * PER_REQUEST, 6);
      const perRun = (heard * PER_REQUEST) / done.length;
      expect(budget!.spent).toBeLessThanOrEqual(CAP + perRun + 1e-9);
      expect(budget!.left).toBeLessThan(perRun);
      console.log(
        `FIGURE budget e2e (OpenClaw, Node ${process.version}): ${done.length} runs done, ${heard} provider requests, spent $${budget!.spent} of $${CAP}, ${6 - done.length} tasks pending until ${deferred.retry_at}; 0 requests in the 8 s of ticks after`,
      );
      const queue = JSON.parse(
        readFileSync(path.join(host.workspace, "memory/pending_tasks.json"), "utf8"),
      ) as { budget_alerts?: string[] };
      expect(queue.budget_alerts?.some((a) => a.endsWith("#100"))).toBe(true);
    }, 300_000);

    it("the page shows the budget used up, what was spent, and the task waiting for it", async () => {
      const url = (await host.call<{ url: string }>("task-manager.page", {})).url;
      browser = await launchChromium();
      page = await browser.context.newPage();
      await page.goto(url);
      await page.waitForSelector("[data-testid=budget]", { timeout: 30_000 });
      const stats = tm(host, ["stats"]) as { limits: { budgets: Budget[] } };
      const b = stats.limits.budgets[0]!;
      const row = page.locator("[data-testid=budget][data-window=day]");
      expect(Number(await row.getAttribute("data-spent"))).toBeCloseTo(b.spent, 6);
      expect(await row.locator("[data-testid=budget-spent]").textContent()).toBe(
        `$${b.spent.toFixed(2)}`,
      );
      expect(await row.textContent()).toContain(`(${ZONE})`);
      await until(
        async () => (await page.textContent("[data-testid=check] .badge")) === "budget",
        15_000,
        "the check line to say budget",
      );
      const waiting = tasks(host).find(
        (t) => t.prompt.startsWith(PROMPT) && t.state === "pending",
      )!;
      expect(
        await page
          .locator(`[data-task-id="${waiting.id}"] [data-testid=wait]`)
          .getAttribute("data-reason"),
      ).toBe("budget");
      expect(await page.locator("[data-testid=spend-chart] rect.s-spend").count()).toBe(1);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: path.join(OUTPUT, "openclaw-budget.png"), fullPage: true });
    }, 120_000);
  },
);
