import type { Context } from "../runtime/context.js";
import { servePage } from "../page/server.js";
import { printLine } from "./output.js";

/** `task-manager serve`: the status page on loopback until SIGINT/SIGTERM; stdout gets exactly one line, the URL. */
export async function serveForeground(
  ctx: Context,
  opts: { host?: string; port?: number },
): Promise<void> {
  const serving = await servePage({ context: ctx, logger: ctx.deps.logger, ...opts });
  printLine(serving.url);
  ctx.deps.logger.info(
    `serve: status page for ${ctx.workspace.dir} on ${serving.url.replace(/\?token=.*/, "")} (open the URL above; Ctrl-C stops)`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void serving.close().then(() => {
        ctx.deps.logger.info("serve: stopped");
        resolve();
      });
    };
    // `on`, not `once`: see run.ts (proper-lockfile's signal-exit re-raises when no listener is left).
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
