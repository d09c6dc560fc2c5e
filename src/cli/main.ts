#!/usr/bin/env node
/**
 * Entry point, bundled into dist/bin/task-manager.cjs (the check itself into check.cjs). Only
 * the heartbeat's `check` is on a hot path (every tick, a fresh process), so it skips commander
 * and the other commands' modules; everything else loads the full program. Imports are dynamic
 * on purpose: the Node version guard must run before any other module's code, and a static
 * import would load both paths.
 */
import { enableCompileCache } from "./compile-cache.js";
import { parseFastCheck } from "./fast-path.js";

const nodeMajor = (): number => Number(process.versions.node.split(".")[0]);

/** Clawdbot's own floor; older Nodes lack APIs used here (process.getBuiltinModule, require(esm)). */
function nodeTooOld(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major < 22 || (major === 22 && minor < 12);
}

if (nodeTooOld()) {
  // Names the binary: under a gateway's exec tool the `node` on PATH is often not the one the
  // user runs (INTEGRATION.md, "Skill mode's heartbeat on each host").
  const message = `task-manager needs Node >= 22.12 (this is ${process.version}, ${process.execPath}). Put a newer Node first on PATH — for a gateway's exec tool, set its tools.exec.pathPrepend — or run \`source .ci/node-env.sh\` in a checkout of the package to fetch one from the npm registry.`;
  if (process.argv[2] === "check" || process.argv.includes("--json"))
    process.stdout.write(
      `${JSON.stringify({ status: "ERROR", code: "E_NODE_VERSION", message })}\n`,
    );
  else process.stderr.write(`task-manager: ${message}\n`);
  process.exit(1);
}

start().catch((err: unknown) => {
  process.stderr.write(
    `task-manager: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});

async function start(): Promise<void> {
  const fast = parseFastCheck(process.argv.slice(2));
  if (fast) {
    // Node 24's compile cache makes a check 3–5% faster (the bundle is not compiled again);
    // Node 22's made no difference beyond noise, so there it is not worth the files it writes.
    // Measured side by side; see INTEGRATION.md, "Performance".
    if (nodeMajor() >= 24) enableCompileCache();
    await (await loadCheck()).runCheckCommand(fast.workspace);
    return;
  }
  enableCompileCache();
  const { main } = await import("./program.js");
  await main(process.argv);
}

/**
 * The check: in the bundle, check.cjs next door, required (a dynamic import would start Node's
 * ES module loader, ~25 ms on Node 22); unbundled (tsc's output), the module itself.
 */
async function loadCheck(): Promise<typeof import("./check-command.js")> {
  if (typeof require === "function")
    return require("./check.cjs") as typeof import("./check-command.js");
  return import("./check-command.js");
}
