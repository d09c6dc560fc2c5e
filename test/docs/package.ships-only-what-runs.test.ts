import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

interface Packed {
  files: Array<{ path: string }>;
}

/** What `npm pack` would put in the tarball (dist/ is built by the global setup). */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return (JSON.parse(out) as Packed[])[0]!.files.map((f) => f.path);
}

describe("npm pack ships what a user runs, and no tooling", () => {
  const files = packedFiles();

  it("no bench, build script, test, library of tests, screenshot or source map", () => {
    const tooling = files.filter(
      (f) =>
        /^(bench|scripts|lib|test|src|docs|\.ci)\//.test(f) ||
        /(^|\/)(bench|build|screenshot)[^/]*\//.test(f) ||
        /\.(png|map|test\.[jt]s)$/.test(f) ||
        /tsconfig\.json$/.test(f),
    );
    expect(tooling).toEqual([]);
  });

  it("everything the CLI, the skill and both hosts' plugin loaders need", () => {
    for (const needed of [
      "dist/bin/task-manager.cjs",
      "dist/bin/check.cjs",
      "dist/cli/program.js",
      "dist/plugin/entry.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/page/static/index.html",
      "dist/page/static/app.js",
      "skill/task-manager",
      "SKILL.md",
      "HEARTBEAT.md",
      "openclaw.plugin.json",
      "clawdbot.plugin.json",
      "package.json",
    ])
      expect(files).toContain(needed);
  });
});
