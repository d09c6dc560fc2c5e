import { GatewayClient, type GatewayAddress, PROTOCOL } from "./gateway-client.js";
import type { HostConfig } from "./host-config.js";
import type { HostKind } from "./locate.js";

/**
 * Skill mode's earlier heartbeat: when a quota hold ends long before the next heartbeat, the
 * host is asked for one main-session turn at that moment. Both hosts' gateways keep one-shot
 * automations (cron jobs) whose main-session system event wakes the heartbeat at once
 * (`wakeMode: "now"`), so a CLI process that exits right after can still have the turn happen
 * later — the gateway holds the timer. Seen by running each host (INTEGRATION.md, "Skill mode
 * and an earlier heartbeat"): OpenClaw 2026.9.6 `cron.add` with a `declarationKey` (one job per
 * agent, moved rather than duplicated), Clawdbot 2026.1.24 `cron.add` / `cron.update` by name.
 */
export interface HeartbeatRequest {
  kind: HostKind;
  agentId: string;
  atMs: number;
  /** The system event the turn starts with: it must say what to do (OpenClaw leaves the heartbeat's own instructions out of such a turn). */
  text: string;
}

/** Where the running gateway listens: the env it gives its children (exec), else its config. */
export function gatewayAddress(
  kind: HostKind,
  env: NodeJS.ProcessEnv,
  config: HostConfig | null,
): GatewayAddress | null {
  const prefix = kind === "openclaw" ? "OPENCLAW" : "CLAWDBOT";
  const port = Number(env[`${prefix}_GATEWAY_PORT`]) || config?.gatewayPort || 18789;
  const token = env[`${prefix}_GATEWAY_TOKEN`] || config?.gatewayToken || null;
  if (!token) return null;
  return { url: `ws://127.0.0.1:${port}`, token };
}

/** The job's name: one per agent, so a later hold moves it instead of adding another. */
export const jobName = (agentId: string): string => `task-manager: quota hold ends (${agentId})`;

/** Schedules the turn; resolves to the job's id. Throws what the gateway answered when it refuses. */
export async function requestHeartbeat(
  address: GatewayAddress,
  request: HeartbeatRequest,
  timeoutMs = 5000,
): Promise<string> {
  const client = await GatewayClient.connect(address, {
    protocol: request.kind === "openclaw" ? PROTOCOL.openclaw : PROTOCOL.clawdbot,
    timeoutMs,
  });
  try {
    const common = {
      name: jobName(request.agentId),
      agentId: request.agentId,
      sessionTarget: "main",
      wakeMode: "now",
      deleteAfterRun: true,
      payload: { kind: "systemEvent", text: request.text },
    };
    if (request.kind === "openclaw") {
      const added = await client.request<{ id?: string; job?: { id?: string } }>(
        "cron.add",
        {
          ...common,
          declarationKey: `task-manager:hold-end:${request.agentId}`,
          schedule: { kind: "at", at: new Date(request.atMs).toISOString() },
        },
        { timeoutMs },
      );
      return String(added.job?.id ?? added.id ?? "");
    }
    const schedule = { kind: "at", atMs: Math.round(request.atMs) };
    const { jobs } = await client.request<{ jobs?: Array<{ id: string; name?: string }> }>(
      "cron.list",
      { includeDisabled: true },
      { timeoutMs },
    );
    const known = (jobs ?? []).find((j) => j.name === common.name);
    if (known) {
      await client.request(
        "cron.update",
        { id: known.id, patch: { schedule, enabled: true, payload: common.payload } },
        { timeoutMs },
      );
      return known.id;
    }
    const added = await client.request<{ id?: string }>(
      "cron.add",
      { ...common, schedule },
      { timeoutMs },
    );
    return String(added.id ?? "");
  } finally {
    client.close();
  }
}
