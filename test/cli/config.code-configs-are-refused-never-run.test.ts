import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { register } from "../../src/plugin/entry.js";
import type { GatewayMethodOptions, PluginApi, PluginService } from "../../src/plugin/host-api.js";
import { loadPluginPolicy } from "../../src/plugin/policy.js";
import { CODE_PLACES, META_CODE_PLACES } from "../../src/policy/load.js";
import { cliJson, tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 2: cosmiconfig's default loaders ran `.taskmanagerrc.js/.ts/.cjs/.mjs` (and
 * the current directory's `.config/config.js`) on every check — and inside the gateway in
 * plugin mode — so any sub-agent that could write a file into the workspace got code execution.
 * Each planted file here writes a marker when run; the marker must never appear, and every
 * command must refuse with an ERROR naming the file.
 */
let t: { dir: string; cleanup: () => void };
const ws = (): string => path.join(t.dir, "ws");
const cwd = (): string => path.join(t.dir, "cwd");
const marker = (): string => path.join(t.dir, "MARKER-code-ran");
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });

/** A module of the place's kind that writes the marker (and exports a valid policy) when run. */
function plant(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const m = JSON.stringify(marker());
  const esm = `import { writeFileSync } from "node:fs";\nwriteFileSync(${m}, "ran");\nexport default { maxConcurrent: 2 };\n`;
  const cjs = `require("node:fs").writeFileSync(${m}, "ran");\nmodule.exports = { maxConcurrent: 2 };\n`;
  writeFileSync(file, file.endsWith(".mjs") || file.endsWith(".ts") ? esm : cjs);
}

beforeEach(() => {
  t = tempDir();
  for (const d of [ws(), cwd(), path.join(t.dir, "home")]) mkdirSync(d);
});
afterEach(() => t.cleanup());

const commands = [["check"], ["list", "--json"], ["doctor", "--json"], ["add", "x", "--json"]];

describe("a code config is an ERROR naming it, and is never run", () => {
  for (const place of CODE_PLACES) {
    it(`<workspace>/${place}`, () => {
      const file = path.join(ws(), place);
      plant(file);
      for (const args of commands) {
        const r = cliJson<{ status: string; code: string; message: string }>(
          [...args, "-w", ws()],
          { env: env(), cwd: cwd() },
        );
        expect(r.code, args.join(" ")).toBe(1);
        expect(r.body).toMatchObject({ status: "ERROR", code: "E_CONFIG_CODE" });
        expect(r.body.message).toContain(file);
        expect(r.body.message).toMatch(/\.taskmanagerrc\.json/); // says how to convert it
      }
      expect(existsSync(marker())).toBe(false);
    });
  }

  for (const place of META_CODE_PLACES) {
    it(`cosmiconfig's meta config <current directory>/${place}`, () => {
      const file = path.join(cwd(), place);
      plant(file);
      for (const args of commands) {
        const r = cliJson<{ code: string; message: string }>([...args, "-w", ws()], {
          env: env(),
          cwd: cwd(),
        });
        expect(r.body).toMatchObject({ code: "E_CONFIG_CODE" });
        expect(r.body.message).toContain(file);
      }
      expect(existsSync(marker())).toBe(false);
    });
  }

  it("a JSON config that $imports a code file is refused; the code is not run", () => {
    const code = path.join(ws(), "evil.cjs");
    plant(code);
    writeFileSync(path.join(ws(), ".taskmanagerrc.json"), JSON.stringify({ $import: code }));
    const r = cliJson<{ code: string; message: string }>(["check", "-w", ws()], {
      env: env(),
      cwd: cwd(),
    });
    expect(r.body).toMatchObject({ code: "E_CONFIG_INVALID" });
    expect(r.body.message).toMatch(/\$import/);
    expect(existsSync(marker())).toBe(false);
  });

  it("a `taskmanager` key in the current directory's data meta config is refused, not silently dropped", () => {
    mkdirSync(path.join(cwd(), ".config"));
    const file = path.join(cwd(), ".config/config.json");
    writeFileSync(file, JSON.stringify({ taskmanager: { maxConcurrent: 4 } }));
    const r = cliJson<{ code: string; message: string }>(["check", "-w", ws()], {
      env: env(),
      cwd: cwd(),
    });
    expect(r.body).toMatchObject({ code: "E_CONFIG_INVALID" });
    expect(r.body.message).toContain(file);
    // Another tool's meta config without our key is none of our business.
    writeFileSync(file, JSON.stringify({ othertool: { x: 1 } }));
    expect(cliJson(["check", "-w", ws()], { env: env(), cwd: cwd() }).body).toMatchObject({
      status: "NO_TASKS",
    });
  });

  it("JSON, JSON5 and YAML configs are still read", () => {
    const check = () =>
      cliJson<{ status: string }>(["doctor", "--json", "-w", ws()], { env: env(), cwd: cwd() })
        .body as unknown as { config: { file: string; policy: { maxConcurrent: number } } };
    writeFileSync(path.join(ws(), ".taskmanagerrc.json"), '{"maxConcurrent": 2}');
    expect(check().config.policy.maxConcurrent).toBe(2);
    writeFileSync(
      path.join(ws(), ".taskmanagerrc.json"),
      "{\n  // comments and trailing commas: JSON5\n  maxConcurrent: 3,\n}\n",
    );
    expect(check().config.policy.maxConcurrent).toBe(3);
    writeFileSync(path.join(ws(), ".taskmanagerrc.json"), "");
    writeFileSync(path.join(ws(), ".taskmanagerrc.yaml"), "maxConcurrent: 4 # yaml\n");
    expect(check().config).toMatchObject({
      file: path.join(ws(), ".taskmanagerrc.yaml"),
      policy: { maxConcurrent: 4 },
    });
  });
});

describe("in a gateway (plugin mode) a planted code config is refused too, never run", () => {
  /** A Clawdbot-shaped plugin API that records what the plugin registers. */
  function fakeGateway() {
    const services: PluginService[] = [];
    const methods = new Map<string, (o: GatewayMethodOptions) => void | Promise<void>>();
    const logged: string[] = [];
    const logger = {
      info: (m: string) => logged.push(m),
      warn: (m: string) => logged.push(m),
      error: (m: string) => logged.push(m),
    };
    const api: PluginApi = {
      id: "task-manager",
      registrationMode: "full",
      config: { agents: { defaults: { workspace: ws() } } },
      logger,
      registerService: (s) => services.push(s),
      registerTool: () => undefined,
      registerCommand: () => undefined,
      registerGatewayMethod: (name, handler) => methods.set(name, handler),
      registerCli: () => undefined,
      on: () => undefined,
    };
    return { api, services, methods, logged };
  }

  const call = async (
    methods: Map<string, (o: GatewayMethodOptions) => void | Promise<void>>,
    name: string,
  ) => {
    let answer: { ok: boolean; payload?: unknown; error?: { code: string; message: string } } = {
      ok: false,
    };
    await methods.get(name)!({
      params: {},
      respond: (ok, payload, error) => (answer = { ok, payload, ...(error ? { error } : {}) }),
    });
    return answer;
  };

  it("service start, a tick, task-manager.status and the plugin policy: ERROR naming the file; the marker never appears", async () => {
    const file = path.join(ws(), ".taskmanagerrc.cjs");
    plant(file);
    const previousHome = process.env.HOME;
    process.env.HOME = path.join(t.dir, "home");
    const gw = fakeGateway();
    try {
      register(gw.api);
      await gw.services[0]!.start({
        config: gw.api.config,
        workspaceDir: ws(),
        logger: gw.api.logger,
      });
      expect(gw.logged.join("\n")).toContain(file);
      const status = await call(gw.methods, "task-manager.status");
      expect(status.error).toMatchObject({ code: "E_CONFIG_CODE" });
      expect(status.error?.message).toContain(file);
      await call(gw.methods, "task-manager.tick");
      await expect(loadPluginPolicy(ws(), { maxConcurrent: 1 })).rejects.toMatchObject({
        code: "E_CONFIG_CODE",
      });
      await gw.services[0]!.stop?.({ config: gw.api.config, logger: gw.api.logger });
    } finally {
      process.env.HOME = previousHome;
    }
    expect(existsSync(marker())).toBe(false);
  });
});
