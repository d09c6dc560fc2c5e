/**
 * The status page as a person gets it: the real `task-manager serve` process, Debian's Chromium,
 * the real queue file. No mocks: every claim is checked in the browser and in the file.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliJson, ROOT, tempDir } from "../helpers/cli.js";
import { launchChromium, type Browser } from "./lib/browser.js";
import {
  card,
  countdownTicks,
  countsOf,
  HOSTILE,
  hostileShownAsText,
  shownCounts,
  shownNonZero,
  until,
} from "./lib/page.js";
import { closeAll, startServe, type Served } from "./lib/serve.js";

const OUTPUT = path.join(ROOT, ".cache", "test-output", "status-page");

let t: { dir: string; cleanup: () => void };
let served: Served | null = null;
let browser: Browser | null = null;
let page: Page;
const dialogs: string[] = [];
const ids = { hostile: "", backoff: "", dead: "", plain: "" };

const ws = (): string => path.join(t.dir, "ws");
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });
const cli = <T = Record<string, unknown>>(...args: string[]): T =>
  cliJson<T>([...args, "-w", ws(), "--json"], { env: env() }).body;
const add = (prompt: string): string => cli<{ task: { id: string } }>("add", prompt).task.id;
const queueFile = (): { paused: boolean; tasks: Array<{ id: string; state: string }> } =>
  JSON.parse(readFileSync(path.join(ws(), "memory", "pending_tasks.json"), "utf8"));

beforeAll(async () => {
  t = tempDir();
  mkdirSync(ws());
  mkdirSync(path.join(t.dir, "home"));
  ids.plain = add("Summarise yesterday's support tickets");
  ids.hostile = add(HOSTILE);
  ids.backoff = add("flaky: backing off");
  cli("fail", ids.backoff, "--error", "connection reset"); // pending again, with a retry time 30–60 s ahead
  ids.dead = add("doomed: out of attempts");
  for (let i = 0; i < 3; i++) cli("fail", ids.dead, "--error", "500 internal error");
  served = await startServe(ws(), env());
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(served.url);
  await page.waitForSelector(card(ids.dead));
}, 120_000);

afterAll(async () => {
  expect(await closeAll({ browser, served, cleanup: t.cleanup })).toBe(0);
});

describe("task-manager serve, driven in headless Chromium", () => {
  it("opens from the printed URL, drops the token from the address bar, and goes live", async () => {
    expect(served!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/task-manager\/\?token=[\w-]{20,}$/);
    expect(page.url()).toBe(served!.base);
    await until(
      async () => (await page.textContent("[data-testid=live]")) === "live",
      10_000,
      "the event stream to open",
    );
  });

  it("shows the same counts as `task-manager list --all --json`", async () => {
    const tasks = cli<{ tasks: Array<{ state: string }> }>("list", "--all").tasks;
    expect(await shownNonZero(page)).toEqual(countsOf(tasks));
    expect((await shownCounts(page)).total).toBe(tasks.length);
    expect(countsOf(tasks)).toEqual({ pending: 3, dead: 1 });
  });

  it("a task backing off shows why and a countdown that ticks", async () => {
    await countdownTicks(page, ids.backoff, "backoff");
    expect(await page.textContent(`${card(ids.backoff)} [data-testid=last-error]`)).toContain(
      "connection reset",
    );
  });

  it("the hostile prompt is shown as text: no element made from it, no script run, no dialog", async () => {
    await hostileShownAsText(page, ids.hostile);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it("clicking Retry on a dead task makes it pending in the queue file, and the page follows by itself", async () => {
    expect(queueFile().tasks.find((x) => x.id === ids.dead)?.state).toBe("dead");
    await page.click(`${card(ids.dead)} [data-testid=retry]`);
    await until(
      () => queueFile().tasks.find((x) => x.id === ids.dead)?.state === "pending",
      10_000,
      "the queue file to show the task pending",
    );
    await page.waitForSelector(`[data-testid=group-pending] ${card(ids.dead)}`, {
      timeout: 10_000,
    });
    expect(await page.textContent("[data-testid=count-dead] b")).toBe("0");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "serve.png"), fullPage: true });
  });

  it("a change made elsewhere (the CLI) appears without a reload", async () => {
    const id = add("added from the terminal while the page is open");
    await page.waitForSelector(card(id), { timeout: 10_000 });
  });

  it("a cross-site page cannot act, even with the browser's cookie for the status page", async () => {
    // Another origin on the same machine: same *site* as far as cookies go (ports do not count),
    // so the SameSite cookie is sent — the action header and origin check are what refuse it.
    const target = `${served!.base}api/pause`;
    const html = `<!doctype html><iframe name=sink></iframe>
<form id=f method=POST action="${target}" enctype="text/plain" target=sink><input name='{"x":"' value='"}'></form>
<script>
window.results = [];
Promise.all([
  fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "Content-Type": "text/plain" }, body: "{}" })
    .then(() => "no-cors sent", () => "no-cors failed"),
  fetch(${JSON.stringify(target)}, { method: "POST", credentials: "include", headers: { "Content-Type": "application/json", "X-Task-Manager-Action": "1" }, body: "{}" })
    .then((r) => "cors answered " + r.status, () => "cors blocked"),
]).then((r) => { window.results = r; document.getElementById("f").submit(); });
</script>`;
    const attacker: Server = createServer((_req, res) =>
      res.writeHead(200, { "Content-Type": "text/html" }).end(html),
    );
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const evil = await browser!.context.newPage();
    try {
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      const results = (): Promise<string[]> => evil.evaluate<string[]>("window.results");
      await until(
        async () => (await results()).length === 2,
        10_000,
        "the cross-site page's two requests",
      );
      // The preflighted one (custom header) never left the browser; the no-cors one did, and so does the form.
      expect(await results()).toEqual(["no-cors sent", "cors blocked"]);
      await until(
        () => served!.stderr().split("refused POST /task-manager/api/pause").length - 1 >= 2,
        10_000,
        "serve to log both refusals",
      );
      // Refused by the guard, not for a missing cookie (that would be a 401 and no such line).
      expect(served!.stderr()).toContain("actions need the header x-task-manager-action");
    } finally {
      await evil.close();
      attacker.closeAllConnections();
      await new Promise((resolve) => attacker.close(resolve));
    }
    expect(queueFile().paused).toBe(false);
  });

  it("without the token: 401 for the page and the API, in the browser and from a plain client", async () => {
    const plain = await new Promise<number>((resolve, reject) =>
      request(`${served!.base}api/view`, (r) => resolve(r.statusCode ?? 0))
        .on("error", reject)
        .end(),
    );
    expect(plain).toBe(401);
    await browser!.context.clearCookies();
    const anonymous = await browser!.context.newPage();
    try {
      const response = await anonymous.goto(served!.base);
      expect(response?.status()).toBe(401);
      expect(await anonymous.textContent("body")).toContain("E_UNAUTHORIZED");
    } finally {
      await anonymous.close();
    }
  });
});
