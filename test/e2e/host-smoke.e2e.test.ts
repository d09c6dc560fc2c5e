/**
 * Smoke test against the real host: a private Clawdbot gateway, the fake provider, and the
 * spawn path the plugin uses (sessions.patch + agent, lane "subagent"). It pins the host facts
 * the product depends on (HOST-NOTES.md §A–B): the cheap model really reaches the provider, and
 * a failed run is visible only in the transcript.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { answer, fail, type FakeProvider, startFakeProvider } from "./harness/fake-provider.js";
import { type Host, lastAssistant, spawnSubagent, startHost, waitIdle } from "./harness/host.js";

let provider: FakeProvider;
let host: Host;

beforeAll(async () => {
  provider = await startFakeProvider();
  // Short auto-retry back-off keeps the failure cases at ~1 s instead of ~14 s; same code path.
  host = await startHost({
    providerBaseUrl: provider.baseUrl,
    agentSettings: { retry: { baseDelayMs: 50 } },
  });
});

afterAll(async () => {
  await host?.dispose();
  await provider?.close();
});

const waitRun = (
  runId: string,
): Promise<{ status: string; startedAt?: number; endedAt?: number }> =>
  host.call("agent.wait", { runId, timeoutMs: 60_000 });

describe("sub-agent run spawned through the gateway", () => {
  test("runs on the cheap model and ends in an assistant answer", async () => {
    provider.setBehaviour(answer("Task finished: 42."));
    const before = provider.requests.length;
    const run = await spawnSubagent(host, {
      id: "smoke-ok",
      model: "fake/cheap-flash",
      message: "Resume task t_1",
      label: "task-manager:t_1",
      idempotencyKey: "smoke-ok-1",
    });
    expect(run.accepted).toMatchObject({ runId: "smoke-ok-1", status: "accepted" });

    expect(await waitRun(run.runId)).toMatchObject({ status: "ok" });
    await waitIdle(host, run.sessionKey);

    const models = provider.requests.slice(before).map((r) => r.model);
    expect(models).toEqual(["cheap-flash"]);
    const last = lastAssistant(host.readTranscript(run.sessionKey));
    expect(last).toMatchObject({ stopReason: "stop", provider: "fake", model: "cheap-flash" });
    expect(JSON.stringify(last?.content)).toContain("Task finished: 42.");
    expect(host.readSessionStore()[run.sessionKey]).toMatchObject({
      providerOverride: "fake",
      modelOverride: "cheap-flash",
      label: "task-manager:t_1",
    });
  });

  test("a repeated idempotencyKey does not start a second run", async () => {
    const before = provider.requests.length;
    const again = await host.call("agent", {
      message: "Resume task t_1",
      sessionKey: "agent:main:subagent:smoke-ok",
      lane: "subagent",
      deliver: false,
      idempotencyKey: "smoke-ok-1",
    });
    // The dedupe cache answers with the first run's final result.
    expect(again).toMatchObject({ runId: "smoke-ok-1", status: "ok", summary: "completed" });
    expect(provider.requests.length).toBe(before);
  });

  test.each([
    [429, "429 rate limited"],
    [500, "500 internal error"],
  ])(
    "a provider answering %i: agent.wait says ok, the transcript says error",
    async (status, message) => {
      provider.setBehaviour(fail(status));
      const run = await spawnSubagent(host, {
        id: `smoke-${status}`,
        model: "fake/cheap-mini",
        message: "Resume task t_2",
      });

      // The trap: the run "succeeded" as far as the gateway's run status goes.
      expect(await waitRun(run.runId)).toMatchObject({ status: "ok" });
      await waitIdle(host, run.sessionKey);

      const last = lastAssistant(host.readTranscript(run.sessionKey));
      expect(last).toMatchObject({ stopReason: "error", errorMessage: message, content: [] });
      expect(provider.requests.at(-1)?.model).toBe("cheap-mini");
    },
  );
});
