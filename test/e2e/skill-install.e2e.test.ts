import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRelaxedRc } from "../helpers/cli.js";
import { installSkillPackage } from "./harness/skill-package.js";
import { hostMatrix, KINDS } from "./helpers.js";

/** Installs the packed package into a real workspace of each host, as a user would. */
describe.each(hostMatrix())("installed into a real %s workspace", (kind) => {
  const spec = KINDS[kind];
  let root: string;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;
  let workspace: string;
  let skillDir: string;
  const host = (args: string[]): string =>
    execFileSync(spec.node, [spec.entry, ...args], { env, encoding: "utf8", timeout: 180_000 });

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), `tm-skill-${kind}-`));
    stateDir = path.join(root, spec.stateDirName);
    // What a user's shell has: HOME (the host finds its state dir under it) and the host's Node.
    env = {
      PATH: `${path.dirname(spec.node)}:${process.env.PATH}`,
      HOME: root,
      ...(kind === "openclaw" ? { OPENCLAW_NO_RESPAWN: "1" } : { CLAWDBOT_STATE_DIR: stateDir }),
    };
    workspace = path.join(root, "workspace");
    host(spec.setupArgs(workspace));
    writeRelaxedRc(workspace);
    skillDir = installSkillPackage(workspace, root, env);
  }, 300_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(`\`${kind} skills list --json\` reports task-manager eligible, from the workspace`, () => {
    const listed = JSON.parse(host(["skills", "list", "--json"])) as {
      skills: Array<{ name: string; eligible: boolean; source: string }>;
    };
    const skill = listed.skills.find((s) => s.name === "task-manager");
    expect(skill).toMatchObject({ eligible: true, source: `${kind}-workspace` });
  });

  it("the installed wrappers find the workspace from the host config and see the host", () => {
    const added = JSON.parse(
      execFileSync(path.join(skillDir, "skill/add-task.sh"), ["resume: $(touch pwned)", "2"], {
        cwd: root,
        env,
        encoding: "utf8",
      }),
    );
    expect(added).toMatchObject({
      status: "ADDED",
      task: { prompt: "resume: $(touch pwned)", priority: 2, source: "skill" },
    });
    const status = JSON.parse(
      execFileSync(path.join(skillDir, "skill/check-and-spawn.sh"), [], {
        cwd: root,
        env,
        encoding: "utf8",
      }),
    );
    expect(status).toMatchObject({
      status: "READY",
      workspace,
      host: { kind, state_dir: stateDir },
    });
    expect(readdirSync(path.join(workspace, "memory"))).toContain("pending_tasks.json");
    expect(existsSync(path.join(root, "pwned"))).toBe(false);
  });
});
