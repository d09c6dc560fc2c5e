#!/usr/bin/env node
/**
 * Entry point. Only the heartbeat's `check` is on a hot path (every tick, a fresh process), so
 * it skips commander and the other commands' modules; everything else loads the full program.
 * Imports are dynamic on purpose: a static import would load both paths before any code runs,
 * and before the compile cache is on.
 */
import { enableCompileCache } from "./compile-cache.js";
import { parseFastCheck } from "./fast-path.js";

enableCompileCache();
const fast = parseFastCheck(process.argv.slice(2));
if (fast) {
  const { runCheckCommand } = await import("./check-command.js");
  await runCheckCommand(fast.workspace);
} else {
  const { main } = await import("./program.js");
  await main(process.argv);
}
