import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answer,
  callTools,
  rateLimitedUntil,
  type Behaviour,
  type FakeProvider,
  startFakeProvider,
} from "./harness/fake-provider.js";
import { CHEAP_MODELS, type Host, waitFor } from "./harness/host.js";
import { hostMatrix, queueHistory, startPluginHost, tasks, tm } from "./helpers.js";

/**
 * Issue 10 in a real Clawdbot gateway (plugin mode): quota holds released at the hinted time
 * with one task first, max age, review instead of blind retry, the crash-loop breaker, and cost
 * figures that match what the provider reported.
 *
 * What each case needs from the host adapter (RunOutcome facts): review needs `toolCalls`
 * (a failed or aborted run that called a tool), cost needs `usage`, the crash loop needs
 * `toolCalls: 0` on an interrupted run that never reached a tool. The hold and expiry cases
 * need nothing beyond today's outcomes.
 */
const has =
  (text: string): ((r: { messages: unknown }) => boolean) =>
  (r) =>
    JSON.stringify(r.messages).includes(text);

interface QueueTask {
  id: string;
  prompt: string;
  state: string;
  reason?: string;
  attempts: number;
}
interface HoldView {
  scope: string;
  key: string;
  until: string;
  source: string;
  state: string;
  probe_task: string | null;
}

describe.each(hostMatrix())("plugin mode on %s: resuming safely and cheaply", (kind) => {
  let provider: FakeProvider;
  let host: Host;
  let resetAt = 0;
  /** Requests that should kill the gateway mid-run, by prompt. */
  const poison = "Poison job";
  let poisonSeen = 0;

  const behaviour: Behaviour = (req, i) => {
    if (has("Quota job")(req))
      return rateLimitedUntil(() => resetAt, answer("Quota job finished.", 2000))(req, i);
    if (has("Acting job")(req)) {
      // First call: use a tool. After the tool result comes back: stall past the run timeout.
      return req.messages.some((m) => m.role === "tool")
        ? answer("too late", 60_000)(req, i)
        : callTools([{ name: "read", arguments: { path: "HEARTBEAT.md" } }])(req, i);
    }
    if (has(poison)(req)) {
      poisonSeen += 1;
      return answer("never delivered", 60_000)(req, i);
    }
    return answer("Task finished.", 500)(req, i);
  };

  beforeAll(async () => {
    provider = await startFakeProvider({ behaviour });
    host = await startPluginHost(kind, provider.baseUrl, {
      models: [...CHEAP_MODELS],
      maxConcurrent: 2,
      // A 20 s hint must not be clamped up to the one-minute default minimum.
      retry: {
        maxAttempts: 5,
        baseDelayMs: 300,
        maxDelayMs: 600,
        quotaCooldownMs: 600_000,
        quotaHoldMinMs: 1000,
      },
      // 30 s: long enough for a normal run on a loaded machine (OpenClaw takes ~10 s for a
      // trivial one there), short enough for the stalled one.
      taskTimeoutMinutes: 0.5,
    });
  }, 180_000);

  afterAll(async () => {
    await host?.dispose();
    await provider?.close();
  });

  it("a 429 naming its reset holds the whole provider until then; then one task goes first, the other after it", async () => {
    resetAt = Date.now() + 20_000;
    tm(host, ["add", "Quota job one"]);
    tm(host, ["add", "Quota job two"]);
    const held = await waitFor(
      () => (tm(host, ["stats"]) as { holds: HoldView[] }).holds.find((h) => h.key === "fake"),
      60_000,
      "a hold on the fake provider",
    );
    expect(held).toMatchObject({ scope: "provider", source: "message" });
    // Read from "your quota resets at <time>": within a few seconds of the provider's reset.
    expect(Math.abs(Date.parse(held.until) - resetAt)).toBeLessThan(5000);
    const quota = (r: { messages: unknown }): boolean => has("Quota job")(r);
    const seenAt = Date.now();
    await waitFor(() => (Date.now() > resetAt + 500 ? true : undefined), 30_000, "the reset time");
    // While held, nobody asked the provider for these tasks (after a few seconds for the host's
    // own in-run retries of a run already out to finish).
    expect(
      provider.requests.filter(
        (r) => quota(r) && r.at > seenAt + 5000 && r.at < Date.parse(held.until),
      ),
    ).toEqual([]);
    const done = await waitFor(
      () =>
        tasks(host).filter((t) => t.prompt.startsWith("Quota job") && t.state === "done").length ===
        2
          ? true
          : undefined,
      90_000,
      "both quota jobs done",
    );
    expect(done).toBe(true);
    // After the reset: the first request after it is one task's (the probe); the other task's
    // first request comes only after the probe's answer (2 s later).
    const after = provider.requests.filter((r) => quota(r) && r.at >= Date.parse(held.until));
    const firstOne = after.find(has("Quota job one"))!.at;
    const firstTwo = after.find(has("Quota job two"))!.at;
    expect(Math.abs(firstTwo - firstOne)).toBeGreaterThanOrEqual(2000);
  }, 300_000);

  it("a task older than its maximum age is not started: expired, with an alert; no model request", async () => {
    const prompt = "Stale job";
    // Added while paused, so no tick can start it before it is over its age.
    tm(host, ["pause"]);
    tm(host, ["add", prompt, "--max-age", "0.0003"]); // about one second
    await new Promise((r) => setTimeout(r, 1500));
    tm(host, ["resume"]);
    const expired = await waitFor(
      () =>
        tasks(host).find((t) => t.prompt === prompt && t.state === "expired") as
          | QueueTask
          | undefined,
      30_000,
      "the task expired",
    );
    expect(expired.reason).toBe("max_age");
    expect(provider.requests.filter(has(prompt))).toHaveLength(0);
  });

  it("a run that called a tool and then timed out goes to review and is not run again", async () => {
    const prompt = "Acting job";
    tm(host, ["add", prompt]);
    const reviewed = await waitFor(
      () =>
        tasks(host).find((t) => t.prompt === prompt && t.state === "review") as
          | QueueTask
          | undefined,
      90_000,
      "the task under review",
    );
    expect(reviewed.reason).toMatch(/^acted_then_(timed_out|failed)$/);
    const requests = provider.requests.filter(has(prompt)).length;
    // Several more ticks: still under review, no new run.
    await new Promise((r) => setTimeout(r, 5000));
    expect(tasks(host).find((t) => t.id === reviewed.id)!.state).toBe("review");
    expect(provider.requests.filter(has(prompt)).length).toBe(requests);
    expect(
      (tm(host, ["review", "list"]) as { tasks: QueueTask[] }).tasks.map((t) => t.id),
    ).toContain(reviewed.id);
  }, 180_000);

  it("a task whose runs take the gateway down twice is stopped: dead, crash_loop", async () => {
    tm(host, ["add", poison]);
    for (let kill = 1; kill <= 2; kill++) {
      await waitFor(
        () => (poisonSeen >= kill ? true : undefined),
        60_000,
        `poison run ${kill} reaching the provider`,
      );
      await host.kill();
      await host.restart();
    }
    const dead = await waitFor(
      () =>
        tasks(host).find((t) => t.prompt === poison && t.state === "dead") as QueueTask | undefined,
      90_000,
      "the poison task dead",
    );
    expect(dead.reason).toBe("crash_loop");
    // Stopped after two: no third run.
    await new Promise((r) => setTimeout(r, 5000));
    expect(poisonSeen).toBe(2);
  }, 600_000);

  it("cost figures match the provider's reported usage (10 prompt + 5 completion tokens a request)", async () => {
    const prompt = "Costed job";
    tm(host, ["add", prompt]);
    const done = await waitFor(
      () =>
        tasks(host).find((t) => t.prompt === prompt && t.state === "done") as QueueTask | undefined,
      60_000,
      "the costed job done",
    );
    const requests = provider.requests.filter(has(prompt)).length;
    const history = queueHistory(host) as unknown as Array<{
      task_id: string;
      outcome: string;
      model: string | null;
      usage?: { input: number; output: number; cost_usd: number | null };
    }>;
    const run = history.find((h) => h.task_id === done.id && h.outcome === "done")!;
    expect(run.model).toBe(CHEAP_MODELS[0]);
    expect(run.usage).toMatchObject({ input: 10 * requests, output: 5 * requests });
    // Catalog price of cheap-flash: 0.1 in / 0.4 out per million tokens.
    const expected = (10 * requests * 0.1 + 5 * requests * 0.4) / 1e6;
    const stats = tm(host, ["stats"]) as {
      spend: { main_model: string; by_model: Record<string, { cost_usd: number }> };
    };
    expect(stats.spend.main_model).toBe("fake/expensive-large");
    expect(run.usage!.cost_usd ?? expected).toBeCloseTo(expected, 9);
    expect(stats.spend.by_model[CHEAP_MODELS[0]]!.cost_usd).toBeGreaterThanOrEqual(
      Math.round(expected * 1e6) / 1e6,
    );
  });
});
