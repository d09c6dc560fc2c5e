/**
 * Runs a real, private gateway — OpenClaw or Clawdbot — for end-to-end tests.
 *
 * Every host gets its own temp HOME (state dir, config, workspace, logs), a free loopback port,
 * a random token and the fake model provider. Readiness is decided by connecting (a WebSocket
 * `connect` that succeeds), never by a log line, with generous limits: a gateway takes tens of
 * seconds to start, more on a loaded machine. A host that fails to start is killed and removed.
 * See test/e2e/HOST-NOTES.md and INTEGRATION.md ("Host facts") for what this relies on.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "../../../lib/private-host.js";
import { GatewayClient, type GatewayEvent } from "../../../src/host/gateway-client.js";
import { forgetHome, killByHome, killGroup, track } from "./cleanup.js";
import { KINDS, type HostKind, type KindSpec } from "./kinds.js";
import { recordsFor, type Json, type JsonObject, type SessionEntry } from "./records.js";
import { clearDeadSessionStoreLocks } from "./stale-locks.js";

export type { Json, JsonObject, SessionEntry } from "./records.js";
export type { HostKind } from "./kinds.js";

export const EXPENSIVE_MODEL = "fake/expensive-large";
export const CHEAP_MODELS = ["fake/cheap-flash", "fake/cheap-mini"] as const;

export interface HostOptions {
  kind?: HostKind;
  /** The fake provider's base URL (http://127.0.0.1:PORT/v1). */
  providerBaseUrl: string;
  /** Folders for plugins.load.paths. */
  pluginPaths?: string[];
  /** plugins.entries.<id> (e.g. {enabled:true, config:{…}}). */
  pluginEntries?: Record<string, JsonObject>;
  /** agents.defaults.heartbeat.every, e.g. "30m" or "0m" (disabled). Default: "0m" — no surprise model turns. */
  heartbeatEvery?: string;
  /**
   * The embedded agent's own settings ($STATE/agents/main/agent/settings.json), e.g. the
   * in-run retry back-off: failure tests then take a second, not minutes. See HOST-NOTES.md.
   */
  agentSettings?: JsonObject;
  /** Deep-merged into the config file last. */
  extraConfig?: JsonObject;
  /** Extra environment for the gateway and CLI calls. */
  env?: Record<string, string>;
  /**
   * Runs after the host's setup, before its gateway first starts: make folders and files under
   * the host's HOME; what it returns is deep-merged into the config as well (e.g. more agents).
   */
  prepare?(host: {
    root: string;
    home: string;
    workspace: string;
    stateDir: string;
  }): JsonObject | undefined;
  readyTimeoutMs?: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Host {
  kind: HostKind;
  spec: KindSpec;
  root: string;
  home: string;
  stateDir: string;
  configPath: string;
  workspace: string;
  /** The gateway's stdout+stderr, appended across restarts. */
  gatewayLog: string;
  /** The host's own JSON-lines log (logging.file). */
  hostLog: string;
  port: number;
  token: string;
  env: NodeJS.ProcessEnv;
  /** Calls a gateway method over the WebSocket protocol (fast: no process spawn). */
  call<T = unknown>(method: string, params?: unknown, opts?: { expectFinal?: boolean }): Promise<T>;
  /** Calls a gateway method through the host's `gateway call` CLI (what a shell script would do). */
  callCli<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Runs any host CLI command against this host. */
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** Events pushed to the harness's WebSocket client since the current gateway start. */
  events(): GatewayEvent[];
  readConfig(): JsonObject;
  writeConfig(config: JsonObject): void;
  /** One agent's sessions (default "main"). */
  readSessionStore(agentId?: string): Record<string, SessionEntry>;
  /** The transcript lines of a session key (parsed JSON), [] if none yet. */
  readTranscript(sessionKey: string): JsonObject[];
  /** Clawdbot only: the session's transcript file. */
  transcriptPath(sessionKey: string): string | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
  /** stop() (or nothing if already stopped) then start again on the same port/state. */
  restart(): Promise<void>;
  /** start again after kill()/stop(). */
  start(): Promise<void>;
  /** Stops the gateway and deletes the temp dir (keeps it if TASK_MANAGER_KEEP_HOST=1). */
  dispose(): Promise<void>;
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const spec = KINDS[opts.kind ?? "clawdbot"];
  const root = mkdtempSync(join(tmpdir(), `tm-host-${spec.kind}-`));
  const stateDir = join(root, spec.stateDirName);
  const workspace = join(root, "workspace");
  const configPath = join(stateDir, spec.configName);
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = hostEnv(spec, root, stateDir, configPath, token, opts.env);
  const gatewayLog = join(root, "gateway.log");
  const hostLog = join(root, "logs", `${spec.kind}.jsonl`);
  const records = recordsFor(spec.kind, stateDir);

  const cli = (args: string[], timeoutMs = 120_000): Promise<CliResult> =>
    runCli(spec, env, args, timeoutMs);
  let child: ChildProcess | undefined;
  let client: GatewayClient | undefined;
  let events: GatewayEvent[] = [];

  async function start(): Promise<void> {
    clearDeadSessionStoreLocks(stateDir);
    child = spawnGateway(spec, env, root, port, token, gatewayLog);
    client = await connectWhenReady(
      spec,
      child,
      port,
      token,
      gatewayLog,
      opts.readyTimeoutMs ?? 300_000,
      (e) => events.push(e),
    );
    events = [];
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    client?.close();
    client = undefined;
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill(signal);
      // OpenClaw drains running work on SIGTERM (tens of seconds); don't wait forever.
      const timer = setTimeout(() => killGroup(proc.pid), 45_000);
      await exited;
      clearTimeout(timer);
      // Orphaned helpers (if any) die with the group.
      killGroup(proc.pid);
    }
    // Helpers the gateway detached into groups of their own (OpenClaw's spawn broker).
    killByHome(root);
  }

  const host: Host = {
    kind: spec.kind,
    spec,
    root,
    home: root,
    stateDir,
    configPath,
    workspace,
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
      const res = await cli([
        "gateway",
        "call",
        method,
        "--params",
        JSON.stringify(params),
        "--json",
      ]);
      if (res.code !== 0)
        throw new Error(`gateway call ${method} failed (${res.code}):\n${res.stderr}${res.stdout}`);
      return JSON.parse(res.stdout) as T;
    },
    cli,
    events: () => events,
    readConfig: () => readJsonObject(configPath),
    writeConfig: (config) => writeJson(configPath, config),
    readSessionStore: (agentId) =>
      agentId && agentId !== "main"
        ? recordsFor(spec.kind, stateDir, agentId).sessions()
        : records.sessions(),
    transcriptPath: (key) => records.transcriptPath(key),
    readTranscript: (key) => records.transcript(key),
    stop: () => halt("SIGTERM"),
    kill: () => halt("SIGKILL"),
    restart: async () => {
      await halt("SIGTERM");
      await start();
    },
    start,
    dispose: async () => {
      await halt("SIGTERM");
      forgetHome(root);
      if (process.env.TASK_MANAGER_KEEP_HOST !== "1")
        await rm(root, { recursive: true, force: true });
    },
  };

  try {
    const setup = await cli(spec.setupArgs(workspace));
    if (setup.code !== 0)
      throw new Error(`${spec.kind} setup failed:\n${setup.stderr}${setup.stdout}`);
    const prepared = opts.prepare?.({ root, home: root, workspace, stateDir }) ?? {};
    writeJson(
      configPath,
      deepMerge(
        buildConfig(spec, readJsonObject(configPath), opts, port, token, hostLog),
        prepared,
      ),
    );
    if (opts.agentSettings) {
      await mkdir(join(stateDir, "agents/main/agent"), { recursive: true });
      writeJson(join(stateDir, "agents/main/agent/settings.json"), opts.agentSettings);
    }
    await start();
  } catch (err) {
    const log = tail(gatewayLog);
    await host.kill();
    if (process.env.TASK_MANAGER_KEEP_HOST !== "1")
      await rm(root, { recursive: true, force: true });
    forgetHome(root);
    throw new Error(
      `${spec.label}: ${(err as Error).message}\n--- gateway log (${gatewayLog}) ---\n${log}`,
    );
  }
  return host;
}

/**
 * The environment of a private host. Test-runner variables are removed on purpose: with VITEST
 * or NODE_ENV=test set, the hosts change behaviour (no gateway lock, polling config watcher…),
 * and we want the production paths. Network extras are switched off instead.
 */
function hostEnv(
  spec: KindSpec,
  root: string,
  stateDir: string,
  configPath: string,
  token: string,
  extra?: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k.startsWith("VITEST") ||
      k === "NODE_ENV" ||
      k === "NODE_OPTIONS" ||
      k.startsWith("CLAWDBOT_") ||
      k.startsWith("OPENCLAW_") ||
      k.startsWith("TASK_MANAGER_")
    )
      continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: root,
    ...spec.env(stateDir, configPath, token),
    NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
    // The host's own Node first: tools the agent runs (exec → node) get the same one.
    PATH: `${dirname(spec.node)}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    ...extra,
  };
}

/** The config written over what the host's setup produced (plain JSON; both hosts parse JSON5). */
function buildConfig(
  spec: KindSpec,
  base: JsonObject,
  opts: HostOptions,
  port: number,
  token: string,
  hostLog: string,
): JsonObject {
  const cost = (input: number, output: number): JsonObject => ({
    input,
    output,
    cacheRead: 0,
    cacheWrite: 0,
  });
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
        heartbeat: { every: opts.heartbeatEvery ?? "0m" },
      },
    },
  };
  if (opts.pluginPaths || opts.pluginEntries) {
    ours.plugins = {
      ...(opts.pluginPaths ? { load: { paths: opts.pluginPaths } } : {}),
      ...(opts.pluginEntries ? { entries: opts.pluginEntries } : {}),
      // OpenClaw loads a non-bundled plugin with an unverified-source warning unless allowed.
      ...(spec.kind === "openclaw" && opts.pluginEntries
        ? { allow: Object.keys(opts.pluginEntries) }
        : {}),
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

function writeJson(path: string, config: JsonObject): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

function readJsonObject(path: string): JsonObject {
  return JSON.parse(readFileSync(path, "utf8")) as JsonObject;
}

function runCli(
  spec: KindSpec,
  env: NodeJS.ProcessEnv,
  args: string[],
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      spec.node,
      [spec.entry, ...args],
      { env, cwd: env.HOME, timeout: timeoutMs, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

function spawnGateway(
  spec: KindSpec,
  env: NodeJS.ProcessEnv,
  cwd: string,
  port: number,
  token: string,
  logFile: string,
): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  // detached: own process group, so killGroup() also reaches anything the gateway spawned.
  // cwd matters: transcripts of sessions the gateway creates outside an agent turn record it.
  const child = spawn(spec.node, [spec.entry, ...spec.gatewayArgs(port, token)], {
    env,
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  track(child, env.HOME!);
  child.once("exit", () => log.end());
  return child;
}

/**
 * Ready means a `connect` succeeded: the gateway accepts the token and answers requests. Both
 * hosts refuse or drop connections while starting (OpenClaw answers UNAVAILABLE "gateway
 * starting"); every failure before the deadline is retried, and the gateway dying ends the wait.
 */
async function connectWhenReady(
  spec: KindSpec,
  child: ChildProcess,
  port: number,
  token: string,
  logFile: string,
  timeoutMs: number,
  onEvent: (e: GatewayEvent) => void,
): Promise<GatewayClient> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no attempt";
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `gateway exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready; log: ${logFile}`,
      );
    try {
      const client = await GatewayClient.connect(
        { url: `ws://127.0.0.1:${port}`, token },
        { protocol: spec.protocol, timeoutMs: 15_000, onEvent },
      );
      await client.request("health", {}, { timeoutMs: 30_000 });
      return client;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`gateway not ready after ${timeoutMs} ms (last: ${lastError})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function tail(file: string, lines = 60): string {
  return existsSync(file)
    ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n")
    : "(no log)";
}

/** Waits until `check` returns a value (not undefined), polling; for store/transcript writes. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
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

/** Starts a sub-agent run from outside a model turn over the gateway protocol: patch, then agent. */
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
 * Waits until a session's run has really finished. Clawdbot: its transcript write lock
 * (<sessionId>.jsonl.lock) is gone — agent.wait resolves at the end of the first attempt, while
 * the embedded agent may still be auto-retrying (HOST-NOTES §B); call it after agent.wait.
 * OpenClaw: the session's status column has left "running".
 */
export async function waitIdle(host: Host, sessionKey: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => {
      const entry = host.readSessionStore()[sessionKey];
      if (!entry) return undefined;
      if (host.kind === "openclaw")
        return entry.status && entry.status !== "running" ? true : undefined;
      const file = host.transcriptPath(sessionKey);
      return file && existsSync(`${file}.lock`) ? undefined : true;
    },
    timeoutMs,
    `session ${sessionKey} to go idle`,
  );
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

/** Creates a folder for a test plugin (both hosts' manifests + package.json + index.js). */
export async function writeTestPlugin(
  dir: string,
  id: string,
  indexJs: string,
  configSchema: JsonObject = { type: "object", additionalProperties: true },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ["clawdbot.plugin.json", "openclaw.plugin.json"])
    writeFileSync(join(dir, name), JSON.stringify({ id, name: id, configSchema }, null, 2));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: id,
        version: "0.0.0",
        type: "module",
        clawdbot: { extensions: ["./index.js"] },
        openclaw: { extensions: ["./index.js"] },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, "index.js"), indexJs);
  return dir;
}
