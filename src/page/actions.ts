import { TaskManagerError } from "../base/errors.js";
import type { Context } from "../runtime/context.js";
import * as ops from "../runtime/operations.js";

/** What the page may change, each one a CLI operation: same transition, same lock, same file. */
export type Action =
  | { kind: "add" }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "retry"; id: string }
  | { kind: "remove"; id: string }
  | { kind: "priority"; id: string };

const TASK_ACTIONS = new Set(["retry", "remove", "priority"]);
const TASK_ID = /^t_[a-z0-9]+$/;

/** The action a POST path names (`tasks`, `pause`, `resume`, `tasks/<id>/<verb>`), or null. */
export function parseAction(rest: string): Action | null {
  if (rest === "tasks") return { kind: "add" };
  if (rest === "pause" || rest === "resume") return { kind: rest };
  const m = /^tasks\/([^/]+)\/([a-z]+)$/.exec(rest);
  if (!m || !TASK_ACTIONS.has(m[2]!) || !TASK_ID.test(m[1]!)) return null;
  return { kind: m[2] as "retry" | "remove" | "priority", id: m[1]! };
}

function integer(body: Record<string, unknown>, key: string, fallback?: number): number {
  const v = body[key] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new TaskManagerError(
      "E_INVALID_INPUT",
      `"${key}" must be a whole number, got ${JSON.stringify(v ?? null)}.`,
      { key },
    );
  return v;
}

/** Runs one action; the answer is what the CLI prints for the same command with --json. */
export async function runAction(
  ctx: Context,
  action: Action,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  switch (action.kind) {
    case "add": {
      if (typeof body.prompt !== "string" || body.prompt.trim() === "")
        throw new TaskManagerError("E_INVALID_INPUT", '"prompt" must be a non-empty string.', {
          key: "prompt",
        });
      const r = await ops.addTask(ctx, {
        prompt: body.prompt,
        priority: integer(body, "priority", 5),
        source: "status-page",
        key: null,
      });
      return { status: r.status, task: ops.taskView(r.task) };
    }
    case "pause":
    case "resume":
      return { status: "OK", paused: await ops.setPaused(ctx, action.kind === "pause") };
    case "retry":
      return { status: "OK", task: ops.taskView(await ops.retryTask(ctx, action.id)) };
    case "remove":
      return { status: "OK", task: ops.taskView(await ops.removeTask(ctx, action.id)) };
    case "priority":
      return {
        status: "OK",
        task: ops.taskView(await ops.setPriority(ctx, action.id, integer(body, "priority"))),
      };
  }
}
