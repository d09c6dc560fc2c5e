import os from "node:os";
import path from "node:path";
import { get, isObject } from "../base/json.js";
import { expandHome } from "./host-config.js";
import type { HostKind } from "./locate.js";

/**
 * The agents a gateway is configured with, and where each keeps its workspace, resolved the way
 * each host resolves them (OpenClaw 2026.9.6 `agent-scope-config`, Clawdbot 2026.1.24
 * `agents/agent-scope.js`; INTEGRATION.md, "Every agent of the gateway"). Each workspace is its
 * own queue and `.taskmanagerrc`.
 */
export interface RosterAgent {
  id: string;
  workspace: string;
  /** The agent's own `heartbeat.every`, else the defaults' (null: the host default). */
  heartbeatEvery: string | null;
}

/** The implicit agent of a gateway without a roster. */
export const DEFAULT_AGENT_ID = "main";

const VALID_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** The hosts' agent-id normalisation: lower case; other characters become "-"; none left → main. */
export function normalizeAgentId(value: unknown): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  const lower = trimmed.toLowerCase();
  if (VALID_ID.test(trimmed)) return lower;
  const cleaned = lower
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+/, "")
    .replace(/-+$/, "")
    .slice(0, 64);
  return cleaned || DEFAULT_AGENT_ID;
}

interface Entry {
  id: string;
  raw: Record<string, unknown>;
}

/** OpenClaw reads `agents.entries` (keyed by id), else the legacy `agents.list`; Clawdbot only the list. */
function entries(kind: HostKind, raw: Record<string, unknown>): Entry[] | null {
  const agents = raw.agents;
  if (!isObject(agents)) return null;
  if (kind === "openclaw" && Object.hasOwn(agents, "entries") && agents.entries !== undefined) {
    if (!isObject(agents.entries)) return [];
    return Object.entries(agents.entries)
      .filter(([, v]) => isObject(v))
      .map(([id, v]) => ({ id, raw: v as Record<string, unknown> }));
  }
  if (!Object.hasOwn(agents, "list") || agents.list === undefined) return null;
  if (!Array.isArray(agents.list)) return [];
  return agents.list
    .filter((v): v is Record<string, unknown> => isObject(v))
    .map((v) => ({ id: String(v.id ?? ""), raw: v }));
}

/**
 * The agent that inherits `agents.defaults.workspace` itself. OpenClaw: the one marked
 * `default: true` (unless `agents.ownership` is "explicit"), else the sole agent; with several
 * and no marker, none does. Clawdbot: the one marked default, else the first.
 */
function workspaceOwner(
  kind: HostKind,
  raw: Record<string, unknown>,
  list: Entry[],
): string | null {
  const marked = list.filter((e) => e.raw.default === true);
  if (kind === "clawdbot") return normalizeAgentId((marked[0] ?? list[0])?.id ?? DEFAULT_AGENT_ID);
  if (get(raw, ["agents", "ownership"]) !== "explicit" && marked.length === 1)
    return normalizeAgentId(marked[0]!.id);
  return list.length === 1 ? normalizeAgentId(list[0]!.id) : null;
}

const text = (v: unknown): string | null =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : null;

const userPath = (p: string, env: NodeJS.ProcessEnv): string => path.resolve(expandHome(p, env));

function workspaceOf(
  kind: HostKind,
  id: string,
  entry: Record<string, unknown> | null,
  owner: string | null,
  raw: Record<string, unknown>,
  stateDir: string,
  env: NodeJS.ProcessEnv,
): string {
  const configured = text(entry?.workspace);
  if (configured) return userPath(configured, env);
  const fallback = text(get(raw, ["agents", "defaults", "workspace"]));
  const home = env.HOME || os.homedir();
  if (kind === "clawdbot") {
    if (id === owner) return fallback ? userPath(fallback, env) : path.join(home, "clawd");
    return path.join(home, `clawd-${id}`);
  }
  if (id === owner) {
    if (fallback) return userPath(fallback, env);
    if (text(env.OPENCLAW_WORKSPACE_DIR)) return path.resolve(env.OPENCLAW_WORKSPACE_DIR!.trim());
    return path.join(stateDir, "workspace");
  }
  if (fallback) return path.join(userPath(fallback, env), id);
  return path.join(stateDir, `workspace-${id}`);
}

/**
 * Every agent the host config names, in its order, each with its workspace; a config without a
 * roster has the one agent "main". An id named twice counts once (the first wins), as the hosts
 * do.
 */
export function gatewayRoster(
  kind: HostKind,
  raw: Record<string, unknown> | null,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): RosterAgent[] {
  const config = raw ?? {};
  const list = entries(kind, config);
  const defaultsEvery = text(get(config, ["agents", "defaults", "heartbeat", "every"]));
  if (list === null || (kind === "clawdbot" && list.length === 0)) {
    return [
      {
        id: DEFAULT_AGENT_ID,
        workspace: workspaceOf(
          kind,
          DEFAULT_AGENT_ID,
          null,
          DEFAULT_AGENT_ID,
          config,
          stateDir,
          env,
        ),
        heartbeatEvery: defaultsEvery,
      },
    ];
  }
  const owner = workspaceOwner(kind, config, list);
  const seen = new Set<string>();
  const agents: RosterAgent[] = [];
  for (const entry of list) {
    const id = normalizeAgentId(entry.id);
    if (seen.has(id)) continue;
    seen.add(id);
    agents.push({
      id,
      workspace: workspaceOf(kind, id, entry.raw, owner, config, stateDir, env),
      heartbeatEvery: text(get(entry.raw, ["heartbeat", "every"])) ?? defaultsEvery,
    });
  }
  return agents;
}

/** The agent a session key belongs to (`agent:<id>:…`), or null for another kind of key. */
export function agentOfSessionKey(key: string | undefined): string | null {
  const m = /^agent:([^:]+):/.exec(key ?? "");
  return m ? normalizeAgentId(m[1]) : null;
}
