/**
 * The page in a frame that runs no scripts, as the OpenClaw 2026.9.6 Control UI draws a plugin's
 * tab when it draws it before its settings arrive (it starts at embedSandbox "strict", an empty
 * `sandbox`, and sets "allow-scripts" on the frame only once they load; a frame's sandbox applies
 * at its next navigation, so the page stays dead). The page then says so and offers a reload that
 * works once the frame may run scripts. Real `task-manager serve`, Debian's Chromium.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliJson, tempDir } from "../helpers/cli.js";
import { launchChromium, type Browser } from "./lib/browser.js";
import { card, until } from "./lib/page.js";
import { closeAll, startServe, type Served } from "./lib/serve.js";

let t: { dir: string; cleanup: () => void };
let served: Served | null = null;
let browser: Browser | null = null;
let taskId = "";

beforeAll(async () => {
  t = tempDir();
  const ws = path.join(t.dir, "ws");
  const env = { HOME: path.join(t.dir, "home") };
  mkdirSync(ws);
  mkdirSync(env.HOME);
  taskId = cliJson<{ task: { id: string } }>(["add", "a queued task", "-w", ws, "--json"], { env })
    .body.task.id;
  served = await startServe(ws, env);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  expect(await closeAll({ browser, served, cleanup: t.cleanup })).toBe(0);
});

describe("the page in a frame that runs no scripts", () => {
  it("says why and how to reload; the reload brings it alive once the frame may run scripts", async () => {
    const tab = await browser!.context.newPage();
    const origin = new URL(served!.url).origin;
    // A parent on the page's own origin (its CSP allows only that), as the Control UI is.
    await tab.route(`${origin}/embed`, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><iframe id="tab" sandbox="" src="${served!.url}"></iframe>`,
      }),
    );
    await tab.goto(`${origin}/embed`);
    const frame = await (await tab.waitForSelector("#tab")).contentFrame();
    if (!frame) throw new Error("the frame did not load");
    const notice = await frame.waitForSelector("[data-testid=noscript]", { state: "visible" });
    expect(await notice.textContent()).toMatch(/Reload the page[\s\S]*embedSandbox/);
    expect(await frame.textContent("[data-testid=live]")).toBe("connecting…");

    // What the Control UI does once its settings arrive: the frame may run scripts from its next load.
    await tab.evaluate(`document.getElementById("tab").setAttribute("sandbox", "allow-scripts")`);
    await frame.click("[data-testid=reload]");
    await frame.waitForSelector(card(taskId), { timeout: 30_000 });
    await until(
      async () => (await frame.textContent("[data-testid=live]")) === "live",
      15_000,
      "the reloaded page's event stream to open",
    );
    expect(await frame.isVisible("[data-testid=noscript]")).toBe(false);
  });
});
