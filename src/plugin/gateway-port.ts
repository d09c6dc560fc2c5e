import { interpretHostConfig } from "../host/host-config.js";

/** The gateway's port, as the running gateway exports it to its own env, else its config, else the hosts' default. */
export function gatewayPort(
  kind: "openclaw" | "clawdbot",
  config: Record<string, unknown>,
): number {
  const fromEnv = Number(
    process.env[kind === "openclaw" ? "OPENCLAW_GATEWAY_PORT" : "CLAWDBOT_GATEWAY_PORT"],
  );
  return fromEnv || interpretHostConfig(config, "(gateway config)").gatewayPort || 18789;
}
