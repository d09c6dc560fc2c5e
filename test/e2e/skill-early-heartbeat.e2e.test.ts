/**
 * Skill mode's earlier heartbeat, on each host: a check that settles a rate-limited run places
 * a quota hold and asks the running gateway (through the env an exec tool gives the CLI) for a
 * one-shot main-session turn right after the hold ends; the gateway runs that turn then, on its
 * own timer, with the CLI long gone. The turn's text says what to do; whether the host's own
 * heartbeat instructions come with it is recorded (INTEGRATION.md, "Skill mode and an earlier
 * heartbeat").
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, writeRelaxedRc } from "../helpers/cli.js";
import {
  answer,
  type FakeProvider,
  rateLimitedUntil,
  startFakeProvider,
} from "./harness/fake-provider.js";
import { heartbeatSettings, pasteHeartbeatSection } from "./harness/heartbeat.js";
import { pasteableSection, SECTION_HEADING } from "./harness/heartbeat-instructions.js";
import {
  CHEAP_MODELS,
  EXPENSIVE_MODEL,
  startHost,
  waitFor,
  waitIdle,
  type Host,
} from "./harness/host.js";
import { fastRetries, hostMatrix, tm, userEnv } from "./helpers.js";

const HOLD_MS = 25_000;
const has =
  (text: string): ((r: { messages: unknown }) => boolean) =>
  (r) =>
    JSON.stringify(r.messages).includes(text);

describe.each(hostMatrix())(
  "skill mode on %s: an earlier heartbeat when a quota hold ends",
  (kind) => {
    let provider: FakeProvider;
    let host: Host;
    let resetAt = 0;

    beforeAll(async () => {
      provider = await startFakeProvider({
        behaviour: (req, i) =>
          has("Held skill job")(req)
            ? rateLimitedUntil(() => resetAt, answer("Skill job finished."))(req, i)
            : answer("HEARTBEAT_OK")(req, i),
      });
      host = await startHost({
        kind,
        providerBaseUrl: provider.baseUrl,
        agentSettings: fastRetries(kind),
        extraConfig: { agents: { defaults: { heartbeat: heartbeatSettings } } },
      });
      // The section, pasted where the host's heartbeat reads it.
      const rel = path.relative(host.workspace, ROOT);
      await pasteHeartbeatSection(
        host,
        pasteableSection(readFileSync(path.join(ROOT, "HEARTBEAT.md"), "utf8"), rel),
      );
      writeRelaxedRc(host.workspace, {
        models: [CHEAP_MODELS[0]],
        retry: { quotaHoldMinMs: 1000 },
      });
    }, 600_000);

    afterAll(async () => {
      await host?.dispose();
      await provider?.close();
    });

    it("the check that places the hold asks the gateway for a turn at its end, and the gateway runs it then", async () => {
      resetAt = Date.now() + HOLD_MS;
      // What the agent's sessions_spawn would do with a READY task: a sub-agent run, acked.
      tm(host, ["add", "Held skill job"]);
      const ready = tm(host, ["check"]) as { status: string; task: { id: string } };
      expect(ready.status).toBe("READY");
      const sessionKey = `agent:main:subagent:skill-held-${ready.task.id}`;
      await host.call("sessions.patch", { key: sessionKey, model: CHEAP_MODELS[0] });
      const run = await host.call<{ runId: string }>("agent", {
        message: "Held skill job",
        sessionKey,
        lane: "subagent",
        deliver: false,
        idempotencyKey: `held-${ready.task.id}`,
      });
      tm(host, ["ack", ready.task.id, "--run-id", run.runId, "--session-key", sessionKey]);
      await waitIdle(host, sessionKey, 120_000);

      // The next heartbeat's check, run by the agent's exec tool: the gateway gave it its address.
      const execEnv = {
        ...userEnv(host),
        [`${host.spec.envPrefix}GATEWAY_PORT`]: String(host.port),
        [`${host.spec.envPrefix}GATEWAY_TOKEN`]: host.token,
      };
      type Held = {
        status: string;
        reason: string;
        hold: { key: string; until: string };
        heartbeat_requested?: { at: string; hold: string; job?: string; error?: string };
      };
      // Clawdbot's agent.wait answers before the run is over (its in-run retries go on), and a
      // check settles nothing while the run's lock is held: check until one settles it.
      const held = await waitFor(
        () => {
          const status = tm(host, ["check"], execEnv) as Held;
          return status.status === "NO_TASKS" ? undefined : status;
        },
        120_000,
        "a check that settles the rate-limited run",
      );
      expect(held).toMatchObject({
        status: "DEFERRED",
        reason: "quota_cooldown",
        hold: { key: "fake" },
      });
      expect(held.heartbeat_requested, JSON.stringify(held)).toMatchObject({
        hold: "fake",
        job: expect.any(String),
      });
      const askedAt = Date.parse(held.heartbeat_requested!.at);
      expect(askedAt).toBeGreaterThanOrEqual(Date.parse(held.hold.until));
      // Asked once per hold: a later check, which placed nothing, asks nothing.
      const again = tm(host, ["check"], execEnv) as { heartbeat_requested?: unknown };
      expect(again.heartbeat_requested).toBeUndefined();
      const jobs = await host.call<{ jobs: Array<{ id: string; name: string }> }>("cron.list", {
        includeDisabled: true,
      });
      expect(jobs.jobs.map((j) => j.name)).toContain("task-manager: quota hold ends (main)");

      // The gateway's own timer runs the turn once the hold is over — no heartbeat interval passed.
      // OpenClaw's turn starts with the job's text; Clawdbot's is its plain heartbeat prompt (the
      // job's system event does not reach it), with HEARTBEAT.md in the system prompt.
      const turnText = kind === "openclaw" ? "quota hold on fake has ended" : "Read HEARTBEAT.md";
      const turn = await waitFor(
        () =>
          provider.requests.find(
            (r) =>
              r.model === EXPENSIVE_MODEL.slice(5) && r.at >= askedAt - 1000 && has(turnText)(r),
          ),
        120_000,
        "the main-session turn at the hold's end",
      );
      const scratchIncluded = has(SECTION_HEADING)(turn);
      console.log(
        `FIGURE ${kind}: turn ${turn.at - askedAt} ms after the asked time; heartbeat instructions in the turn: ${scratchIncluded}; the job's text in the turn: ${has("quota hold on fake has ended")(turn)}`,
      );
      // Clawdbot's turn does the check because HEARTBEAT.md says so; OpenClaw's because the text does.
      if (kind === "clawdbot") expect(scratchIncluded).toBe(true);
    }, 600_000);
  },
);
