import { cpSync, rmSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";

/**
 * The page ships as written — one HTML file, one script, one stylesheet, no framework and
 * no build of its own — so the build only copies it next to the compiled handler
 * (dist/page/static/). The script is type-checked by `npm run typecheck` (src/page/static/tsconfig.json).
 */
const from = path.join(PACKAGE_ROOT, "src", "page", "static");
const to = path.join(PACKAGE_ROOT, "dist", "page", "static");
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith("tsconfig.json") });
process.stderr.write(
  `page-assets: copied ${path.relative(PACKAGE_ROOT, from)}/ to ${path.relative(PACKAGE_ROOT, to)}/\n`,
);
