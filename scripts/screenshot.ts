/**
 * `npm run screenshot`: the README's picture of the status page, made on purpose from a demo
 * queue (not a test run's leftovers): a few tasks in every state a user meets — waiting in line,
 * backing off, held by a provider's quota, running, under review, dead, done with their cost —
 * served by the real `task-manager serve` and rendered in Debian's Chromium.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Queue } from "../src/core/queue-model.js";
import { emptyQueue } from "../src/core/queue-model.js";
import { ackTask, addTask, claimTask, completeTask, failTask } from "../src/core/tasks.js";
import { DEFAULT_POLICY } from "../src/policy/defaults.js";
import { createContext } from "../src/runtime/context.js";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { launchChromium } from "../lib/chromium.js";
import { EVERYTHING } from "../src/core/views.js";

const MIN = 60_000;
const OUT = path.join(PACKAGE_ROOT, "docs", "status-page.png");

/** A lived-in queue, built with the core's own transitions (so it is exactly what runs write). */
function demoQueue(now: number): Queue {
  const policy = {
    ...DEFAULT_POLICY,
    models: ["google/gemini-2.5-flash", "anthropic/claude-haiku-4-5"],
  };
  const ctx = { policy, random: () => 0.5 };
  let q = emptyQueue();
  let n = 0;
  const add = (prompt: string, at: number, priority = 5): string => {
    const id = `t_demo${(n++).toString(36)}`;
    q = addTask(q, { prompt, priority, source: "cli" }, at, id).queue;
    return id;
  };
  const run = (id: string, at: number, model: string): void => {
    const task = q.tasks.find((t) => t.id === id)!;
    q = claimTask(q, task, { token: `k${id}`, model, leaseSeconds: 300 }, at).queue;
    q = ackTask(
      q,
      id,
      {
        runId: `run-${id}`,
        sessionKey: `agent:main:subagent:task-manager-${id.slice(2)}-1`,
        model,
      },
      at,
    ).queue;
  };
  const usage = (input: number, output: number) => ({
    model: "google/gemini-2.5-flash",
    usage: {
      input,
      output,
      cacheRead: 0,
      cacheWrite: 0,
      costUsd: (input * 0.3 + output * 2.5) / 1e6,
    },
  });
  for (let i = 0; i < 14; i++) {
    const id = add(
      `Nightly digest ${i + 1}: summarise the day's support tickets into memory/digest.md`,
      now - (7 * 24 - i * 11) * 60 * MIN,
    );
    run(id, now - (7 * 24 - i * 11) * 60 * MIN, "google/gemini-2.5-flash");
    q = completeTask(
      q,
      id,
      now - (7 * 24 - i * 11) * 60 * MIN + 3 * MIN,
      usage(12_000 + i * 900, 1800),
    ).queue;
  }
  const dead = add("Post the release notes to the #eng channel", now - 5 * 60 * MIN, 2);
  for (let i = 0; i < 3; i++) {
    run(dead, now - (5 - i) * 60 * MIN, "google/gemini-2.5-flash");
    q = failTask(
      q,
      dead,
      { message: "500 internal error from the provider" },
      { ...ctx, nowMs: now - (5 - i) * 60 * MIN + MIN },
    ).queue;
  }
  const running = add("Refactor the billing export script and run its tests", now - 40 * MIN, 3);
  run(running, now - 6 * MIN, "google/gemini-2.5-flash");
  const flaky = add("Fetch the weekly analytics export and file it under reports/", now - 90 * MIN);
  run(flaky, now - 20 * MIN, "google/gemini-2.5-flash");
  q = failTask(
    q,
    flaky,
    { message: "connection reset by peer" },
    { ...ctx, nowMs: now - 19 * MIN },
  ).queue;
  add("Draft replies to the three open partner emails", now - 15 * MIN, 4);
  add("<img src=x onerror=alert(1)> — task text is shown as text", now - 10 * MIN, 6);
  return q;
}

async function main(): Promise<void> {
  const root = path.join(os.tmpdir(), "task-manager-demo");
  rmSync(root, { recursive: true, force: true });
  const workspace = path.join(root, "workspace");
  mkdirSync(workspace, { recursive: true });
  writeFileSync(
    path.join(workspace, ".taskmanagerrc.json"),
    JSON.stringify({ loadThreshold: 100, minFreeMemoryMB: 0 }),
  );
  const env = { PATH: process.env.PATH, HOME: path.join(root, "home") };
  const ctx = await createContext({ workspace, deps: { env } });
  await ctx.store.mutate(EVERYTHING, () => ({ queue: demoQueue(Date.now()), result: null }));
  const serve = spawn(
    process.execPath,
    [path.join(PACKAGE_ROOT, "dist/bin/task-manager.cjs"), "serve", "-w", workspace],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const browser = await launchChromium();
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      serve.stdout.setEncoding("utf8").on("data", (c: string) => {
        out += c;
        if (out.includes("\n")) resolve(out.split("\n")[0]!.trim());
      });
      serve.once("exit", (code) =>
        reject(new Error(`serve exited (${code}) before printing its URL`)),
      );
    });
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.goto(url);
    await page.waitForSelector("[data-testid=hold], #groups section", { timeout: 30_000 });
    await page.waitForTimeout(1500);
    mkdirSync(path.dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: false });
    process.stderr.write(`screenshot: wrote ${path.relative(PACKAGE_ROOT, OUT)}\n`);
  } finally {
    await browser.close();
    serve.kill("SIGTERM");
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
