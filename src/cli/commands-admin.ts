/** Running, serving and looking after the queue: run, db, store, serve, doctor. */
import { type Command, Option } from "commander";
import { doctor } from "../runtime/doctor.js";
import { type Common, common, parseIntOption, withContext } from "./command-kit.js";
import { printJson, printLine } from "./output.js";
import { runForeground } from "./run.js";

export function adminCommands(program: Command): void {
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
}
