import { runCheck } from "../runtime/run-check.js";
import { createContext } from "../runtime/context.js";
import { disableReadCaching } from "../base/read-cache.js";
import { exitCodeFor, printJson, reportFailure } from "./output.js";

/** `task-manager check`: one status object on stdout, always JSON; exit 1 only for ERROR. */
export async function runCheckCommand(workspace: string | undefined): Promise<void> {
  disableReadCaching();
  try {
    const ctx = await createContext(workspace ? { workspace } : {});
    const started = ctx.deps.now();
    const status = await runCheck(ctx);
    if (status.status === "DEFERRED" && status.reason === "quota_cooldown") {
      // Rare (a check that just placed a quota hold): loaded only then, the idle check stays lean.
      const { askForHeartbeatAtHoldEnd } = await import("../runtime/early-heartbeat.js");
      const asked = await askForHeartbeatAtHoldEnd(ctx, status, started).catch(() => null);
      if (asked) status.heartbeat_requested = asked;
    }
    await ctx.store.close();
    printJson(status);
    process.exitCode = exitCodeFor(status);
  } catch (err) {
    process.exitCode = reportFailure(err, true);
  }
}
