/** Tasks out of rotation (dead, under review, expired) and pausing the whole queue. */
import type { Command } from "commander";
import * as ops from "../runtime/operations.js";
import { type Common, common, listIn, printTask, withContext } from "./command-kit.js";
import { printJson, printLine } from "./output.js";

export function stateCommands(program: Command): void {
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
}
