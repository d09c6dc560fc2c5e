import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Builds dist/ (the CLI tests run the shipped binary) and installs the real host for e2e tests. */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  if (process.env.TASK_MANAGER_SKIP_HOST === "1") return;
  const script = `${root}test/e2e/install-host.sh`;
  if (existsSync(script)) execFileSync("bash", [script], { cwd: root, stdio: "inherit" });
}
