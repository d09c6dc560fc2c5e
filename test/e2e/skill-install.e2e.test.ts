import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, writeRelaxedRc } from "../helpers/cli.js";
import { HOST_ENTRY } from "./harness/host.js";

const hostMissing = !existsSync(HOST_ENTRY) && process.env.TASK_MANAGER_REQUIRE_HOST !== "1";

/** Installs the packed package into a real Clawdbot workspace, as a user would. */
describe.skipIf(hostMissing)("installed into a real Clawdbot 2026.1.24-3 workspace", () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  let workspace: string;
  let skillDir: string;
  const clawdbot = (args: string[]): string => execFileSync(process.execPath, [HOST_ENTRY, ...args], { env, encoding: "utf8", timeout: 120_000 });

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "tm-skill-"));
    env = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, HOME: root, CLAWDBOT_STATE_DIR: path.join(root, ".clawdbot") };
    workspace = path.join(root, "workspace");
    clawdbot(["setup", "--workspace", workspace]);
    writeRelaxedRc(workspace);
    skillDir = path.join(workspace, "skills", "task-manager");
    mkdirSync(skillDir, { recursive: true });
    // npm pack: exactly what a published package would ship (package.json "files").
    const tgz = execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", root], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
    execFileSync("tar", ["xzf", path.join(root, tgz), "-C", skillDir, "--strip-components=1"]);
    execFileSync("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: skillDir, env: { ...process.env, ...env } });
  }, 240_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("`clawdbot skills list --json` reports task-manager eligible, from the workspace", () => {
    const listed = JSON.parse(clawdbot(["skills", "list", "--json"])) as { skills: Array<{ name: string; eligible: boolean; source: string }> };
    const skill = listed.skills.find((s) => s.name === "task-manager");
    expect(skill).toMatchObject({ eligible: true, source: "clawdbot-workspace" });
  });

  it("the installed wrappers find the workspace from the host config and see the host", () => {
    const added = JSON.parse(execFileSync(path.join(skillDir, "skill/add-task.sh"), ["resume: $(touch pwned)", "2"], { cwd: root, env, encoding: "utf8" }));
    expect(added).toMatchObject({ status: "ADDED", task: { prompt: "resume: $(touch pwned)", priority: 2, source: "skill" } });
    const status = JSON.parse(execFileSync(path.join(skillDir, "skill/check-and-spawn.sh"), [], { cwd: root, env, encoding: "utf8" }));
    expect(status).toMatchObject({ status: "READY", workspace, host: { kind: "clawdbot", state_dir: env.CLAWDBOT_STATE_DIR } });
    expect(readdirSync(path.join(workspace, "memory"))).toContain("pending_tasks.json");
    expect(existsSync(path.join(root, "pwned"))).toBe(false);
  });
});
