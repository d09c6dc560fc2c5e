import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentOfSessionKey, gatewayRoster } from "../../src/host/roster.js";
import { ROOT } from "../helpers/cli.js";

/**
 * The roster and each agent's workspace, compared with the installed hosts' own resolvers
 * (OpenClaw 2026.9.6 `agent-scope-config`, Clawdbot 2026.1.24-3 `agents/agent-scope.js`), over
 * hand-picked and generated configs. Skipped for a host that is not installed.
 */
const OC_DIST = path.join(ROOT, ".cache/openclaw-host/node_modules/openclaw/dist");
const CB_SCOPE = path.join(
  ROOT,
  ".cache/clawdbot-host/node_modules/clawdbot/dist/agents/agent-scope.js",
);

interface HostResolver {
  ids(cfg: unknown): string[];
  workspace(cfg: unknown, id: string, env: NodeJS.ProcessEnv): string;
}

/** OpenClaw's bundle names its chunks by hash and its exports by letter: found by their source. */
async function openclawResolver(): Promise<HostResolver | null> {
  if (!existsSync(OC_DIST)) return null;
  const file = readdirSync(OC_DIST).find(
    (f) =>
      f.startsWith("agent-scope-config-") &&
      readFileSync(path.join(OC_DIST, f), "utf8").includes("function resolveAgentWorkspaceDir("),
  );
  if (!file) return null;
  const source = readFileSync(path.join(OC_DIST, file), "utf8");
  const alias = (name: string): string => new RegExp(`\\b${name} as (\\w+)`).exec(source)![1]!;
  const m = (await import(path.join(OC_DIST, file))) as Record<string, (...a: unknown[]) => never>;
  return {
    ids: (cfg) => m[alias("listAgentIds")]!(cfg),
    workspace: (cfg, id, env) => m[alias("resolveAgentWorkspaceDir")]!(cfg, id, env),
  };
}

async function clawdbotResolver(): Promise<HostResolver | null> {
  if (!existsSync(CB_SCOPE)) return null;
  const m = (await import(CB_SCOPE)) as Record<string, (...a: unknown[]) => never>;
  return {
    ids: (cfg) => m.listAgentIds!(cfg),
    workspace: (cfg, id) => m.resolveAgentWorkspaceDir!(cfg, id),
  };
}

const oc = await openclawResolver();
const cb = await clawdbotResolver();
const stateDir = path.join(os.tmpdir(), "tm-roster-state");
const env = { HOME: os.homedir(), OPENCLAW_STATE_DIR: stateDir };

const agentId = fc.constantFrom("main", "research", "ops", "client-a", "Writer_2");
const entry = fc.record(
  {
    workspace: fc.constantFrom("~/ws-x", "/srv/agents/y", "relative/z"),
    default: fc.boolean(),
  },
  { requiredKeys: [] },
);
const defaults = fc.record(
  { workspace: fc.constantFrom("~/base", "/opt/workspaces") },
  { requiredKeys: [] },
);

function compare(kind: "openclaw" | "clawdbot", host: HostResolver, cfg: Record<string, unknown>) {
  const ours = gatewayRoster(kind, cfg, stateDir, env);
  expect(ours.map((a) => a.id)).toEqual(host.ids(cfg));
  for (const a of ours) expect(a.workspace, `${kind} ${a.id}`).toBe(host.workspace(cfg, a.id, env));
}

describe("the gateway's agents and their workspaces, as each host resolves them", () => {
  it.skipIf(!oc)("OpenClaw: agents.entries (keyed), the legacy agents.list, none (main)", () => {
    const table: Array<Record<string, unknown>> = [
      {},
      { agents: { defaults: { workspace: "/ws" } } },
      { agents: { entries: { main: {}, research: { workspace: "~/research" } } } },
      { agents: { entries: { main: { default: true }, ops: {} }, defaults: { workspace: "/w" } } },
      { agents: { entries: { solo: {} }, defaults: { workspace: "/w" } } },
      { agents: { list: [{ id: "main" }, { id: "Writer" }] } },
      { agents: { entries: { a: {}, b: {} }, list: [{ id: "ignored" }] } },
    ];
    for (const cfg of table) compare("openclaw", oc!, cfg);
  });

  it.skipIf(!oc)("OpenClaw: generated rosters", () => {
    fc.assert(
      fc.property(
        fc.dictionary(agentId, entry, { maxKeys: 4 }),
        fc.option(defaults, { nil: undefined }),
        fc.boolean(),
        (entries, d, asList) => {
          const agents: Record<string, unknown> = asList
            ? { list: Object.entries(entries).map(([id, e]) => ({ id, ...e })) }
            : { entries };
          if (d) agents.defaults = d;
          compare("openclaw", oc!, { agents });
        },
      ),
      { numRuns: 200 },
    );
  });

  it.skipIf(!cb)("Clawdbot: agents.list (default: true, else the first), none (main)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(agentId, entry), { maxLength: 4 }),
        fc.option(defaults, { nil: undefined }),
        (list, d) => {
          const agents: Record<string, unknown> = {
            list: list.map(([id, e]) => ({ id, ...e })),
          };
          if (d) agents.defaults = d;
          compare("clawdbot", cb!, { agents });
        },
      ),
      { numRuns: 200 },
    );
    compare("clawdbot", cb!, {});
  });

  it("a session key names its agent; other keys name none", () => {
    expect(agentOfSessionKey("agent:research:subagent:task-manager-x-1")).toBe("research");
    expect(agentOfSessionKey("agent:Main:main")).toBe("main");
    expect(agentOfSessionKey("global")).toBeNull();
    expect(agentOfSessionKey(undefined)).toBeNull();
  });
});
