/**
 * Runs a real, private Clawdbot gateway for end-to-end tests.
 *
 * Every host gets its own temp HOME (state dir, config, workspace, logs), a free loopback port,
 * a random token and the fake model provider. See test/e2e/HOST-NOTES.md for the facts this
 * relies on (config format, env switches, respawn behaviour).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GatewayClient, type GatewayEvent } from "../../../src/host/gateway-client.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const HOST_DIR = join(repoRoot, ".cache/clawdbot-host");
export const HOST_ENTRY = join(HOST_DIR, "node_modules/clawdbot/dist/entry.js");

export const EXPENSIVE_MODEL = "fake/expensive-large";
export const CHEAP_MODELS = ["fake/cheap-flash", "fake/cheap-mini"] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface HostOptions {
  /** The fake provider's base URL (http://127.0.0.1:PORT/v1). */
  providerBaseUrl: string;
  /** Folders for plugins.load.paths. */
  pluginPaths?: string[];
  /** plugins.entries.<id> (e.g. {enabled:true, config:{…}}). */
  pluginEntries?: Record<string, JsonObject>;
  /** agents.defaults.heartbeat.every, e.g. "30m" or "0m" (disabled). Default: host default. */
  heartbeatEvery?: string;
  /**
   * The embedded agent's own settings ($STATE/agents/main/agent/settings.json). Its auto-retry
   * keeps a failed run going for ~14 s after agent.wait says "ok"; {retry:{enabled:false}} or
   * {retry:{baseDelayMs:50}} makes failure tests fast. See HOST-NOTES.md.
   */
  agentSettings?: JsonObject;
  /** Deep-merged into the config file last. */
  extraConfig?: JsonObject;
  /** Extra environment for the gateway and CLI calls. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SessionEntry {
  sessionId: string;
  updatedAt?: number;
  [key: string]: unknown;
}

export interface Host {
  root: string;
  home: string;
  stateDir: string;
  configPath: string;
  workspace: string;
  sessionsDir: string;
  sessionsStore: string;
  /** The gateway's stdout+stderr, appended across restarts. */
  gatewayLog: string;
  /** The host's own JSON-lines log (logging.file). */
  hostLog: string;
  port: number;
  token: string;
  env: NodeJS.ProcessEnv;
  /** Calls a gateway method over the WebSocket protocol (fast: no process spawn). */
  call<T = unknown>(method: string, params?: unknown, opts?: { expectFinal?: boolean }): Promise<T>;
  /** Calls a gateway method through `clawdbot gateway call` (what a shell script would do). */
  callCli<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Runs any clawdbot CLI command against this host. */
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** Events pushed to the harness's WebSocket client since the current gateway start. */
  events(): GatewayEvent[];
  readConfig(): JsonObject;
  readSessionStore(): Record<string, SessionEntry>;
  /** The transcript lines of a session key (parsed JSON), [] if none yet. */
  readTranscript(sessionKey: string): JsonObject[];
  transcriptPath(sessionKey: string): string | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
  /** stop() (or nothing if already stopped) then start again on the same port/state. */
  restart(): Promise<void>;
  /** Stops the gateway and deletes the temp dir (keeps it if TASK_MANAGER_KEEP_HOST=1). */
  dispose(): Promise<void>;
}

/** Every gateway still running, so a crashed test run cannot leak processes. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

export async function startHost(opts: HostOptions): Promise<Host> {
  const root = mkdtempSync(join(tmpdir(), "tm-host-"));
  const stateDir = join(root, ".clawdbot");
  const workspace = join(root, "workspace");
  const configPath = join(stateDir, "clawdbot.json");
  const sessionsDir = join(stateDir, "agents/main/sessions");
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = hostEnv(root, stateDir, configPath, token, opts.env);
  const gatewayLog = join(root, "gateway.log");
  const hostLog = join(root, "logs/clawdbot.jsonl");

  const cli = (args: string[], timeoutMs = 60_000): Promise<CliResult> => runCli(env, args, timeoutMs);
  const setup = await cli(["setup", "--workspace", workspace]);
  if (setup.code !== 0) throw new Error(`clawdbot setup failed:\n${setup.stderr}${setup.stdout}`);
  writeConfig(configPath, buildConfig(readJsonObject(configPath), opts, port, token, hostLog));
  if (opts.agentSettings) {
    await mkdir(join(stateDir, "agents/main/agent"), { recursive: true });
    writeConfig(join(stateDir, "agents/main/agent/settings.json"), opts.agentSettings);
  }

  let child: ChildProcess | undefined;
  let client: GatewayClient | undefined;
  let events: GatewayEvent[] = [];

  async function start(): Promise<void> {
    child = spawnGateway(env, root, port, token, gatewayLog);
    await waitForListening(child, gatewayLog, opts.readyTimeoutMs ?? 120_000);
    events = [];
    // The package's own client: every e2e test exercises the code the plugin ships.
    client = await GatewayClient.connect({ url: `ws://127.0.0.1:${port}`, token }, { onEvent: (e) => events.push(e) });
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    client?.close();
    client = undefined;
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    const timer = setTimeout(() => killGroup(proc, "SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
    // Orphaned helpers (if any) die with the group.
    killGroup(proc, "SIGKILL");
  }

  // Entries written by chat.send carry `sessionFile`; those written by `agent`/sessions.patch
  // only `sessionId`, and the transcript is then <sessionsDir>/<sessionId>.jsonl.
  const transcriptPath = (sessionKey: string): string | undefined => {
    const entry = readStore(join(sessionsDir, "sessions.json"))[sessionKey];
    if (!entry) return undefined;
    return typeof entry.sessionFile === "string" ? entry.sessionFile : join(sessionsDir, `${entry.sessionId}.jsonl`);
  };

  const host: Host = {
    root,
    home: root,
    stateDir,
    configPath,
    workspace,
    sessionsDir,
    sessionsStore: join(sessionsDir, "sessions.json"),
    gatewayLog,
    hostLog,
    port,
    token,
    env,
    call: (method, params, callOpts) => {
      if (!client) return Promise.reject(new Error("gateway is not running"));
      return client.request(method, params, { timeoutMs: 120_000, ...callOpts });
    },
    callCli: async <T>(method: string, params: unknown = {}): Promise<T> => {
      const res = await cli(["gateway", "call", method, "--params", JSON.stringify(params), "--json"]);
      if (res.code !== 0) throw new Error(`gateway call ${method} failed (${res.code}):\n${res.stderr}${res.stdout}`);
      return JSON.parse(res.stdout) as T;
    },
    cli,
    events: () => events,
    readConfig: () => readJsonObject(configPath),
    readSessionStore: () => readStore(join(sessionsDir, "sessions.json")),
    transcriptPath,
    readTranscript: (sessionKey) => {
      const file = transcriptPath(sessionKey);
      if (!file || !existsSync(file)) return [];
      return readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as JsonObject);
    },
    stop: () => halt("SIGTERM"),
    kill: () => halt("SIGKILL"),
    restart: async () => {
      await halt("SIGTERM");
      await start();
    },
    dispose: async () => {
      await halt("SIGTERM");
      if (process.env.TASK_MANAGER_KEEP_HOST !== "1") await rm(root, { recursive: true, force: true });
    },
  };

  try {
    await start();
  } catch (err) {
    await host.kill();
    throw new Error(`${(err as Error).message}\n--- gateway log (${gatewayLog}) ---\n${tail(gatewayLog)}`);
  }
  return host;
}

/**
 * The environment of a private host. Test-runner variables are removed on purpose: with VITEST
 * or NODE_ENV=test set, the host changes behaviour (no gateway lock, polling config watcher, no
 * restart sentinel…), and we want the production paths. Network extras are switched off instead.
 */
function hostEnv(root: string, stateDir: string, configPath: string, token: string, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("VITEST") || k === "NODE_ENV" || k === "NODE_OPTIONS" || k.startsWith("CLAWDBOT_")) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: root,
    CLAWDBOT_STATE_DIR: stateDir,
    CLAWDBOT_CONFIG_PATH: configPath,
    CLAWDBOT_GATEWAY_TOKEN: token,
    // entry.js otherwise re-spawns itself to add a node flag; then our pid would be a wrapper
    // and SIGKILL would orphan the real gateway.
    CLAWDBOT_NO_RESPAWN: "1",
    NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
    CLAWDBOT_DISABLE_BONJOUR: "1",
    CLAWDBOT_SKIP_CHANNELS: "1",
    CLAWDBOT_SKIP_CANVAS_HOST: "1",
    CLAWDBOT_SKIP_BROWSER_CONTROL_SERVER: "1",
    CLAWDBOT_SKIP_GMAIL_WATCHER: "1",
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    ...extra,
  };
}

/** The config we write over what `clawdbot setup` produced (plain JSON; the host parses JSON5). */
function buildConfig(base: JsonObject, opts: HostOptions, port: number, token: string, hostLog: string): JsonObject {
  const cost = (input: number, output: number): JsonObject => ({ input, output, cacheRead: 0, cacheWrite: 0 });
  const model = (id: string, name: string, c: JsonObject): JsonObject => ({
    id,
    name,
    cost: c,
    contextWindow: 128_000,
    maxTokens: 4096,
    input: ["text"],
  });
  const ours: JsonObject = {
    gateway: { mode: "local", port, bind: "loopback", auth: { mode: "token", token } },
    logging: { file: hostLog, level: "debug" },
    models: {
      mode: "merge",
      providers: {
        fake: {
          baseUrl: opts.providerBaseUrl,
          apiKey: "fake-key",
          api: "openai-completions",
          models: [
            model("expensive-large", "Expensive Large", cost(15, 75)),
            model("cheap-flash", "Cheap Flash", cost(0.1, 0.4)),
            model("cheap-mini", "Cheap Mini", cost(0.15, 0.6)),
          ],
        },
      },
    },
    agents: {
      defaults: {
        model: { primary: EXPENSIVE_MODEL },
        ...(opts.heartbeatEvery ? { heartbeat: { every: opts.heartbeatEvery } } : {}),
      },
    },
  };
  if (opts.pluginPaths || opts.pluginEntries) {
    ours.plugins = {
      ...(opts.pluginPaths ? { load: { paths: opts.pluginPaths } } : {}),
      ...(opts.pluginEntries ? { entries: opts.pluginEntries } : {}),
    };
  }
  return deepMerge(deepMerge(base, ours), opts.extraConfig ?? {});
}

export function deepMerge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function writeConfig(path: string, config: JsonObject): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

function readJsonObject(path: string): JsonObject {
  return JSON.parse(readFileSync(path, "utf8")) as JsonObject;
}

function readStore(path: string): Record<string, SessionEntry> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, SessionEntry>) : {};
}

function runCli(env: NodeJS.ProcessEnv, args: string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [HOST_ENTRY, ...args], { env, cwd: env.HOME, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

function spawnGateway(env: NodeJS.ProcessEnv, cwd: string, port: number, token: string, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const args = [HOST_ENTRY, "gateway", "--port", String(port), "--bind", "loopback", "--token", token];
  // detached: own process group, so killGroup() also reaches anything the gateway spawned.
  // cwd matters: transcripts of sessions the gateway creates outside an agent turn record it.
  const child = spawn(process.execPath, args, { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  live.add(child);
  child.once("exit", () => {
    live.delete(child);
    log.end();
  });
  return child;
}

function waitForListening(child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let seen = "";
    const timer = setTimeout(() => done(new Error(`gateway not listening after ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen = (seen + chunk.toString("utf8")).slice(-4096);
      if (/listening on ws:\/\//.test(seen)) done();
    };
    const onExit = (code: number | null): void => done(new Error(`gateway exited (code ${code}) before listening; log: ${logFile}`));
    function done(err?: Error): void {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolveReady();
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function tail(file: string, lines = 60): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
}

/** Waits until `check` returns a value (not undefined), polling; for store/transcript writes. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SpawnOptions {
  /** The <id> of agent:main:subagent:<id>. */
  id: string;
  model: string;
  message: string;
  label?: string;
  /** Defaults to `${id}:${Date.now()}`; the gateway uses it as the runId. */
  idempotencyKey?: string;
}

export interface Spawned {
  sessionKey: string;
  runId: string;
  /** What `agent` answered: {runId, status:"accepted", acceptedAt}. */
  accepted: JsonObject;
}

/** Starts a sub-agent run from outside a model turn, the way the plugin does: patch, then agent. */
export async function spawnSubagent(host: Host, opts: SpawnOptions): Promise<Spawned> {
  const sessionKey = `agent:main:subagent:${opts.id}`;
  await host.call("sessions.patch", { key: sessionKey, model: opts.model });
  const accepted = await host.call<JsonObject>("agent", {
    message: opts.message,
    sessionKey,
    lane: "subagent",
    deliver: false,
    idempotencyKey: opts.idempotencyKey ?? `${opts.id}:${Date.now()}`,
    ...(opts.label ? { label: opts.label } : {}),
  });
  return { sessionKey, runId: String(accepted.runId), accepted };
}

/**
 * Waits until a session's run has really finished: its transcript write lock
 * (<sessionId>.jsonl.lock) is gone. agent.wait is not enough — it resolves at the end of the
 * first attempt, while the embedded agent may still be auto-retrying a 429/500 (HOST-NOTES §B).
 * Call it after agent.wait: right after `agent` is accepted the lock may not exist yet.
 */
export async function waitIdle(host: Host, sessionKey: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(() => {
    const entry = host.readSessionStore()[sessionKey];
    if (!entry) return undefined;
    return existsSync(join(host.sessionsDir, `${entry.sessionId}.jsonl.lock`)) ? undefined : true;
  }, timeoutMs, `session ${sessionKey} to go idle`);
}

export interface TranscriptMessage {
  role: string;
  content: Json;
  stopReason?: string;
  errorMessage?: string;
  provider?: string;
  model?: string;
}

/** The `message` payloads of a transcript's `{"type":"message"}` lines, in order. */
export function transcriptMessages(lines: JsonObject[]): TranscriptMessage[] {
  return lines
    .filter((line) => line.type === "message" && isObject(line.message))
    .map((line) => line.message as unknown as TranscriptMessage);
}

export function lastAssistant(lines: JsonObject[]): TranscriptMessage | undefined {
  return transcriptMessages(lines).findLast((m) => m.role === "assistant");
}

/** Creates a folder for a test plugin (manifest + package.json + index.js). */
export async function writeTestPlugin(dir: string, id: string, indexJs: string, configSchema: JsonObject = { type: "object", additionalProperties: true }): Promise<string> {
  await mkdir(dir, { recursive: true });
  writeFileSync(join(dir, "clawdbot.plugin.json"), JSON.stringify({ id, name: id, configSchema }, null, 2));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: id, version: "0.0.0", type: "module", clawdbot: { extensions: ["./index.js"] } }, null, 2));
  writeFileSync(join(dir, "index.js"), indexJs);
  return dir;
}
