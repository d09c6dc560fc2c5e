import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatewayAgents } from "../../src/plugin/agents.js";
import type { PluginApi } from "../../src/plugin/host-api.js";
import { cliJson, tempDir } from "../helpers/cli.js";

/**
 * Issue 19: the plugin serves every agent of its gateway unless the operator names a set
 * (`agents` in plugins.entries.task-manager.config, or a legacy `agentId` alone); a named agent
 * the gateway does not have is skipped with a warning that says which agents it has, a bad
 * setting serves everyone with a warning, and `doctor` marks each agent served or not.
 */
const STATE = "/tmp/tm-agents-state";
const ROSTER = {
  agents: {
    entries: {
      main: { workspace: "/srv/ws-main" },
      research: { workspace: "/srv/ws-research" },
      ops: { workspace: "/srv/ws-ops" },
    },
  },
};

function api(pluginConfig: Record<string, unknown> | undefined): PluginApi {
  const config: Record<string, unknown> = { ...ROSTER };
  if (pluginConfig) config.plugins = { entries: { "task-manager": { config: pluginConfig } } };
  return { config, runtime: {} } as unknown as PluginApi;
}

const served = (config: Record<string, unknown> | undefined): string[] =>
  gatewayAgents(api(config), "openclaw", STATE).served.map((a) => a.id);

describe("which agents the plugin serves", () => {
  it("every agent the gateway is configured with, when the operator names none", () => {
    expect(served(undefined)).toEqual(["main", "research", "ops"]);
    expect(served({ maxConcurrent: 2 })).toEqual(["main", "research", "ops"]);
  });

  it("only the agents in `agents` (ids matched as the host normalises them), each with its main session", () => {
    const r = gatewayAgents(api({ agents: ["Research", "ops"] }), "openclaw", STATE);
    expect(r.served.map((a) => [a.id, a.workspace, a.mainKey])).toEqual([
      ["research", "/srv/ws-research", "agent:research:main"],
      ["ops", "/srv/ws-ops", "agent:ops:main"],
    ]);
    expect(r.roster.map((a) => a.id)).toEqual(["main", "research", "ops"]);
    expect(r.warnings).toEqual([]);
  });

  it("a named agent the gateway does not have is skipped, with a warning naming the ones it has", () => {
    const r = gatewayAgents(api({ agents: ["research", "nobody"] }), "openclaw", STATE);
    expect(r.served.map((a) => a.id)).toEqual(["research"]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/"nobody".*not configured on this gateway.*main, research, ops/);
  });

  it("a legacy `agentId` alone means that one agent; `agents` wins over it", () => {
    expect(served({ agentId: "ops" })).toEqual(["ops"]);
    expect(served({ agentId: "ops", agents: ["main"] })).toEqual(["main"]);
  });

  it("an invalid `agents` serves every agent and says why, naming the config path", () => {
    const r = gatewayAgents(api({ agents: [] }), "openclaw", STATE);
    expect(r.served.map((a) => a.id)).toEqual(["main", "research", "ops"]);
    expect(r.warnings.join("\n")).toMatch(/plugins\.entries\.task-manager\.config.*agents/);
  });
});

describe("doctor lists every agent and whether the plugin serves it", () => {
  let t: { dir: string; cleanup: () => void };
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it("served: true only for the agents the plugin config names", () => {
    const state = path.join(t.dir, ".openclaw");
    const ws = (id: string): string => path.join(t.dir, `ws-${id}`);
    mkdirSync(state);
    for (const id of ["main", "research"]) mkdirSync(ws(id));
    writeFileSync(
      path.join(state, "openclaw.json"),
      JSON.stringify({
        agents: {
          entries: { main: { workspace: ws("main") }, research: { workspace: ws("research") } },
        },
        plugins: { entries: { "task-manager": { config: { agents: ["research"] } } } },
      }),
    );
    const env = { HOME: t.dir, OPENCLAW_STATE_DIR: state };
    cliJson(["add", "a research task", "-w", ws("research"), "--json"], { env });
    const doctor = cliJson<{
      agents: Array<{
        id: string;
        served: boolean;
        current: boolean;
        queue?: { counts: Record<string, number> };
      }>;
    }>(["doctor", "-w", ws("main"), "--json"], { env });
    expect(doctor.body.agents.map((a) => [a.id, a.served, a.current])).toEqual([
      ["main", false, true],
      ["research", true, false],
    ]);
    expect(doctor.body.agents[1]!.queue?.counts.pending).toBe(1);
  });
});
