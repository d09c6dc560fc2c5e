import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { PACKAGE_ROOT } from "../runtime/workspace.js";

/**
 * Bundles the CLI that tsc compiled (dist/cli/main.js) into dist/bin/: the heartbeat check is a
 * fresh process every tick, and loading a few files instead of ~35 ES modules is a large part
 * of its start-up (see `npm run bench`). Dynamic imports stay separate chunks, so commander,
 * zod and cosmiconfig still load only for the commands that need them; packages are not
 * bundled (they load from node_modules as usual).
 */
const outdir = path.join(PACKAGE_ROOT, "dist", "bin");
const result = await build({
  entryPoints: { "task-manager": path.join(PACKAGE_ROOT, "dist", "cli", "main.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  packages: "external",
  logLevel: "warning",
  write: false,
});
// Each file lands by rename and stale chunks go last, so a CLI running during a rebuild
// (tests do this) never sees a missing or half-written file.
mkdirSync(outdir, { recursive: true });
const written = new Set<string>();
for (const file of result.outputFiles) {
  const temp = `${file.path}.tmp-${process.pid}`;
  writeFileSync(temp, file.contents, { mode: 0o755 });
  renameSync(temp, file.path);
  written.add(path.basename(file.path));
}
for (const name of readdirSync(outdir)) if (!written.has(name)) rmSync(path.join(outdir, name), { force: true });
process.stderr.write(`bundle: wrote ${written.size} files to ${path.relative(PACKAGE_ROOT, outdir)}/ (entry: task-manager.js)\n`);
