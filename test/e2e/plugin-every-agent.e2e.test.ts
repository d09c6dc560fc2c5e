/**
 * Every agent of an OpenClaw 2026.9.6 gateway, served by the plugin: two agents, each with its
 * own workspace and .taskmanagerrc (its own whitelist), one gateway-wide cap of 1. Tasks of both
 * run, each on its own agent's model and in its own sessions, never two at once; a task added
 * to the second agent's queue from the CLI starts within a second, with no heartbeat and no
 * schedule firing (the host's heartbeat is off; the plugin's schedule is the 30-minute safety net).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { type Browser, launchChromium } from "../ui/lib/browser.js";
import { answer, type FakeProvider, startFakeProvider } from "./harness/fake-provider.js";
import { startHost, waitFor, type Host } from "./harness/host.js";
import { fastRetries, hostMatrix, pluginEntry, type QueuedTask, tm, userEnv } from "./helpers.js";

const openclaw = hostMatrix().includes("openclaw");
const RUN_MS = 2000;

const rc = (model: string): string =>
  JSON.stringify({ models: [model], maxConcurrent: 2, loadThreshold: 100, minFreeMemoryMB: 0 });

describe.skipIf(!openclaw)("OpenClaw 2026.9.6: every agent of the gateway, under one cap", () => {
  let provider: FakeProvider;
  let host: Host;
  let research: string;

  const tasksOf = (workspace: string): QueuedTask[] =>
    (tm(host, ["list", "--all"], userEnv(host), workspace) as { tasks: QueuedTask[] }).tasks;

  beforeAll(async () => {
    provider = await startFakeProvider({ behaviour: answer("Task finished.", RUN_MS) });
    host = await startHost({
      kind: "openclaw",
      providerBaseUrl: provider.baseUrl,
      pluginPaths: [ROOT],
      pluginEntries: { "task-manager": pluginEntry("openclaw", { gatewayMaxConcurrent: 1 }) },
      agentSettings: fastRetries("openclaw"),
      prepare({ root, workspace }) {
        research = path.join(root, "workspace-research");
        mkdirSync(research, { recursive: true });
        writeFileSync(path.join(workspace, ".taskmanagerrc"), rc("fake/cheap-flash"));
        writeFileSync(path.join(research, ".taskmanagerrc"), rc("fake/cheap-mini"));
        return {
          agents: {
            defaults: { systemAgent: { agentId: "main" } },
            entries: { main: { workspace }, research: { workspace: research } },
          },
        };
      },
    });
  }, 600_000);

  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await host?.dispose();
    await provider?.close();
  });

  it("serves both agents: doctor lists them, the status method answers for each", async () => {
    const doctor = tm(host, ["doctor"]) as {
      agents: Array<{ id: string; workspace: string; served: boolean }>;
    };
    expect(doctor.agents.map((a) => [a.id, a.workspace, a.served])).toEqual([
      ["main", host.workspace, true],
      ["research", research, true],
    ]);
    const status = await host.call<{
      agent: string;
      workspace: string;
      policy: { models: string[] };
      agents: Array<{ id: string }>;
    }>("task-manager.status", { agent: "research" });
    expect(status).toMatchObject({
      agent: "research",
      workspace: research,
      policy: { models: ["fake/cheap-mini"] },
    });
    expect(status.agents.map((a) => a.id)).toEqual(["main", "research"]);
  });

  it("dispatches the tasks of both agents, each on its own agent's whitelisted model and sessions, never two at once", async () => {
    const prompts = {
      main: ["Main job 1", "Main job 2"],
      research: ["Research job 1", "Research job 2"],
    };
    for (const p of prompts.main) tm(host, ["add", p]);
    for (const p of prompts.research) tm(host, ["add", p], userEnv(host), research);
    // Not counted from the queue's states: a run the host has ended frees its slot at once, while
    // its task reads "running" until its own lane records it (INTEGRATION.md, gatewayMaxConcurrent).
    await waitFor(
      async () => {
        const done = [...tasksOf(host.workspace), ...tasksOf(research)].filter(
          (t) => t.state === "done",
        );
        return done.length === 4 ? true : undefined;
      },
      240_000,
      "all four tasks done",
    ).catch((err: Error) => {
      const states = [...tasksOf(host.workspace), ...tasksOf(research)].map(
        (t) => `${t.prompt}: ${t.state} ${JSON.stringify(t.run)} ${JSON.stringify(t.last_error)}`,
      );
      throw new Error(`${err.message}\n${states.join("\n")}`);
    });
    // Never two at once, as the provider saw it: each task's model requests, first to last
    // answer, do not overlap another task's.
    const talks = [...prompts.main, ...prompts.research]
      .map((p) => {
        const asked = provider.requests.filter((r) => JSON.stringify(r.messages).includes(p));
        return {
          p,
          start: Math.min(...asked.map((r) => r.at)),
          end: Math.max(...asked.map((r) => r.endedAt ?? Number.POSITIVE_INFINITY)),
        };
      })
      .sort((a, b) => a.start - b.start);
    for (let i = 1; i < talks.length; i++)
      expect(
        talks[i]!.start,
        `${talks[i]!.p} began before ${talks[i - 1]!.p} was answered`,
      ).toBeGreaterThanOrEqual(talks[i - 1]!.end);
    // Each agent's runs in its own sessions (its own SQLite), on its own whitelist.
    for (const [agent, model, workspace] of [
      ["main", "cheap-flash", host.workspace],
      ["research", "cheap-mini", research],
    ] as const) {
      for (const t of tasksOf(workspace)) {
        expect(t.run?.session_key).toMatch(new RegExp(`^agent:${agent}:subagent:task-manager-`));
        expect(host.readSessionStore(agent)[t.run!.session_key!]).toMatchObject({ status: "done" });
      }
      for (const p of prompts[agent]) {
        const asked = provider.requests.filter((r) => JSON.stringify(r.messages).includes(p));
        expect(asked.length, p).toBeGreaterThan(0);
        expect(new Set(asked.map((r) => r.model))).toEqual(new Set([model]));
      }
    }
    // Never two at once, by the host's own records: the four runs' intervals do not overlap.
    const runs = ["main", "research"]
      .flatMap((agent) => Object.entries(host.readSessionStore(agent)))
      .filter(([key]) => key.includes(":subagent:task-manager-"))
      .map(([, e]) => ({ start: Number(e.startedAt), end: Number(e.endedAt) }))
      .sort((a, b) => a.start - b.start);
    expect(runs).toHaveLength(4);
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
  }, 300_000);

  it("a task added to the second agent's queue from the CLI starts within a second, with no heartbeat or schedule firing", async () => {
    // Nothing runs now; the host's heartbeat is off ("0m") and the plugin's schedule is 30 minutes away.
    const added = tm(host, ["add", "Research job 3"], userEnv(host), research) as {
      task: { id: string; added_at: string };
    };
    const started = await waitFor(
      () => tasksOf(research).find((t) => t.id === added.task.id && t.run !== null),
      60_000,
      "the task started",
    );
    const request = await waitFor(
      () => provider.requests.find((r) => JSON.stringify(r.messages).includes("Research job 3")),
      60_000,
      "its model request",
    );
    const addedAt = Date.parse(added.task.added_at);
    const accepted = Date.parse(started.run!.started_at) - addedAt;
    const firstRequest = request.at - addedAt;
    console.log(
      `FIGURE add → spawn accepted ${accepted} ms; add → first model request ${firstRequest} ms`,
    );
    expect(accepted).toBeLessThanOrEqual(1000);
    expect(request.model).toBe("cheap-mini");
    // What woke the tick that started it: the queue's change, not the schedule or a heartbeat.
    const status = await host.call<{ last_tick: { trigger: string[] }; next_tick: string }>(
      "task-manager.status",
      { agent: "research" },
    );
    expect(status.last_tick.trigger).not.toContain("schedule");
    const log = readFileSync(host.hostLog, "utf8");
    expect(log).not.toMatch(/task-manager tick [^"]*\(schedule\)/);
    expect(log).toMatch(/task-manager tick [^"]*\(queue\)/);
  }, 120_000);
  it("the page shows every agent's queue: a tab per agent, each showing its own tasks", async () => {
    const url = (await host.call<{ url: string }>("task-manager.page", {})).url;
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.waitForSelector("[data-testid=agent-tab]", { timeout: 30_000 });
    const tabs = page.locator("[data-testid=agent-tab]");
    expect(await tabs.evaluateAll((els) => els.map((e) => e.getAttribute("data-agent")))).toEqual([
      "main",
      "research",
    ]);
    const ids = (workspace: string): string[] => tasksOf(workspace).map((t) => t.id);
    const shown = (): Promise<string[]> =>
      page
        .locator("[data-task-id]")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id")!));
    // The primary agent first: its tasks, none of the other's.
    await page.waitForSelector(`[data-task-id="${ids(host.workspace)[0]}"]`, { timeout: 30_000 });
    expect((await shown()).filter((id) => ids(research).includes(id))).toEqual([]);
    await page.click('[data-testid=agent-tab][data-agent="research"]');
    await page.waitForSelector(`[data-task-id="${ids(research)[0]}"]`, { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get("agent")).toBe("research");
    const now = await shown();
    expect(now.filter((id) => ids(host.workspace).includes(id))).toEqual([]);
    expect(now.length).toBeGreaterThan(0);
  }, 120_000);
});
