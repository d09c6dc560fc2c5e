import { cpSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, ROOT, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
let home: string;
const dirs: Record<string, string> = {};
beforeEach(() => {
  t = tempDir();
  home = path.join(t.dir, "home");
  for (const name of ["flag", "env", "hostws", "cwd"]) {
    dirs[name] = path.join(t.dir, name);
    mkdirSync(dirs[name]!, { recursive: true });
  }
  mkdirSync(path.join(home, ".clawdbot"), { recursive: true });
  writeFileSync(
    path.join(home, ".clawdbot/clawdbot.json"),
    JSON.stringify({ agents: { defaults: { workspace: dirs.hostws } } }),
  );
});
afterEach(() => t.cleanup());

const workspaceOf = (args: string[], env: NodeJS.ProcessEnv) =>
  cliJson<{ workspace: { dir: string; source: string } }>(["doctor", "--json", ...args], {
    env: { HOME: home, ...env },
    cwd: dirs.cwd,
  }).body.workspace;

describe("workspace discovery, first match wins", () => {
  it("--workspace beats everything", () => {
    expect(workspaceOf(["-w", dirs.flag!], { TASK_MANAGER_WORKSPACE: dirs.env })).toEqual({
      dir: dirs.flag,
      source: "--workspace",
    });
  });
  it("then TASK_MANAGER_WORKSPACE", () => {
    expect(workspaceOf([], { TASK_MANAGER_WORKSPACE: dirs.env })).toEqual({
      dir: dirs.env,
      source: "TASK_MANAGER_WORKSPACE",
    });
  });
  it("then the host's agents.defaults.workspace (CLAWDBOT_CONFIG_PATH honoured)", () => {
    expect(workspaceOf([], {})).toEqual({ dir: dirs.hostws, source: "host config" });
    const other = path.join(t.dir, "other.json");
    writeFileSync(
      other,
      `{ // JSON5 is accepted\n agents: { defaults: { workspace: "${dirs.env}" } }, }`,
    );
    expect(workspaceOf([], { CLAWDBOT_CONFIG_PATH: other })).toEqual({
      dir: dirs.env,
      source: "host config",
    });
  });
  it("then the folder two levels above the package, when installed at <workspace>/skills/task-manager", () => {
    const ws = path.join(t.dir, "clawd");
    const pkg = path.join(ws, "skills", "task-manager");
    mkdirSync(pkg, { recursive: true });
    cpSync(path.join(ROOT, "dist"), path.join(pkg, "dist"), { recursive: true });
    cpSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
    symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
    const r = spawnSync(
      process.execPath,
      [path.join(pkg, "dist/bin/task-manager.cjs"), "doctor", "--json"],
      {
        cwd: dirs.cwd,
        env: { PATH: process.env.PATH, HOME: path.join(t.dir, "nohost") },
        encoding: "utf8",
      },
    );
    expect(JSON.parse(r.stdout).workspace).toEqual({ dir: ws, source: "skill folder" });
  });
  it("else the current directory (here the package is not inside a skills/ folder)", () => {
    expect(workspaceOf([], { HOME: path.join(t.dir, "nohost") })).toEqual({
      dir: dirs.cwd,
      source: "current directory",
    });
  });
  it("a workspace that is not a folder is a clear error", () => {
    const r = cliJson<{ code: string; message: string }>(
      ["check", "-w", path.join(t.dir, "missing")],
      { env: { HOME: home } },
    );
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({ code: "E_WORKSPACE" });
    expect(r.body.message).toContain("--workspace");
  });
});
