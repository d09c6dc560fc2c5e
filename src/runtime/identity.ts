import os from "node:os";
import type { HostLocation } from "../host/locate.js";

/** Who this gateway (or CLI host) is to a store several gateways share. */
export interface GatewayIdentity {
  /** Stable: the same machine and host state folder give the same id, run after run. */
  id: string;
  /** For people: the machine and the state folder (or workspace) it serves. */
  label: string;
}

const IDENTITY = /^[A-Za-z0-9._:@-]{1,120}$/;

/**
 * The identity of the host this process serves: `TASK_MANAGER_GATEWAY_ID` when set (an
 * operator naming it), else the machine's name and a digest of the host's state folder — or of
 * the workspace when no host state was found. The CLI and the plugin of one gateway therefore
 * share it (they see the same sessions), and two gateways on one machine do not.
 */
export function gatewayIdentity(
  location: HostLocation,
  workspace: string,
  env: NodeJS.ProcessEnv,
): GatewayIdentity {
  const host = os.hostname() || "localhost";
  const folder = location.kind !== null ? location.stateDir : workspace;
  const named = env.TASK_MANAGER_GATEWAY_ID;
  if (named !== undefined && IDENTITY.test(named))
    return { id: named, label: `${named} (${host} ${folder})` };
  // Fetched here: only a shared store asks, and the file-store heartbeat check stays lean.
  const { createHash } = process.getBuiltinModule("node:crypto");
  const digest = createHash("sha256").update(folder).digest("hex").slice(0, 10);
  const id = `${host.replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 60)}:${digest}`;
  return { id, label: `${host} ${folder}` };
}
