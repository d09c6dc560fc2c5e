#!/usr/bin/env node
/**
 * Entry point. Only the heartbeat's `check` is on a hot path (every tick, a fresh process), so
 * it skips commander and the other commands' modules; everything else loads the full program.
 * Imports are dynamic on purpose: a static import would load both paths before any code runs,
 * and before the compile cache is on.
 */
import { enableCompileCache } from "./compile-cache.js";
import { parseFastCheck } from "./fast-path.js";

/** Clawdbot's own floor; older Nodes lack APIs used here (process.getBuiltinModule, require(esm)). */
function nodeTooOld(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major < 22 || (major === 22 && minor < 12);
}

if (nodeTooOld()) {
  const message = `task-manager needs Node >= 22.12 (this is ${process.version}). Install a newer Node, or run \`source .ci/node-env.sh\` in the package folder to fetch one from the npm registry.`;
  if (process.argv[2] === "check" || process.argv.includes("--json")) process.stdout.write(`${JSON.stringify({ status: "ERROR", code: "E_NODE_VERSION", message })}\n`);
  else process.stderr.write(`task-manager: ${message}\n`);
  process.exit(1);
}

enableCompileCache();
const fast = parseFastCheck(process.argv.slice(2));
if (fast) {
  const { runCheckCommand } = await import("./check-command.js");
  await runCheckCommand(fast.workspace);
} else {
  const { main } = await import("./program.js");
  await main(process.argv);
}
