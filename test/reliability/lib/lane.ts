import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { FileQueueStore } from "../../../dist/store/file/file-store.js";
import type { Queue } from "../../../dist/core/queue-model.js";
import { DRIVER, driver, queuePath, type Exit, type Sandbox } from "./env.ts";
import { EVERYTHING } from "../../../dist/core/views.js";

/** One crash to inflict: a driver job killed at a named point, or a loop killed at random. */
export interface Kill {
  kind: "add" | "dispatch" | "loop";
  at: string;
}

export const FIXED_KILLS: Kill[] = [
  { kind: "add", at: "after_lock" },
  { kind: "add", at: "after_stage" },
  { kind: "add", at: "after_rename" },
  { kind: "dispatch", at: "after_lock" },
  { kind: "dispatch", at: "after_stage" },
  { kind: "dispatch", at: "after_rename" },
  { kind: "dispatch", at: "after_claim" },
  { kind: "dispatch", at: "after_spawn" },
  { kind: "dispatch", at: "after_rename#2" },
];
export const RANDOM_KILL: Kill = { kind: "loop", at: "random" };

/** Steps move the clock on by 10 minutes each, so a claim left by a killed step has expired by the next. */
export const STEP_MS = 10 * 60_000;

export const ackLogOf = (s: Sandbox): string => path.join(s.root, "acked.log");
export const holdersOf = (s: Sandbox): string => path.join(s.root, "holders");

export function acknowledgedAdds(s: Sandbox): string[] {
  const file = ackLogOf(s);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { added: string }).added);
}

export function stagedFiles(s: Sandbox): string[] {
  return readdirSync(path.dirname(queuePath(s))).filter((n) =>
    n.startsWith(".pending_tasks.json.staged-"),
  );
}

/** The queue as any reader sees it; null when it does not parse (counted as unparseable). */
export async function readQueue(s: Sandbox): Promise<Queue | null> {
  try {
    return (
      await new FileQueueStore({ workspace: s.workspace, file: queuePath(s) }).read(EVERYTHING)
    ).queue;
  } catch {
    return null;
  }
}

export function stepJob(
  s: Sandbox,
  kind: Kill["kind"],
  clockOffsetMs: number,
  prompt?: string,
): object {
  return {
    kind,
    workspace: s.workspace,
    clockOffsetMs,
    ackLog: ackLogOf(s),
    holdersDir: holdersOf(s),
    ...(prompt ? { prompt } : {}),
  };
}

/** Starts a looping driver, waits until it is working, lets it run `delayMs`, then SIGKILLs it. */
export function killLoopAfter(s: Sandbox, clockOffsetMs: number, delayMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [DRIVER, JSON.stringify(stepJob(s, "loop", clockOffsetMs))],
      { env: s.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      const first = stdout === "";
      stdout += d.toString();
      if (first) setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now() }),
    );
  });
}

export function inflict(
  s: Sandbox,
  kill: Kill,
  clockOffsetMs: number,
  randomDelayMs: number,
): Promise<Exit> {
  if (kill.kind === "loop") return killLoopAfter(s, clockOffsetMs, randomDelayMs);
  // A unique prompt: a duplicate add writes nothing and would never reach the crash point.
  return driver(s, stepJob(s, kind(kill), clockOffsetMs, `crash ${kill.at} t${clockOffsetMs}`), {
    TASK_MANAGER_CRASH_AT: kill.at,
  });
}

const kind = (kill: Kill): "add" | "dispatch" => (kill.kind === "add" ? "add" : "dispatch");
