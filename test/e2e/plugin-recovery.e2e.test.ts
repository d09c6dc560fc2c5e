import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answer,
  fail,
  type Behaviour,
  type FakeProvider,
  startFakeProvider,
} from "./harness/fake-provider.js";
import { CHEAP_MODELS, type Host, waitFor } from "./harness/host.js";
import { hostMatrix, startPluginHost, successfulAnswers, tasks, tm } from "./helpers.js";

const has =
  (text: string): ((r: { messages: unknown }) => boolean) =>
  (r) =>
    JSON.stringify(r.messages).includes(text);

/** Restart recovery, the VIP lane and dead-letter alerts, in a real gateway of each host. */
describe.each(hostMatrix())(
  "plugin mode on %s: crashes, the main session, dead letters",
  (kind) => {
    let provider: FakeProvider;
    let host: Host;
    // Per-prompt behaviour: the main session answers slowly; "Doomed" always fails; others answer after a pause.
    const behaviour: Behaviour = (req, i) => {
      if (has("Doomed job")(req)) return fail(500)(req, i);
      if (req.model === "expensive-large") return answer("Main answer.", 3000)(req, i);
      return answer("Task finished.", 3000)(req, i);
    };

    beforeAll(async () => {
      provider = await startFakeProvider({ behaviour });
      host = await startPluginHost(kind, provider.baseUrl, {
        models: [CHEAP_MODELS[0]],
        retry: { maxAttempts: 2, baseDelayMs: 300, maxDelayMs: 600 },
      });
    }, 180_000);

    afterAll(async () => {
      await host?.dispose();
      await provider?.close();
    });

    it("the gateway SIGKILLed while a task runs, then restarted: the task completes exactly once", async () => {
      const prompt = "Crash-survivor job";
      tm(host, ["add", prompt]);
      await waitFor(
        () =>
          tasks(host).find((t) => t.prompt === prompt)?.state === "running" &&
          provider.requests.some(has(prompt))
            ? true
            : undefined,
        30_000,
        "the task running",
      );
      await host.kill();
      expect(successfulAnswers(host, prompt)).toBe(0);
      await host.start();
      const done = await waitFor(
        () => tasks(host).find((t) => t.prompt === prompt && t.state === "done"),
        90_000,
        "the task done after restart",
      );
      expect(done.attempts).toBe(2);
      expect(successfulAnswers(host, prompt)).toBe(1);
      // Two model requests in all: the run the crash killed, and the one that finished.
      expect(provider.requests.filter(has(prompt))).toHaveLength(2);
    });

    it("never dispatches while the main session is mid-run (DEFERRED main_busy)", async () => {
      await host.call("chat.send", {
        sessionKey: "agent:main:main",
        message: "A long question for the main agent",
        idempotencyKey: `main-${Date.now()}`,
      });
      await waitFor(
        () => (provider.requests.some(has("A long question")) ? true : undefined),
        20_000,
        "the main run to reach the provider",
      );
      tm(host, ["add", "VIP-lane job"]);
      const busy = await host.call<{ results: Array<{ status: string; reason?: string }> }>(
        "task-manager.tick",
        {},
      );
      expect(busy.results[0]).toMatchObject({ status: "DEFERRED", reason: "main_busy" });
      await waitFor(
        () => tasks(host).find((t) => t.prompt === "VIP-lane job" && t.state === "done"),
        60_000,
        "the task done after the main run",
      );
      const mainEnd = provider.requests.find(has("A long question"))!.at + 3000;
      const jobStart = provider.requests.find(has("VIP-lane job"))!.at;
      expect(jobStart).toBeGreaterThanOrEqual(mainEnd);
    });

    it("a task that runs out of attempts goes dead, and the main session is told on its next turn", async () => {
      tm(host, ["add", "Doomed job"]);
      const dead = await waitFor(
        () => tasks(host).find((t) => t.prompt === "Doomed job" && t.state === "dead"),
        60_000,
        "the task dead",
      );
      expect(dead.failures).toBe(2);
      await host.call("chat.send", {
        sessionKey: "agent:main:main",
        message: "Anything new?",
        idempotencyKey: `main2-${Date.now()}`,
      });
      const told = await waitFor(
        () =>
          provider.requests.find(
            (r) => has("Anything new?")(r) && has(`task ${dead.id} gave up`)(r),
          ),
        30_000,
        "the alert in the next main turn",
      );
      expect(told.model).toBe("expensive-large");
    });
  },
);
