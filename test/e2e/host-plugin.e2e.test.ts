/**
 * What the real host gives a plugin (HOST-NOTES.md §D), checked with the probe plugin in
 * fixtures/probe-plugin, which writes what it sees as JSON lines to $TM_PROBE_LOG.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { answer, fail, type FakeProvider, startFakeProvider } from "./harness/fake-provider.js";
import {
  type Host,
  lastAssistant,
  spawnSubagent,
  startHost,
  waitFor,
  waitIdle,
} from "./harness/host.js";

const PLUGIN_DIR = join(import.meta.dirname, "fixtures/probe-plugin");
const MAIN = "agent:main:main";

interface ProbeEntry {
  kind: string;
  at: number;
  data: Record<string, unknown>;
}

let provider: FakeProvider;
let host: Host;
let probeLog: string;

const probe = (): ProbeEntry[] =>
  existsSync(probeLog)
    ? readFileSync(probeLog, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as ProbeEntry)
    : [];
const probeOf = (kind: string): ProbeEntry[] => probe().filter((e) => e.kind === kind);
const waitProbe = (kind: string, count = 1): Promise<ProbeEntry[]> =>
  waitFor(
    () => (probeOf(kind).length >= count ? probeOf(kind) : undefined),
    15_000,
    `probe ${kind}`,
  );

beforeAll(async () => {
  probeLog = join(mkdtempSync(join(tmpdir(), "tm-probe-")), "probe.jsonl");
  provider = await startFakeProvider();
  host = await startHost({
    providerBaseUrl: provider.baseUrl,
    pluginPaths: [PLUGIN_DIR],
    pluginEntries: { "tm-probe": { enabled: true, config: { greeting: "hello", n: 3 } } },
    agentSettings: { retry: { baseDelayMs: 50 } },
    env: { TM_PROBE_LOG: probeLog },
  });
});

afterAll(async () => {
  await host?.dispose();
  await provider?.close();
  if (probeLog) rmSync(dirname(probeLog), { recursive: true, force: true });
});

describe("a plugin loaded from plugins.load.paths", () => {
  test("is listed as loaded, with what it registered", async () => {
    const res = await host.cli(["plugins", "list", "--json"]);
    const list = JSON.parse(res.stdout) as { plugins: Record<string, unknown>[] };
    expect(list.plugins.find((p) => p.id === "tm-probe")).toMatchObject({
      status: "loaded",
      origin: "config",
      gatewayMethods: ["tmprobe.ping", "tmprobe.enqueue"],
      services: ["tm-probe-service"],
      commands: ["tmprobe"],
      cliCommands: ["tmprobe"],
    });
  });

  test("register(api) gets pluginConfig, config, runtime; the gateway exports its port and token", async () => {
    const [reg] = await waitProbe("register");
    expect(reg?.data.apiKeys).toEqual(
      expect.arrayContaining([
        "config",
        "pluginConfig",
        "runtime",
        "logger",
        "registerService",
        "registerGatewayMethod",
        "registerCommand",
        "registerCli",
        "registerTool",
        "registerHook",
        "on",
        "resolvePath",
      ]),
    );
    expect(reg?.data.runtimeSystemKeys).toContain("enqueueSystemEvent");
    expect(reg?.data.pluginConfig).toEqual({ greeting: "hello", n: 3 });
    expect(reg?.data.env).toMatchObject({
      CLAWDBOT_GATEWAY_TOKEN: true,
      CLAWDBOT_GATEWAY_PORT: String(host.port),
    });
  });

  test("a service starts with the gateway and can call the gateway over WebSocket", async () => {
    const [start] = await waitProbe("service.start");
    expect(start?.data).toMatchObject({ workspaceDir: host.workspace, stateDir: host.stateDir });
    const [self] = await waitProbe("service.selfcall");
    expect(self?.data).toMatchObject({ ok: true });
  });

  test("registerGatewayMethod is callable over WebSocket and via `clawdbot gateway call`", async () => {
    expect(await host.call("tmprobe.ping", { a: 1 })).toEqual({
      pong: { a: 1 },
      pluginConfig: { greeting: "hello", n: 3 },
    });
    expect(await host.callCli("tmprobe.ping", { b: 2 })).toMatchObject({ pong: { b: 2 } });
  });

  test("registerCommand answers /tmprobe from chat.send without a model turn", async () => {
    const before = provider.requests.length;
    await host.call("chat.send", {
      sessionKey: MAIN,
      message: "/tmprobe hello there",
      idempotencyKey: "cmd-1",
    });
    const [cmd] = await waitProbe("command");
    expect(cmd?.data).toMatchObject({
      args: "hello there",
      channel: "webchat",
      isAuthorizedSender: true,
    });
    await waitFor(() => lastAssistant(host.readTranscript(MAIN)), 10_000, "command reply");
    expect(lastAssistant(host.readTranscript(MAIN))).toMatchObject({
      stopReason: "injected",
      content: [{ type: "text", text: "tmprobe says hi (hello there)" }],
    });
    expect(provider.requests.length).toBe(before);
  });

  test("runtime.system.enqueueSystemEvent lands in the next main-session prompt", async () => {
    provider.setBehaviour(answer("noted"));
    await host.call("tmprobe.enqueue", { text: "task-manager: task t_9 failed", sessionKey: MAIN });
    expect(await host.call("status", {})).toMatchObject({
      queuedSystemEvents: ["task-manager: task t_9 failed"],
    });
    const before = provider.requests.length;
    await host.call("chat.send", {
      sessionKey: MAIN,
      message: "anything new?",
      idempotencyKey: "chat-2",
    });
    const req = await waitFor(() => provider.requests[before], 15_000, "main turn");
    expect(JSON.stringify(req.messages.at(-1))).toMatch(
      /System: \[[^\]]+\] task-manager: task t_9 failed\\n\\nanything new\?/,
    );
  });

  test("agent_end fires once per run, success:true even when the provider failed", async () => {
    provider.setBehaviour(fail(429));
    const run = await spawnSubagent(host, {
      id: "plugin-429",
      model: "fake/cheap-flash",
      message: "t",
    });
    await host.call("agent.wait", { runId: run.runId, timeoutMs: 30_000 });
    await waitIdle(host, run.sessionKey);
    const forRun = (): ProbeEntry[] =>
      probeOf("hook:agent_end").filter(
        (e) => (e.data.ctx as { sessionKey?: string }).sessionKey === run.sessionKey,
      );
    const ends = await waitFor(
      () => (forRun().length > 0 ? forRun() : undefined),
      10_000,
      "agent_end",
    );
    expect(ends).toHaveLength(1);
    const event = ends[0]?.data.event as {
      success: boolean;
      messages: { stopReason?: string; errorMessage?: string }[];
    };
    expect(event.success).toBe(true);
    expect(event.messages.at(-1)).toMatchObject({
      stopReason: "error",
      errorMessage: "429 rate limited",
    });
  });

  test("registerCli does not surface `clawdbot <name>` in this host version", async () => {
    const res = await host.cli(["tmprobe"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("unknown command 'tmprobe'");
  });

  test("SIGTERM runs the service's stop(); gateway_start/gateway_stop hooks never fire", async () => {
    await host.stop();
    await waitProbe("service.stop");
    expect(probeOf("hook:gateway_start")).toEqual([]);
    expect(probeOf("hook:gateway_stop")).toEqual([]);
  });
});
