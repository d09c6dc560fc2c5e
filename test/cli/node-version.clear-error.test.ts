import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";

/** The machine's own Node, when it is older than 22.12 (these machines ship Node 20). */
function oldNode(): string | null {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ["-p", "process.versions.node"], {
      encoding: "utf8",
    }).stdout.trim();
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 12)) return candidate;
  }
  return null;
}

const old = oldNode();

describe.skipIf(old === null)("on a Node older than 22.12", () => {
  it("check answers one JSON ERROR naming the version and the fix; other commands say it on stderr", () => {
    const check = spawnSync(old!, [CLI, "check"], { encoding: "utf8" });
    expect(check.status).toBe(1);
    const error = JSON.parse(check.stdout) as { message: string };
    expect(error).toMatchObject({
      status: "ERROR",
      code: "E_NODE_VERSION",
      message: expect.stringMatching(/Node >= 22\.12 .*node-env\.sh/),
    });
    // Which binary, and the gateway-side fix: under an exec tool that is what the user needs.
    expect(error.message).toContain(old!);
    expect(error.message).toContain("tools.exec.pathPrepend");
    const list = spawnSync(old!, [CLI, "list"], { encoding: "utf8" });
    expect(list.status).toBe(1);
    expect(list.stdout).toBe("");
    expect(list.stderr).toMatch(/needs Node >= 22\.12/);
  });
});
