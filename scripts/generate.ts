import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { generatedArtifacts } from "./artifacts.js";

/** `npm run generate`: rewrites the files derived from the policy schema. */
const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  version: string;
};
for (const [rel, content] of Object.entries(generatedArtifacts(pkg.version))) {
  writeFileSync(path.join(PACKAGE_ROOT, rel), content);
  process.stderr.write(`generate: wrote ${rel}\n`);
}
