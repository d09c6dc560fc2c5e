/**
 * Skill mode settles acked runs from the host's own records — with the gateway running, stopped,
 * or killed mid-run — on each host. The run is started the way the agent's `sessions_spawn`
 * starts one (a sub-agent session on the recommended model), the task acked with its session key,
 * and only the CLI's `check` settles it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRelaxedRc } from "../helpers/cli.js";
import {
  answer,
  type Behaviour,
  type FakeProvider,
  startFakeProvider,
} from "./harness/fake-provider.js";
import { CHEAP_MODELS, startHost, waitFor, waitIdle, type Host } from "./harness/host.js";
import { fastRetries, hostMatrix, tasks, tm } from "./helpers.js";

interface Ready {
  status: string;
  task: { id: string };
  recommendation: { prompt: string; model: string; label: string };
}

const has =
  (text: string): ((r: { messages: unknown }) => boolean) =>
  (r) =>
    JSON.stringify(r.messages).includes(text);

describe.each(hostMatrix())(
  "skill mode on %s: a check settles acked runs, with or without a running gateway",
  (kind) => {
    let provider: FakeProvider;
    let host: Host;
    const behaviour: Behaviour = (req, i) =>
      has("Slow skill job")(req)
        ? answer("late", 120_000)(req, i)
        : answer("Skill job finished.", 200)(req, i);

    beforeAll(async () => {
      provider = await startFakeProvider({ behaviour });
      host = await startHost({
        kind,
        providerBaseUrl: provider.baseUrl,
        agentSettings: fastRetries(kind),
      });
      writeRelaxedRc(host.workspace, { models: [CHEAP_MODELS[0]] });
    }, 600_000);

    afterAll(async () => {
      await host?.dispose();
      await provider?.close();
    });

    /** What the agent does with a READY status: spawn the recommendation as a sub-agent, then ack. */
    async function spawnAndAck(prompt: string): Promise<{ id: string; sessionKey: string }> {
      tm(host, ["add", prompt]);
      const ready = tm(host, ["check"]) as Ready;
      expect(ready).toMatchObject({ status: "READY", recommendation: { prompt } });
      const sessionKey = `agent:main:subagent:skill-${ready.task.id}`;
      await host.call("sessions.patch", { key: sessionKey, model: ready.recommendation.model });
      const run = await host.call<{ runId: string }>("agent", {
        message: prompt,
        sessionKey,
        lane: "subagent",
        deliver: false,
        idempotencyKey: ready.recommendation.label,
        label: ready.recommendation.label,
      });
      tm(host, [
        "ack",
        ready.task.id,
        "--run-id",
        run.runId,
        "--session-key",
        sessionKey,
        "--model",
        ready.recommendation.model,
      ]);
      return { id: ready.task.id, sessionKey };
    }

    it("a finished run is settled done by a check made after the gateway stopped", async () => {
      const { id, sessionKey } = await spawnAndAck("Quick skill job");
      await waitFor(
        () => (provider.requests.some(has("Quick skill job")) ? true : undefined),
        120_000,
        "the run to reach the model",
      );
      await waitIdle(host, sessionKey, 120_000);
      await host.stop();
      const check = tm(host, ["check"]) as { settled?: Array<{ id: string; outcome: string }> };
      expect(check.settled).toContainEqual(expect.objectContaining({ id, outcome: "done" }));
      expect(tasks(host).find((t) => t.id === id)).toMatchObject({ state: "done", attempts: 1 });
    }, 600_000);

    it("a run whose gateway was killed mid-run is settled as interrupted (retried), with the gateway still down", async () => {
      await host.start();
      const { id } = await spawnAndAck("Slow skill job");
      await waitFor(
        () => (provider.requests.some(has("Slow skill job")) ? true : undefined),
        120_000,
        "the slow run to reach the model",
      );
      expect(
        (tm(host, ["check"]) as { status: string; settled?: unknown[] }).settled,
      ).toBeUndefined(); // still running
      await host.kill();
      const check = tm(host, ["check"]) as {
        settled?: Array<{ id: string; outcome: string; error?: string }>;
      };
      expect(check.settled).toContainEqual(
        expect.objectContaining({
          id,
          outcome: "failed",
          error: expect.stringContaining("interrupted"),
        }),
      );
      expect(tasks(host).find((t) => t.id === id)).toMatchObject({
        attempts: 1,
        failures: 1,
        last_error: { kind: "interrupted" },
      });
    }, 600_000);
  },
);
