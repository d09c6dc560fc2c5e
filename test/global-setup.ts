import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Builds dist/ and the bundled CLI in dist/bin (tests run what ships) and installs both real hosts for e2e tests. */
export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  if (process.env.TASK_MANAGER_SKIP_HOST === "1") return;
  const script = `${root}scripts/install-hosts.sh`;
  if (existsSync(script)) execFileSync("bash", [script], { cwd: root, stdio: "inherit" });
}
