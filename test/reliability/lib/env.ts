import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The CLI as shipped (package.json "bin"): the bundle, not tsc's modules. */
export const CLI = path.join(ROOT, "dist/bin/task-manager.cjs");
export const DRIVER = path.join(ROOT, "test/reliability/driver.ts");

/** A lenient policy: nothing but the behaviour under test may defer a task. */
// The crash lanes move the clock forward 10 min a step: neither timeouts nor the maximum age
// may take a task out of rotation before the drain runs it.
export const OPEN_POLICY = {
  maxConcurrent: 64,
  loadThreshold: 1000,
  minFreeMemoryMB: 0,
  taskTimeoutMinutes: 1_000_000,
  maxAgeHours: null,
};

export interface Sandbox {
  root: string;
  workspace: string;
  stateDir: string;
  /** Environment for child processes: a private HOME and host state dir. */
  env: NodeJS.ProcessEnv;
}

const created: string[] = [];

/** Deletes this file's sandboxes (afterAll); TM_KEEP_SANDBOX=1 keeps them to look at. */
export function removeSandboxes(): void {
  if (process.env.TM_KEEP_SANDBOX === "1") return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh workspace (with an rc file) and a private host state dir under one temp folder. */
export function makeSandbox(
  name: string,
  policy: Record<string, unknown> = OPEN_POLICY,
  base = os.tmpdir(),
): Sandbox {
  const root = mkdtempSync(path.join(base, `tm-rel-${name}-`));
  created.push(root);
  const workspace = path.join(root, "ws");
  const stateDir = path.join(root, "state");
  mkdirSync(path.join(workspace, "memory"), { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(workspace, ".taskmanagerrc"), JSON.stringify(policy));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: path.join(root, "home"),
    CLAWDBOT_STATE_DIR: stateDir,
    TASK_MANAGER_WORKSPACE: workspace,
    TASK_MANAGER_LOCK_STALE_MS: "2000",
    TASK_MANAGER_CRASH_AT: "",
    TASK_MANAGER_PAUSE_AT: "",
  };
  return { root, workspace, stateDir, env };
}

export const queuePath = (s: Sandbox): string =>
  path.join(s.workspace, "memory", "pending_tasks.json");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

/** Runs a command with an argv array (never a shell) and collects its output. */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string | Buffer,
  cwd?: string,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: cwd ?? ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now() }),
    );
    child.stdin.on("error", () => {}); // a child killed early closes its stdin; that is the test's business
    child.stdin.end(input ?? "");
  });
}

export const cli = (
  s: Sandbox,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  input?: string | Buffer,
): Promise<Exit> =>
  run(process.execPath, [CLI, ...args, "--json"], { ...s.env, ...extraEnv }, input);

export const driver = (s: Sandbox, job: object, extraEnv: NodeJS.ProcessEnv = {}): Promise<Exit> =>
  run(process.execPath, [DRIVER, JSON.stringify(job)], { ...s.env, ...extraEnv });

/** Filesystem type of a folder as the kernel names it (ext4, tmpfs, …). */
export function fsType(dir: string): string {
  try {
    return execFileSync("findmnt", ["-n", "-o", "FSTYPE", "-T", dir], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** Mulberry32: a tiny seeded PRNG, so every random schedule can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed from TM_SEED (to replay a run) or a fresh one, always reported in the figures. */
export function seedFromEnv(): number {
  const fromEnv = Number(process.env.TM_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0
    ? fromEnv
    : Math.floor(Math.random() * 2 ** 31) + 1;
}

export function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
