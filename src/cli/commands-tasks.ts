/** The commands on tasks: check, add, list, show, ack, done, fail, remove, priority, stats. */
import type { Command } from "commander";
import { TaskManagerError } from "../base/errors.js";
import * as ops from "../runtime/operations.js";
import { runCheckCommand } from "./check-command.js";
import {
  type Common,
  common,
  formatTable,
  parseIntOption,
  parseMaxAge,
  printTask,
  textArg,
  withContext,
} from "./command-kit.js";
import { limitsLines, parseMaxCost } from "./limits-text.js";
import { printJson, printLine } from "./output.js";

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

export function taskCommands(program: Command): void {
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
}
