import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, writeRelaxedRc } from "../helpers/cli.js";
import { startFakeProvider, type FakeProvider } from "./harness/fake-provider.js";
import { heartbeatAgent, type HeartbeatAgent, type TurnKind } from "./harness/heartbeat-agent.js";
import { pasteableSection, readInstructions } from "./harness/heartbeat-instructions.js";
import { heartbeatSettings, pasteHeartbeatSection, runHeartbeatNow } from "./harness/heartbeat.js";
import {
  CHEAP_MODELS,
  EXPENSIVE_MODEL,
  lastAssistant,
  startHost,
  waitFor,
  waitIdle,
  type Host,
  type JsonObject,
} from "./harness/host.js";
import { installSkillPackage } from "./harness/skill-package.js";
import { hostMatrix, KINDS, tasks, userEnv, type QueuedTask } from "./helpers.js";

/**
 * Skill mode end to end, on each real host: the package installed as a workspace skill, our
 * HEARTBEAT.md section pasted where the host's heartbeat reads it, a task queued with the CLI,
 * and real heartbeat turns of the host. The model (the fake provider) does exactly what the
 * section says, through the host's real tools, reading the instructions from what the host sent
 * it (harness/heartbeat-agent.ts). So this proves the documents, the status object and the
 * tools the agent really has fit together — a command the agent cannot run, a tool it is not
 * offered, a result field the documents promise and the host does not return, all fail here.
 */
const PROMPT = "Summarise the queue-resume e2e notes into memory/e2e-notes.md";
const CHILD_ANSWER = "Wrote memory/e2e-notes.md.";
/** Where the skill lives, as HEARTBEAT.md's example writes it: relative to the workspace (the exec tool's working directory). */
const SKILL_PATH = "skills/task-manager";
const [CHEAP] = CHEAP_MODELS;
const wire = (model: string): string => model.slice(model.indexOf("/") + 1);

describe.each(hostMatrix())("skill mode: a real %s heartbeat follows HEARTBEAT.md", (kind) => {
  const section = pasteableSection(
    readFileSync(path.join(ROOT, "HEARTBEAT.md"), "utf8"),
    SKILL_PATH,
  );
  let provider: FakeProvider;
  let host: Host;
  let agent: HeartbeatAgent;
  let wrapper: string;

  beforeAll(async () => {
    agent = heartbeatAgent({ childPrompt: PROMPT, childAnswer: CHILD_ANSWER });
    provider = await startFakeProvider({ behaviour: (req, i) => agent.behaviour(req, i) });
    host = await startHost({
      kind,
      providerBaseUrl: provider.baseUrl,
      extraConfig: {
        agents: { defaults: { heartbeat: heartbeatSettings } },
        // Neither host's exec tool runs the gateway's own Node: the first `node` on its PATH is
        // the system's (Node 20 here). Point it at a Node >= 22.12, as a user would.
        tools: { exec: { pathPrepend: [path.dirname(KINDS[kind].node)] } },
      },
    });
    const skillDir = installSkillPackage(host.workspace, host.root, userEnv(host));
    wrapper = path.join(skillDir, "skill/task-manager");
    writeRelaxedRc(host.workspace, { models: [...CHEAP_MODELS] });
    await pasteHeartbeatSection(host, section);
  }, 600_000);

  afterAll(async () => {
    // Kept hosts (TASK_MANAGER_KEEP_HOST=1) keep what the model was sent, for debugging.
    if (host && process.env.TASK_MANAGER_KEEP_HOST === "1")
      writeFileSync(
        path.join(host.root, "provider-requests.json"),
        JSON.stringify(provider.requests, null, 1),
      );
    await host?.dispose();
    await provider?.close();
  });

  /** Runs one heartbeat and waits for the model to finish its task-manager section (or give up). */
  async function heartbeat(n: number): Promise<void> {
    await runHeartbeatNow(host);
    await waitFor(
      () => (agent.finishedHeartbeats() >= n || agent.problems.length > 0 ? true : undefined),
      180_000,
      `heartbeat ${n} to finish`,
    );
    expect(agent.problems, JSON.stringify(agent.rawResults, null, 1)).toEqual([]);
  }

  const task = (id: string): QueuedTask | undefined => tasks(host).find((t) => t.id === id);

  it("one heartbeat spawns the queued task on the cheap model and acks it; the next one's check settles it done", async () => {
    const added = JSON.parse(
      execFileSync(wrapper, ["add", PROMPT, "--json"], { env: userEnv(host), encoding: "utf8" }),
    ) as { task: { id: string } };
    const id = added.task.id;

    await heartbeat(1);
    const [ready] = agent.statuses as JsonObject[];
    expect(ready).toMatchObject({
      status: "READY",
      task: { id, attempt: 1 },
      recommendation: {
        prompt: PROMPT,
        model: CHEAP,
        label: `task-manager:${id}`,
        runTimeoutSeconds: 1800,
      },
    });
    expect(agent.spawnCalls).toEqual([
      { task: PROMPT, model: CHEAP, label: `task-manager:${id}`, runTimeoutSeconds: 1800 },
    ]);
    const [spawned] = agent.spawnResults as Array<{
      status: string;
      runId: string;
      childSessionKey: string;
    }>;
    expect(spawned).toMatchObject({
      status: "accepted",
      runId: expect.any(String),
      childSessionKey: expect.stringMatching(/^agent:main:subagent:/),
    });
    expect(task(id)).toMatchObject({
      state: "running",
      attempts: 1,
      run: { run_id: spawned!.runId, session_key: spawned!.childSessionKey, model: CHEAP },
    });

    // The child's own run, recorded by the host: it answered, on the cheap model.
    await waitIdle(host, spawned!.childSessionKey, 120_000);
    expect(lastAssistant(host.readTranscript(spawned!.childSessionKey))).toMatchObject({
      provider: "fake",
      model: wire(CHEAP),
      stopReason: "stop",
    });

    await heartbeat(2);
    expect(agent.statuses[1]).toMatchObject({
      status: "NO_TASKS",
      settled: [{ id, outcome: "done" }],
    });
    expect(task(id)).toMatchObject({ state: "done", attempts: 1 });

    // The commands are the ones HEARTBEAT.md prescribes, filled in with what the host returned.
    const doc = readInstructions(section);
    const ack = `${SKILL_PATH}/skill/task-manager ack ${id} --run-id ${spawned!.runId} --session-key ${spawned!.childSessionKey} --model ${CHEAP}`;
    expect(doc.check).toBe(`${SKILL_PATH}/skill/task-manager check`);
    expect(agent.commands).toEqual([doc.check, ack, doc.check]);

    // Heartbeat turns ran on the main model; the task's run only on the cheap one, never the expensive default.
    const models = (kind: TurnKind): string[] =>
      agent.turns.filter((t) => t.kind === kind).map((t) => t.model);
    expect(new Set(models("heartbeat"))).toEqual(new Set([wire(EXPENSIVE_MODEL)]));
    expect(models("child")).toEqual([wire(CHEAP)]);
  }, 600_000);
});
