import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";

/**
 * Bundles the CLI that tsc compiled into two CommonJS files in dist/bin/:
 * - task-manager.cjs, the entry (dist/cli/main.js): the Node version guard and the fast path's
 *   argument check, small enough that nothing else is compiled before they run;
 * - check.cjs, the heartbeat check (dist/cli/check-command.js and everything it needs), loaded
 *   by the entry after it has turned on Node's compile cache (Node >= 24, see main.ts) — the
 *   cache covers only modules loaded after it is on.
 * The heartbeat check is a fresh process every tick, and what it pays beyond starting Node is
 * mostly loading code (see `npm run bench`):
 * - one file instead of ~40 ES modules;
 * - CommonJS, because an ES module import of a builtin builds a facade that reads every export,
 *   and `node:fs`'s getters then load fs/promises, streams and readline for nothing;
 * - whitespace and syntax minified: 0.5–1 ms less to parse, measured side by side; names are
 *   kept, so stack traces still name the functions.
 * Every other command loads dist/cli/program.js, the unbundled ES modules, as before. Packages
 * are not bundled: commander, zod, cosmiconfig… load from node_modules when a command needs them.
 */
const outdir = path.join(PACKAGE_ROOT, "dist", "bin");

/**
 * What the entry does not contain: `./program.js` is imported from its tsc output, and
 * `./check-command.js` from the check bundle next door.
 */
const entryOutside: Plugin = {
  name: "entry-outside",
  setup(b) {
    b.onResolve({ filter: /^\.\/program\.js$/ }, () => ({
      path: "../cli/program.js",
      external: true,
    }));
    b.onResolve({ filter: /^\.\/check(-command\.js|\.cjs)$/ }, () => ({
      path: "./check.cjs",
      external: true,
    }));
  },
};

const bundle = (name: string, entry: string, plugins: Plugin[]) =>
  build({
    entryPoints: { [name]: path.join(PACKAGE_ROOT, "dist", "cli", entry) },
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node22",
    packages: "external",
    minifyWhitespace: true,
    minifySyntax: true,
    plugins,
    // import.meta does not exist in CommonJS; the bundle's own URL stands in (same depth in dist/).
    define: { "import.meta.url": "__bundleUrl" },
    // "use strict" first: after the banner, esbuild's own directive would be a plain string.
    banner: {
      js: '"use strict";\nvar __bundleUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    logLevel: "warning",
    write: false,
  });
// The check lands before the entry that loads it.
const outputs = [
  ...(await bundle("check", "check-command.js", [])).outputFiles,
  ...(await bundle("task-manager", "main.js", [entryOutside])).outputFiles,
];
// Each file lands by rename and stale files go last, so a CLI running during a rebuild (tests
// do this) never sees a missing or half-written file.
mkdirSync(outdir, { recursive: true });
const written = new Set<string>();
for (const file of outputs) {
  const temp = `${file.path}.tmp-${process.pid}`;
  writeFileSync(temp, file.contents, { mode: 0o755 });
  renameSync(temp, file.path);
  written.add(path.basename(file.path));
}
for (const name of readdirSync(outdir))
  if (!written.has(name)) rmSync(path.join(outdir, name), { force: true });
process.stderr.write(
  `bundle: wrote ${[...written].join(", ")} to ${path.relative(PACKAGE_ROOT, outdir)}/\n`,
);
