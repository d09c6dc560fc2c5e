/**
 * The full command line (commander). `check` is also reachable without it, see main.ts; both
 * run the same runCheckCommand.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { TaskManagerError } from "../base/errors.js";
import { escapeControlChars } from "../base/terminal.js";
import type { Task } from "../core/queue-model.js";
import { createContext, type Context } from "../runtime/context.js";
import { doctor } from "../runtime/doctor.js";
import * as ops from "../runtime/operations.js";
import { limitsLines, parseMaxCost } from "./limits-text.js";
import { runForeground } from "./run.js";
import { runCheckCommand } from "./check-command.js";
import { printJson, printLine, reportFailure } from "./output.js";

interface Common {
  workspace?: string;
  json?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option("-w, --workspace <dir>", "workspace folder (default: discovered, see INTEGRATION.md)")
    .option("--json", "print one JSON document");
}

/** Runs a command body with a context; failures become exit 1 with a clear message. */
async function withContext(opts: Common, body: (ctx: Context) => Promise<void>): Promise<void> {
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

function parseIntOption(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value))
      throw new InvalidArgumentError(`${name} must be a whole number, got "${value}".`);
    return Number(value);
  };
}

/** `--max-age`: hours (a positive number), or "none" for no limit (commander keeps no null, hence the word). */
function parseMaxAge(value: string): number | "none" {
  if (value === "none") return "none";
  const hours = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(hours > 0))
    throw new InvalidArgumentError(
      `--max-age must be a number of hours above 0, or "none", got "${value}".`,
    );
  return hours;
}

function printTask(task: Task, opts: Common, verb: string): void {
  if (opts.json) printJson({ status: "OK", task: ops.taskView(task) });
  else printLine(`${verb} ${task.id} (${task.state})`);
}

function formatTable(tasks: Task[]): string {
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

const textArg = async (value: string): Promise<string> => (value === "-" ? readStdin() : value);

function formatStats(s: ops.Stats): string {
  const usd = (n: number | null): string => (n === null ? "n/a" : `$${n.toFixed(4)}`);
  const lines = [
    `${Object.entries(s.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `runs ${s.history.runs}; success rate ${s.history.success_rate ?? "n/a"}; mean run ${s.history.mean_run_seconds ?? "n/a"} s`,
    ...Object.entries(s.spend.by_model).map(
      ([m, r]) =>
        `  ${m}: ${r.runs} runs, ${r.done} done, ${r.input} in / ${r.output} out tokens, ${usd(r.cost_usd)}${r.unpriced_runs > 0 ? ` (+${r.unpriced_runs} unpriced)` : ""}`,
    ),
    `spend ${usd(s.spend.total_usd)}; on the main model${s.spend.main_model ? ` (${s.spend.main_model})` : ""} ${usd(s.spend.on_main_model_usd)}; saved ${usd(s.spend.saved_usd)}`,
    ...s.holds.map(
      (h) =>
        `hold ${h.key} (${h.scope}) ${h.state} until ${h.until} (from ${h.source})${h.probe_task ? `, probe ${h.probe_task}` : ""}`,
    ),
    ...limitsLines(s),
  ];
  return lines.join("\n");
}

export function buildProgram(): Command {
  const program = new Command("task-manager")
    .description(
      "Durable queue that resumes failed or interrupted agent tasks on the heartbeat, on cheap models.",
    )
    .showHelpAfterError()
    .exitOverride()
    // commander's usage errors quote the argument they refused, which may be task text: shown
    // escaped like every other output, never sent raw to a terminal.
    .configureOutput({
      writeOut: (text) => process.stdout.write(escapeControlChars(text)),
      writeErr: (text) => process.stderr.write(escapeControlChars(text)),
    });

  common(
    program
      .command("check")
      .description("heartbeat check: settle runs, then READY (task claimed) / DEFERRED / NO_TASKS"),
  ).action(async (o: Common) => runCheckCommand(o.workspace));

  common(
    program.command("add <prompt>").description('queue a task ("-" reads the text from stdin)'),
  )
    .option(
      "-p, --priority <n>",
      "lower runs first: 1 (most urgent) to 1000",
      parseIntOption("--priority"),
      5,
    )
    .option("-s, --source <name>", "where the task came from", "cli")
    .option("-k, --key <key>", "dedupe key: a second add with the same key is a DUPLICATE")
    .option(
      "--max-age <hours>",
      'not started once older than this (default: maxAgeHours); "none": no limit',
      parseMaxAge,
    )
    .option(
      "--idempotent",
      "safe to repeat: a run cut off after it acted is retried, not put under review",
    )
    .option("--no-idempotent", "not safe to repeat, whatever idempotentByDefault says")
    .option(
      "--max-cost <usd>",
      "what one run may cost, in USD: budgets reserve this instead of the model's recent mean",
      parseMaxCost,
    )
    .action(
      async (
        prompt: string,
        o: Common & {
          priority: number;
          source: string;
          key?: string;
          maxAge?: number | "none";
          idempotent?: boolean;
          maxCost?: number;
        },
      ) =>
        withContext(o, async (ctx) => {
          const text = await textArg(prompt);
          const r = await ops.addTask(ctx, {
            prompt: text,
            priority: o.priority,
            source: o.source,
            key: o.key ?? null,
            ...(o.maxAge !== undefined
              ? { maxAgeHours: o.maxAge === "none" ? null : o.maxAge }
              : {}),
            ...(o.idempotent !== undefined ? { idempotent: o.idempotent } : {}),
            ...(o.maxCost !== undefined ? { maxCostUsd: o.maxCost } : {}),
          });
          if (o.json) printJson({ status: r.status, task: ops.taskView(r.task) });
          else printLine(`${r.status === "ADDED" ? "added" : "duplicate of"} ${r.task.id}`);
        }),
    );

  common(program.command("list").description("tasks waiting or in flight"))
    .option("-a, --all", "include done and dead tasks")
    .action(async (o: Common & { all?: boolean }) =>
      withContext(o, async (ctx) => {
        const tasks = await ops.listTasks(ctx, o.all === true);
        if (o.json) printJson({ tasks: tasks.map(ops.taskView) });
        else printLine(formatTable(tasks));
      }),
    );

  common(program.command("show <id>").description("one task, every field")).action(
    async (id: string, o: Common) =>
      withContext(o, async (ctx) => {
        const task = await ops.showTask(ctx, id);
        if (o.json) printJson({ task });
        else printLine(JSON.stringify(task, null, 2));
      }),
  );

  common(program.command("ack <id>").description("record the spawned run (claimed → running)"))
    .option("-r, --run-id <id>", "run id returned by sessions_spawn / agent")
    .option("-k, --session-key <key>", "child session key (lets checks read its transcript)")
    .option("-m, --model <model>", "model the run was started on")
    .action(
      async (id: string, o: Common & { runId?: string; sessionKey?: string; model?: string }) =>
        withContext(o, async (ctx) => {
          if (!o.runId && !o.sessionKey)
            throw new TaskManagerError(
              "E_INVALID_INPUT",
              "ack needs --run-id or --session-key (both, when you have them).",
            );
          printTask(
            await ops.ackTask(ctx, id, {
              runId: o.runId ?? null,
              sessionKey: o.sessionKey ?? null,
              model: o.model ?? null,
            }),
            o,
            "running",
          );
        }),
    );

  common(
    program
      .command("done <id>")
      .description("mark a task done (also one under review whose run did the work)"),
  ).action(async (id: string, o: Common) =>
    withContext(o, async (ctx) => printTask(await ops.completeTask(ctx, id), o, "done")),
  );

  common(
    program
      .command("fail <id>")
      .description("record a failed run (retried with backoff, dead after the limit)"),
  )
    .requiredOption("-e, --error <text>", 'what went wrong ("-" reads it from stdin)')
    .action(async (id: string, o: Common & { error: string }) =>
      withContext(o, async (ctx) =>
        printTask(await ops.failTask(ctx, id, await textArg(o.error)), o, "failed:"),
      ),
    );

  common(program.command("remove <id>").description("delete a task")).action(
    async (id: string, o: Common) =>
      withContext(o, async (ctx) => printTask(await ops.removeTask(ctx, id), o, "removed")),
  );

  common(
    program
      .command("stats")
      .description("counts per state, success rate, mean run time, spend per model, quota holds"),
  ).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      const s = await ops.stats(ctx);
      if (o.json) printJson(s);
      else printLine(formatStats(s));
    }),
  );

  const listIn = (state: Task["state"]) => async (o: Common) =>
    withContext(o, async (ctx) => {
      const tasks = await ops.tasksInState(ctx, state);
      if (o.json) printJson({ tasks: tasks.map(ops.taskView) });
      else printLine(formatTable(tasks));
    });

  const dead = program.command("dead").description("dead-lettered tasks");
  common(
    dead.command("list").description("tasks out of attempts, or stopped by the crash-loop breaker"),
  ).action(listIn("dead"));
  common(dead.command("retry <id>").description("give a dead task a fresh set of attempts")).action(
    async (id: string, o: Common) =>
      withContext(o, async (ctx) => printTask(await ops.retryDead(ctx, id), o, "retrying")),
  );
  common(dead.command("purge").description("delete all dead tasks")).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      const removed = await ops.purgeDead(ctx);
      if (o.json) printJson({ status: "OK", removed });
      else printLine(`purged ${removed}`);
    }),
  );

  const review = program
    .command("review")
    .description(
      "tasks whose run may have acted before it stopped unfinished: not re-run without you",
    );
  common(review.command("list").description("tasks waiting for review")).action(listIn("review"));
  common(
    review.command("retry <id>").description("run it again (it may repeat what the last run did)"),
  ).action(async (id: string, o: Common) =>
    withContext(o, async (ctx) => printTask(await ops.retryReviewed(ctx, id), o, "retrying")),
  );
  common(review.command("drop <id>").description("delete it: it must not run again")).action(
    async (id: string, o: Common) =>
      withContext(o, async (ctx) => printTask(await ops.dropReviewed(ctx, id), o, "dropped")),
  );

  const expired = program
    .command("expired")
    .description("tasks older than their maximum age: never started on their own");
  common(expired.command("list").description("expired tasks")).action(listIn("expired"));
  common(
    expired.command("retry <id>").description("queue it again; its age counts from now"),
  ).action(async (id: string, o: Common) =>
    withContext(o, async (ctx) => printTask(await ops.reviveExpired(ctx, id), o, "retrying")),
  );
  common(expired.command("purge").description("delete all expired tasks")).action(
    async (o: Common) =>
      withContext(o, async (ctx) => {
        const removed = await ops.purgeExpired(ctx);
        if (o.json) printJson({ status: "OK", removed });
        else printLine(`purged ${removed}`);
      }),
  );

  common(
    program
      .command("priority")
      .description("change a waiting (or dead) task's priority: lower runs first")
      .argument("<id>", "task id")
      .argument("<n>", "new priority: 1 (most urgent) to 1000", parseIntOption("priority")),
  ).action(async (id: string, n: number, o: Common) =>
    withContext(o, async (ctx) =>
      printTask(await ops.setPriority(ctx, id, n), o, `priority ${n}:`),
    ),
  );

  common(
    program.command("pause").description("stop recommending tasks (checks answer DEFERRED/paused)"),
  ).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      await ops.setPaused(ctx, true);
      if (o.json) printJson({ status: "OK", paused: true });
      else printLine("paused");
    }),
  );
  common(program.command("resume").description("undo pause")).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      await ops.setPaused(ctx, false);
      if (o.json) printJson({ status: "OK", paused: false });
      else printLine("resumed");
    }),
  );

  common(
    program
      .command("run")
      .description("foreground scheduler: a check on every `schedule` tick (one JSON line each)"),
  )
    .addOption(new Option("--once", "run one check and exit").hideHelp())
    .action(async (o: Common & { once?: boolean }) =>
      withContext(o, (ctx) => runForeground(ctx, o.once === true)),
    );

  const db = program.command("db").description("the PostgreSQL store's schema");
  common(
    db
      .command("migrate")
      .description("create or upgrade task-manager's tables (also done on first use)"),
  ).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      const { migrateDatabase } = await import("../runtime/store-move.js");
      const r = await migrateDatabase(ctx);
      if (o.json) printJson(r);
      else
        printLine(
          `schema ${r.schema} in ${r.location}: version ${r.from} → ${r.to}${r.applied.length ? ` (applied ${r.applied.map((m) => m.version).join(", ")})` : " (nothing to do)"}`,
        );
    }),
  );

  const store = program
    .command("store")
    .description("where the queue lives: the file or PostgreSQL");
  common(
    store
      .command("migrate")
      .description("copy the queue into the other store (refused when that one is not empty)"),
  )
    .addOption(
      new Option("--to <kind>", "the store to copy into")
        .choices(["postgres", "file"])
        .makeOptionMandatory(),
    )
    .action(async (o: Common & { to: "postgres" | "file" }) =>
      withContext(o, async (ctx) => {
        const { moveQueue } = await import("../runtime/store-move.js");
        const r = await moveQueue(ctx, o.to);
        if (o.json) printJson(r);
        else
          printLine(
            `copied ${r.tasks} tasks, ${r.history} runs, ${r.holds} holds, ${r.alerts} alerts from ${r.from.location} to ${r.to.location}. ${r.note}`,
          );
      }),
    );

  common(
    program
      .command("serve")
      .description("status page on loopback behind a random token; prints the URL to open"),
  )
    .option("--port <n>", "port (default: any free one)", parseIntOption("--port"), 0)
    .option("--host <addr>", "loopback address to bind: 127.0.0.1, ::1 or localhost", "127.0.0.1")
    .action(async (o: Common & { port: number; host: string }) =>
      withContext(o, async (ctx) => {
        // Loaded here only: node:http and the page stay out of every other command.
        const { serveForeground } = await import("./serve.js");
        await serveForeground(ctx, { host: o.host, port: o.port });
      }),
    );

  common(
    program
      .command("doctor")
      .description("what task-manager found: workspace, queue, config, host, schedule"),
  ).action(async (o: Common) =>
    withContext(o, async (ctx) => {
      const report = await doctor(ctx);
      printLine(o.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
    }),
  );

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not failures; everything else commander rejects is usage.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportFailure(err, argv.includes("--json"));
  }
}
