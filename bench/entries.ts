import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, "..", ".cache", "bench");

/**
 * A bench script that runs in a process of its own (an adder of the contention row, the RPC
 * client the OpenClaw row times), bundled to plain JavaScript first: timed from its spawn, it
 * must not pay for a TypeScript loader that no user's process would load.
 */
export async function compiledEntry(
  name: "add-worker" | "rpc-sessions" | "store-worker",
): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const outfile = path.join(OUT, `${name}.mjs`);
  await build({
    entryPoints: [path.join(HERE, `${name}.ts`)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    logLevel: "warning",
  });
  return outfile;
}
