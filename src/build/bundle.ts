import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { PACKAGE_ROOT } from "../runtime/workspace.js";

/**
 * Bundles the CLI that tsc compiled (dist/cli/main.js) into one CommonJS file,
 * dist/bin/task-manager.cjs. The heartbeat check is a fresh process every tick, and what it pays
 * beyond starting Node is mostly loading code (see `npm run bench`):
 * - one file instead of ~35 ES modules;
 * - CommonJS, because an ES module import of a builtin builds a facade that reads every export,
 *   and `node:fs`'s getters then load fs/promises, streams and readline for nothing;
 * - whitespace and syntax minified: 0.5–1 ms less to parse, measured side by side; names are
 *   kept, so stack traces still name the functions.
 * The check's modules are in the bundle (started lazily, so the Node version guard runs first);
 * every other command loads dist/cli/program.js, the unbundled ES modules, as before. Packages
 * are not bundled: commander, zod, cosmiconfig… load from node_modules when a command needs them.
 */
const outdir = path.join(PACKAGE_ROOT, "dist", "bin");
const entryName = "task-manager";

/** `./program.js` stays outside the bundle, imported from its tsc output next door. */
const programOutside: Plugin = {
  name: "program-outside",
  setup(b) {
    b.onResolve({ filter: /^\.\/program\.js$/ }, () => ({ path: "../cli/program.js", external: true }));
  },
};

const result = await build({
  entryPoints: { [entryName]: path.join(PACKAGE_ROOT, "dist", "cli", "main.js") },
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node22",
  packages: "external",
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [programOutside],
  // import.meta does not exist in CommonJS; the bundle's own URL stands in (same depth in dist/).
  define: { "import.meta.url": "__bundleUrl" },
  // "use strict" first: after the banner, esbuild's own directive would be a plain string.
  banner: { js: '"use strict";\nvar __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
  write: false,
});
// Each file lands by rename and stale files go last, so a CLI running during a rebuild (tests
// do this) never sees a missing or half-written file.
mkdirSync(outdir, { recursive: true });
const written = new Set<string>();
for (const file of result.outputFiles) {
  const temp = `${file.path}.tmp-${process.pid}`;
  writeFileSync(temp, file.contents, { mode: 0o755 });
  renameSync(temp, file.path);
  written.add(path.basename(file.path));
}
for (const name of readdirSync(outdir)) if (!written.has(name)) rmSync(path.join(outdir, name), { force: true });
process.stderr.write(`bundle: wrote ${[...written].join(", ")} to ${path.relative(PACKAGE_ROOT, outdir)}/\n`);
