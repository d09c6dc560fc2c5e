import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answer,
  failWhile,
  type FakeProvider,
  startFakeProvider,
} from "./harness/fake-provider.js";
import { CHEAP_MODELS, type Host, waitFor } from "./harness/host.js";
import {
  hostMatrix,
  startPluginHost,
  ids,
  queueFile,
  queueHistory,
  successfulAnswers,
  tasks,
  tm,
} from "./helpers.js";

/**
 * Plugin mode in a real gateway of each host whose default model is an expensive one: the
 * package itself is loaded from plugins.load.paths, and dispatches on its own schedule.
 */
describe.each(hostMatrix())(
  "plugin mode on %s: zero-token dispatch inside a real gateway",
  (kind) => {
    let provider: FakeProvider;
    let host: Host;
    let failing = false;

    beforeAll(async () => {
      provider = await startFakeProvider({
        behaviour: failWhile(() => failing, 429, answer("Task finished.", 1500)),
      });
      host = await startPluginHost(kind, provider.baseUrl, {
        // Clawdbot: the first is not in the gateway's catalog, and the host would silently run it
        // on its expensive default, so the plugin must refuse it and fall back. (OpenClaw sends a
        // pinned model as asked; tested with its other host facts.)
        models: kind === "clawdbot" ? ["fake/not-in-catalog", ...CHEAP_MODELS] : [...CHEAP_MODELS],
        maxConcurrent: 1,
        // quotaHoldMinMs: holds are at least a minute by default; this test wants the 2 s cooldown.
        retry: {
          maxAttempts: 3,
          baseDelayMs: 500,
          maxDelayMs: 1000,
          quotaCooldownMs: 2000,
          quotaHoldMinMs: 1000,
        },
      });
    }, 180_000);

    afterAll(async () => {
      await host?.dispose();
      await provider?.close();
    });

    it("is loaded by the host", async () => {
      const listed = await host.cli(["plugins", "list", "--json"]);
      expect(listed.stdout).toMatch(/"id":\s*"task-manager"[\s\S]*?"status":\s*"loaded"/);
    });

    it("an idle queue costs zero model requests across many ticks", async () => {
      const before = provider.requests.length;
      for (let i = 0; i < 15; i++) {
        const report = await host.call<{ results: Array<{ status: string }> }>(
          "task-manager.tick",
          {},
        );
        expect(report.results[0]?.status).toBe("NO_TASKS");
      }
      expect(provider.requests.length).toBe(before);
    });

    it("dispatches queued tasks itself, one at a time, every request on the whitelisted cheap model", async () => {
      const prompts = ["Plugin job A", "Plugin job B", "Plugin job C"];
      for (const p of prompts) expect(tm(host, ["add", p])).toMatchObject({ status: "ADDED" });
      await waitFor(
        () =>
          tasks(host).filter((t) => prompts.includes(t.prompt) && t.state === "done").length === 3
            ? true
            : undefined,
        90_000,
        "three tasks done",
      );
      const ours = provider.requests.filter((r) =>
        prompts.some((p) => JSON.stringify(r.messages).includes(p)),
      );
      expect(ours.length).toBeGreaterThanOrEqual(3);
      expect(new Set(ours.map((r) => r.model))).toEqual(new Set(["cheap-flash"]));
      expect(provider.requests.filter((r) => r.model === "expensive-large")).toHaveLength(0);
      if (kind === "clawdbot")
        expect(Object.keys(queueFile(host).cooldowns)).toContain("fake/not-in-catalog");
      // One at a time: each run started only after the previous one was settled as done.
      const runs = queueHistory(host)
        .filter((h) => ids(host, prompts).includes(h.task_id) && h.outcome === "done")
        .sort((a, b) => a.started_at.localeCompare(b.started_at));
      expect(runs).toHaveLength(3);
      for (let i = 1; i < runs.length; i++)
        expect(Date.parse(runs[i]!.started_at)).toBeGreaterThanOrEqual(
          Date.parse(runs[i - 1]!.ended_at),
        );
      for (const p of prompts) expect(successfulAnswers(host, p)).toBe(1);
    });

    it("a provider answering 429: the task is not done, retried after cooldown, then completes exactly once", async () => {
      failing = true;
      const prompt = "Plugin job under rate limit";
      tm(host, ["add", prompt]);
      const failed = await waitFor(
        () => tasks(host).find((t) => t.prompt === prompt && t.last_error?.kind === "quota"),
        60_000,
        "a quota failure",
      );
      expect(failed.state).not.toBe("done");
      expect(successfulAnswers(host, prompt)).toBe(0);
      failing = false;
      const done = await waitFor(
        () => tasks(host).find((t) => t.prompt === prompt && t.state === "done"),
        90_000,
        "the task done",
      );
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      expect(successfulAnswers(host, prompt)).toBe(1);
      const models = provider.requests
        .filter((r) => JSON.stringify(r.messages).includes(prompt))
        .map((r) => r.model);
      expect(models.every((m) => CHEAP_MODELS.map((c) => c.split("/")[1]).includes(m))).toBe(true);
    });

    it("a failed sub-agent run that nobody queued is captured, then completed", async () => {
      failing = true;
      const prompt = "Foreign sub-agent job";
      await host.call("sessions.patch", {
        key: "agent:main:subagent:foreign-1",
        model: CHEAP_MODELS[0],
      });
      await host.call("agent", {
        message: prompt,
        sessionKey: "agent:main:subagent:foreign-1",
        lane: "subagent",
        deliver: false,
        idempotencyKey: "foreign-1",
      });
      const captured = await waitFor(
        () => tasks(host).find((t) => t.prompt === prompt && t.source === "capture"),
        60_000,
        "the failed run captured",
      );
      expect(captured).toBeDefined();
      failing = false;
      await waitFor(
        () => tasks(host).find((t) => t.prompt === prompt && t.state === "done"),
        90_000,
        "the captured task done",
      );
      expect(tasks(host).filter((t) => t.prompt === prompt)).toHaveLength(1);
    });

    const command = kind === "openclaw" ? "/taskmanager" : "/tasks";

    it(`answers task-manager.status and ${command} without a model turn`, async () => {
      const before = provider.requests.length;
      const status = await host.call<{ counts: Record<string, number> }>("task-manager.status", {});
      expect(status.counts.done).toBeGreaterThanOrEqual(5);
      await host.call("chat.send", {
        sessionKey: "agent:main:main",
        message: command,
        idempotencyKey: `tasks-${Date.now()}`,
      });
      const reply = await waitFor(
        () => {
          const lines = host.readTranscript("agent:main:main");
          const last = lines
            .map(
              (l) => l.message as { role?: string; content?: Array<{ text?: string }> } | undefined,
            )
            .findLast((m) => m?.role === "assistant");
          const text = last?.content?.map((c) => c.text ?? "").join("") ?? "";
          return text.startsWith("Tasks:") ? text : undefined;
        },
        30_000,
        `the ${command} reply`,
      );
      expect(reply).toMatch(/Tasks: \d+ pending/);
      expect(provider.requests.length).toBe(before);
    });
  },
);
