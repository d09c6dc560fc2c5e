import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { isTaskManagerError } from "../../../dist/base/errors.js";
import { createContext, type Context } from "../../../dist/runtime/context.js";
import * as ops from "../../../dist/runtime/operations.js";
import { makeSandbox, type Sandbox } from "./env.ts";

export async function contextFor(s: Sandbox): Promise<Context> {
  return createContext({ workspace: s.workspace, deps: { env: s.env } });
}

/** A real queue file written by the package: tasks in several states, history and all. */
export async function validQueueBytes(): Promise<Buffer> {
  const s = makeSandbox("valid");
  const ctx = await contextFor(s);
  const a = await ops.addTask(ctx, { prompt: "summarise the logs", priority: 2 });
  await ops.addTask(ctx, {
    prompt: "retry: fetch $(weather) `now`; ok\nline two",
    source: "capture",
    key: "k1",
  });
  await ops.ackTask(ctx, a.task.id, {
    runId: "run-1",
    sessionKey: "agent:main:subagent:x",
    model: "google/gemini-2.5-flash",
  });
  await ops.completeTask(ctx, a.task.id);
  await ops.addTask(ctx, { prompt: "third" });
  return readFileSync(ctx.store.location);
}

export const sha = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

export interface Refusal {
  code: string | null;
  unchanged: boolean;
  quarantined: boolean;
}

/** Puts `bytes` in place, tries a write through the store, and reports what happened to the file. */
export async function tryWriteOver(ctx: Context, bytes: Buffer): Promise<Refusal> {
  const file = ctx.store.location;
  writeFileSync(file, bytes);
  let code: string | null = null;
  let quarantine: string | null = null;
  try {
    await ops.addTask(ctx, { prompt: `new ${Math.random()}` });
  } catch (err) {
    if (!isTaskManagerError(err)) throw err;
    code = err.code;
    quarantine = typeof err.details.quarantine === "string" ? err.details.quarantine : null;
  }
  const unchanged = sha(readFileSync(file)) === sha(bytes);
  const quarantined =
    quarantine !== null && existsSync(quarantine) && sha(readFileSync(quarantine)) === sha(bytes);
  if (quarantine) rmSync(quarantine, { force: true });
  return { code, unchanged, quarantined };
}
