import { runCheck } from "../runtime/run-check.js";
import { createContext } from "../runtime/context.js";
import { disableReadCaching } from "../base/read-cache.js";
import { exitCodeFor, printJson, reportFailure } from "./output.js";

/** `task-manager check`: one status object on stdout, always JSON; exit 1 only for ERROR. */
export async function runCheckCommand(workspace: string | undefined): Promise<void> {
  disableReadCaching();
  try {
    const ctx = await createContext(workspace ? { workspace } : {});
    const status = await runCheck(ctx);
    await ctx.store.close();
    printJson(status);
    process.exitCode = exitCodeFor(status);
  } catch (err) {
    process.exitCode = reportFailure(err, true);
  }
}
