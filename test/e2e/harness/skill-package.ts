/**
 * Installs this package into a workspace as a user would: `npm pack` (exactly what a published
 * package ships, package.json "files"), unpacked into `<workspace>/skills/task-manager`, then
 * `npm install --omit=dev` for its runtime dependencies.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../helpers/cli.js";

/** Returns the skill folder. `scratch` holds the tarball; `env` is the user's shell (HOME, PATH). */
export function installSkillPackage(
  workspace: string,
  scratch: string,
  env: NodeJS.ProcessEnv,
): string {
  const skillDir = path.join(workspace, "skills", "task-manager");
  mkdirSync(skillDir, { recursive: true });
  const tgz = execFileSync(
    "npm",
    ["pack", "--silent", "--ignore-scripts", "--pack-destination", scratch],
    { cwd: ROOT, encoding: "utf8" },
  )
    .trim()
    .split("\n")
    .pop()!;
  execFileSync("tar", ["xzf", path.join(scratch, tgz), "-C", skillDir, "--strip-components=1"]);
  execFileSync(
    "npm",
    ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    { cwd: skillDir, env: { ...process.env, ...env } },
  );
  return skillDir;
}
