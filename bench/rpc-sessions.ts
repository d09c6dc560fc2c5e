/**
 * The alternative to reading OpenClaw's SQLite, for the bench: a fresh process that connects to
 * the gateway (protocol 4, token from TM_BENCH_TOKEN) and asks `sessions.list`, as a skill-mode
 * check would have to on every heartbeat. Prints the session count.
 */
import { GatewayClient, PROTOCOL } from "../src/host/gateway-client.js";

const url = process.argv[2] ?? "";
const client = await GatewayClient.connect(
  { url, token: process.env.TM_BENCH_TOKEN ?? null },
  { protocol: PROTOCOL.openclaw, timeoutMs: 30_000 },
);
const listed = await client.request<{ count?: number; sessions?: unknown[] }>(
  "sessions.list",
  {},
  { timeoutMs: 30_000 },
);
client.close();
process.stdout.write(String(listed.count ?? listed.sessions?.length ?? 0));
