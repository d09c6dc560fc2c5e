/**
 * OpenClaw 2026.9.6 as a user sets it up: the package installed the OpenClaw way (from a packed
 * tarball and linked from a folder), the operator's opt-ins, config precedence, a switched-off
 * heartbeat, the host's own `/tasks` and `openclaw tasks` left alone, a live reload, and the
 * host's handling of a repeated idempotency key after a restart. (Dispatch, settling, recovery
 * and the VIP lane run on both hosts in plugin-*.e2e.test.ts.)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { answer, type FakeProvider, startFakeProvider } from "./harness/fake-provider.js";
import { CHEAP_MODELS, startHost, waitFor, type Host, type JsonObject } from "./harness/host.js";
import { hostMatrix, fastRetries, tasks, tm } from "./helpers.js";

const openclaw = hostMatrix().includes("openclaw");
const has =
  (text: string): ((r: { messages: unknown }) => boolean) =>
  (r) =>
    JSON.stringify(r.messages).includes(text);

/** The package as npm would ship it (package.json "files"), packed from this checkout. */
function pack(dir: string): string {
  // dist/ is already built (global setup): no prepare script mid-run.
  const name = execFileSync(
    "npm",
    ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir],
    { cwd: ROOT, encoding: "utf8" },
  )
    .trim()
    .split("\n")
    .pop()!;
  return path.join(dir, name);
}

interface Inspected {
  plugin: { status: string; source: string; error?: string };
  diagnostics: unknown[];
  commands: string[];
  cliCommands: string[];
}

async function inspect(host: Host): Promise<Inspected> {
  const res = await host.cli(["plugins", "inspect", "task-manager", "--runtime", "--json"]);
  return JSON.parse(res.stdout) as Inspected;
}

/** Sets plugins.entries.task-manager (the gateway picks the change up live). */
function setEntry(host: Host, entry: JsonObject): void {
  const config = host.readConfig();
  const plugins = (config.plugins ?? {}) as JsonObject;
  const entries = (plugins.entries ?? {}) as JsonObject;
  host.writeConfig({
    ...config,
    plugins: {
      ...plugins,
      allow: ["task-manager"],
      entries: {
        ...entries,
        "task-manager": {
          ...((entries["task-manager"] as JsonObject | undefined) ?? {}),
          ...entry,
        },
      },
    },
  });
}

describe.skipIf(!openclaw)("OpenClaw 2026.9.6: installed and configured the OpenClaw way", () => {
  let provider: FakeProvider;
  let host: Host;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "tm-pack-"));
    provider = await startFakeProvider({ behaviour: answer("Task finished.", 500) });
    // No plugin configured yet: the user installs it below.
    host = await startHost({
      kind: "openclaw",
      providerBaseUrl: provider.baseUrl,
      agentSettings: fastRetries("openclaw"),
    });
  }, 600_000);

  afterAll(async () => {
    await host?.dispose();
    await provider?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("installs the packed tarball as ClawHub and npm installs go (npm-pack:), loads with no diagnostics of its own, keeps off the host's `tasks`, and ticks", async () => {
    const tgz = pack(scratch);
    // npm-pack: installs it into a managed npm project with `npm install --omit=dev
    // --ignore-scripts`: only what the tarball carries and its runtime dependencies.
    const installed = await host.cli(
      ["plugins", "install", `npm-pack:${tgz}`, "--force", "--accept-capabilities"],
      600_000,
    );
    expect(installed.code, installed.stderr + installed.stdout).toBe(0);
    const seen = await inspect(host);
    expect(seen.plugin.status).toBe("loaded");
    expect(seen.plugin.source).toContain(path.join("task-manager", "dist", "plugin", "entry.js"));
    expect(seen.plugin.source.startsWith(host.stateDir)).toBe(true);
    expect(seen.diagnostics).toEqual([]);
    // Its chat command and CLI command are its own: `/tasks` and `openclaw tasks` stay the host's ledger.
    expect(seen.commands).toEqual(["taskmanager"]);
    expect(seen.cliCommands).toEqual(["task-manager"]);
    const ledger = await host.cli(["tasks", "list", "--json"]);
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(ledger.stdout).not.toContain("task-manager: show the queue");

    // The installed copy, not this checkout, dispatches: a task added with the CLI runs.
    const rc = path.join(host.workspace, ".taskmanagerrc");
    writeFileSync(
      rc,
      JSON.stringify({ models: [CHEAP_MODELS[0]], loadThreshold: 100, minFreeMemoryMB: 0 }),
    );
    setEntry(host, {
      enabled: true,
      subagent: { allowModelOverride: true },
      config: { schedule: "*/1 * * * * *" },
    });
    await host.restart();
    tm(host, ["add", "Packed plugin job"]);
    const done = await waitFor(
      () => tasks(host).find((t) => t.prompt === "Packed plugin job" && t.state === "done"),
      180_000,
      "the task run by the installed plugin",
    );
    expect(done.attempts).toBe(1);
    expect(provider.requests.some(has("Packed plugin job"))).toBe(true);
    // The next cases start from no opt-ins and no rc file.
    rmSync(rc);
    const config = host.readConfig();
    const plugins = config.plugins as JsonObject;
    const entries = plugins.entries as JsonObject;
    const {
      subagent: _subagent,
      config: _config,
      ...entry
    } = entries["task-manager"] as JsonObject;
    host.writeConfig({
      ...config,
      plugins: { ...plugins, entries: { ...entries, "task-manager": entry } },
    });
  }, 900_000);

  it("links a folder instead (`plugins install --link`), as a workspace skill checkout is", async () => {
    const folder = path.join(scratch, "linked");
    execFileSync("mkdir", ["-p", folder]);
    execFileSync("tar", ["xzf", pack(scratch), "-C", folder, "--strip-components=1"]);
    execFileSync(
      "npm",
      ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
      { cwd: folder },
    );
    await host.cli(["plugins", "uninstall", "task-manager", "--force"]);
    const linked = await host.cli(
      ["plugins", "install", "--link", folder, "--force", "--accept-capabilities"],
      600_000,
    );
    expect(linked.code, linked.stderr + linked.stdout).toBe(0);
    // The uninstall left `enabled: false` in the config, and a reinstall keeps an authored value.
    expect((await host.cli(["plugins", "enable", "task-manager"])).code).toBe(0);
    const seen = await inspect(host);
    expect(seen).toMatchObject({
      plugin: { status: "loaded", source: path.join(folder, "dist/plugin/entry.js") },
      diagnostics: [],
    });
  }, 900_000);

  it("without the operator's allowModelOverride it starts nothing, and says which key to set; with it, the task runs on the cheap model", async () => {
    writeFileSync(
      path.join(host.workspace, ".taskmanagerrc"),
      JSON.stringify({
        models: [CHEAP_MODELS[0]],
        maxConcurrent: 2,
        loadThreshold: 100,
        minFreeMemoryMB: 0,
      }),
    );
    // Only what the operator sets here wins over .taskmanagerrc; OpenClaw's schema defaults do not.
    setEntry(host, {
      enabled: true,
      hooks: { allowConversationAccess: true },
      config: { schedule: "*/1 * * * * *" },
    });
    await host.restart();
    const status = await host.call<{
      policy: { maxConcurrent: number; models: string[]; schedule: string };
      policy_source: string;
    }>("task-manager.status", {});
    expect(status.policy).toMatchObject({
      maxConcurrent: 2,
      models: [CHEAP_MODELS[0]],
      schedule: "*/1 * * * * *",
    });
    expect(status.policy_source).toContain(".taskmanagerrc + plugins.entries.task-manager.config");

    const before = provider.requests.length;
    tm(host, ["add", "Override-gated job"]);
    const tick = await host.call<{
      results: Array<{ status: string; reason?: string; detail?: string }>;
    }>("task-manager.tick", {});
    expect(tick.results[0]).toMatchObject({
      status: "DEFERRED",
      reason: "host_setup",
      detail: expect.stringContaining("plugins.entries.task-manager.subagent.allowModelOverride"),
    });
    const doctor = tm(host, ["doctor"]) as { plugin_setup: Array<{ key: string; ok: boolean }> };
    expect(doctor.plugin_setup).toContainEqual(
      expect.objectContaining({
        key: "plugins.entries.task-manager.subagent.allowModelOverride",
        ok: false,
      }),
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(provider.requests.length).toBe(before);
    expect(tasks(host).find((t) => t.prompt === "Override-gated job")).toMatchObject({
      state: "pending",
      attempts: 0,
    });

    setEntry(host, { subagent: { allowModelOverride: true } });
    await host.restart();
    const done = await waitFor(
      () => tasks(host).find((t) => t.prompt === "Override-gated job" && t.state === "done"),
      120_000,
      "the task done",
    );
    expect(done.attempts).toBe(1);
    expect(
      new Set(provider.requests.filter(has("Override-gated job")).map((r) => r.model)),
    ).toEqual(new Set(["cheap-flash"]));
  }, 900_000);

  it('a switched-off host heartbeat ("0m") does not leave the service unstarted: every 30 minutes, logged', async () => {
    writeFileSync(
      path.join(host.workspace, ".taskmanagerrc"),
      JSON.stringify({ models: [CHEAP_MODELS[0]], loadThreshold: 100, minFreeMemoryMB: 0 }),
    );
    setEntry(host, { config: {} });
    await host.restart();
    const log = await waitFor(
      () =>
        readFileSync(host.gatewayLog, "utf8")
          .match(/task-manager: dispatching on (.*)/g)
          ?.at(-1),
      60_000,
      "the start line",
    );
    expect(log).toContain('0 */30 * * * * (every 30m: the host heartbeat is off ("0m"))');
  }, 600_000);

  it("`openclaw plugins reload task-manager` and a live config change both work: nothing is held across a stop", async () => {
    setEntry(host, { config: { schedule: "*/2 * * * * *" } });
    await waitFor(
      () =>
        readFileSync(host.gatewayLog, "utf8").includes("dispatching on */2 * * * * *")
          ? true
          : undefined,
      120_000,
      "the plugin restarted with the new config",
    );
    const reload = await host.cli(["plugins", "reload", "task-manager"]);
    expect(reload.stdout + reload.stderr).toMatch(/Reloaded plugin "task-manager"/);
    expect(readFileSync(host.gatewayLog, "utf8")).not.toContain("still has active retained work");
    tm(host, ["add", "After-reload job"]);
    await waitFor(
      () => tasks(host).find((t) => t.prompt === "After-reload job" && t.state === "done"),
      120_000,
      "a task done after the reload",
    );
  }, 600_000);

  it("after a restart, a repeated idempotency key is recorded as a failed run with no model call: the task is requeued, no attempt burned", async () => {
    // Skill mode only here: the plugin would settle the first run as done before the repeat.
    setEntry(host, { enabled: false });
    await host.restart();
    // A run under a key, through the gateway protocol; then a restart wipes the host's key cache.
    const sessionKey = "agent:main:subagent:task-manager-repeat-1";
    await host.call("sessions.patch", { key: sessionKey, model: CHEAP_MODELS[0] });
    await host.call("agent", {
      message: "Repeat job",
      sessionKey,
      lane: "subagent",
      deliver: false,
      idempotencyKey: "repeat-key-1",
    });
    await waitFor(
      () => (host.readSessionStore()[sessionKey]?.status === "done" ? true : undefined),
      120_000,
      "the first run done",
    );
    await host.restart();
    tm(host, ["pause"]);
    const added = tm(host, ["add", "Repeat job"]) as { task: { id: string } };
    // The task holds that session as its run, as when a process spawned it and died before recording it.
    tm(host, ["ack", added.task.id, "--run-id", "repeat-key-1", "--session-key", sessionKey]);
    const requests = provider.requests.filter(has("Repeat job")).length;
    await host.call("agent", {
      message: "Repeat job",
      sessionKey,
      lane: "subagent",
      deliver: false,
      idempotencyKey: "repeat-key-1",
    });
    await waitFor(
      () => (host.readSessionStore()[sessionKey]?.status === "failed" ? true : undefined),
      120_000,
      "the repeated key recorded as failed",
    );
    expect(provider.requests.filter(has("Repeat job")).length).toBe(requests); // no model call
    const check = tm(host, ["check"]) as { settled?: Array<{ id: string; outcome: string }> };
    expect(check.settled).toContainEqual(
      expect.objectContaining({ id: added.task.id, outcome: "rejected" }),
    );
    expect(tasks(host).find((t) => t.id === added.task.id)).toMatchObject({
      state: "pending",
      failures: 0,
      last_error: { kind: "rejected" },
    });
  }, 600_000);
});
