import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = path.join(ROOT, "dist/bin/task-manager.cjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a real child process with an isolated HOME (no host unless given). */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): CliResult {
  const home = opts.env?.HOME ?? path.join(os.tmpdir(), "tm-no-home");
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? os.tmpdir(),
    env: { PATH: process.env.PATH, HOME: home, ...opts.env },
    input: opts.input ?? "",
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI and parses stdout as exactly one JSON document (fails the test otherwise). */
export function cliJson<T = Record<string, unknown>>(
  args: string[],
  opts: Parameters<typeof runCli>[1] = {},
): { code: number | null; body: T; stderr: string } {
  const r = runCli(args, opts);
  let body: T;
  try {
    body = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return { code: r.code, body, stderr: r.stderr };
}

export function tempDir(prefix = "tm-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An rc file that ignores machine load and memory: tests that expect READY must not turn into
 * DEFERRED/system_load because the 2-core test machine is busy running other tests.
 */
export const RELAXED = { loadThreshold: 1000, minFreeMemoryMB: 0 };
export function writeRelaxedRc(workspace: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    path.join(workspace, ".taskmanagerrc.json"),
    JSON.stringify({ ...RELAXED, ...extra }),
  );
}

/**
 * Whether the CLI can run as `nobody` (uid 65534), as the permission tests need: only root can
 * switch users, and a checkout inside a private folder (a 0700 temp dir) is closed to `nobody`.
 */
export function nobodyCanRunCli(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync(process.execPath, [CLI, "--help"], {
    uid: 65534,
    gid: 65534,
    cwd: "/",
    env: { PATH: process.env.PATH },
    encoding: "utf8",
  });
  return r.status === 0;
}
