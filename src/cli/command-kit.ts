/**
 * What every command of the full command line shares: the common options, running a body with
 * a context (a failure becomes exit 1 with a clear message), option parsers, and output forms.
 */
import { type Command, InvalidArgumentError } from "commander";
import type { Task } from "../core/queue-model.js";
import { createContext, type Context } from "../runtime/context.js";
import * as ops from "../runtime/operations.js";
import { printJson, printLine, reportFailure } from "./output.js";

export interface Common {
  workspace?: string;
  json?: boolean;
}

export function common(cmd: Command): Command {
  return cmd
    .option("-w, --workspace <dir>", "workspace folder (default: discovered, see INTEGRATION.md)")
    .option("--json", "print one JSON document");
}

/** Runs a command body with a context; failures become exit 1 with a clear message. */
export async function withContext(
  opts: Common,
  body: (ctx: Context) => Promise<void>,
): Promise<void> {
  try {
    const ctx = await createContext(opts.workspace ? { workspace: opts.workspace } : {});
    try {
      await body(ctx);
    } finally {
      await ctx.store.close();
    }
  } catch (err) {
    process.exitCode = reportFailure(err, opts.json === true);
  }
}

export function parseIntOption(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value))
      throw new InvalidArgumentError(`${name} must be a whole number, got "${value}".`);
    return Number(value);
  };
}

/** `--max-age`: hours (a positive number), or "none" for no limit (commander keeps no null, hence the word). */
export function parseMaxAge(value: string): number | "none" {
  if (value === "none") return "none";
  const hours = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(hours > 0))
    throw new InvalidArgumentError(
      `--max-age must be a number of hours above 0, or "none", got "${value}".`,
    );
  return hours;
}

export function printTask(task: Task, opts: Common, verb: string): void {
  if (opts.json) printJson({ status: "OK", task: ops.taskView(task) });
  else printLine(`${verb} ${task.id} (${task.state})`);
}

export function formatTable(tasks: Task[]): string {
  if (tasks.length === 0) return "(no tasks)";
  return tasks
    .map(
      (t) =>
        `${t.id}  ${t.state.padEnd(8)} p${t.priority}  tries ${t.attempts}  ${t.reason ? `[${t.reason}]  ` : ""}${t.prompt.replace(/\s+/g, " ").slice(0, 60)}`,
    )
    .join("\n");
}

/**
 * Free text given as "-": read from stdin, so an agent never has to put it inside a shell
 * argument (where `$(…)` and backticks run). The line breaks a heredoc or `echo` adds at the
 * end are not part of the text.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/(\r?\n)+$/, "");
}

export const textArg = async (value: string): Promise<string> =>
  value === "-" ? readStdin() : value;

/** `dead list`, `review list`, `expired list`: the tasks in one state. */
export const listIn = (state: Task["state"]) => async (o: Common) =>
  withContext(o, async (ctx) => {
    const tasks = await ops.tasksInState(ctx, state);
    if (o.json) printJson({ tasks: tasks.map(ops.taskView) });
    else printLine(formatTable(tasks));
  });
