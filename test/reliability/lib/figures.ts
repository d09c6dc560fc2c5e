import { mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { fsType, ROOT } from "./env.ts";
import os from "node:os";

const FILE = path.join(ROOT, ".cache", "reliability-figures.json");

/**
 * Prints one `FIGURE {...}` line and merges it into .cache/reliability-figures.json (test files
 * run in parallel workers, so the merge is done under a lock). Node version and the temp dir's
 * filesystem ride along with every figure, as RELIABILITY.md asks.
 */
export async function recordFigure(
  name: string,
  figure: Record<string, unknown>,
  dir = os.tmpdir(),
): Promise<void> {
  const full = {
    test: name,
    ...figure,
    node: process.version,
    fs: fsType(dir),
    at: new Date().toISOString(),
  };
  console.log(`FIGURE ${JSON.stringify(full)}`);
  mkdirSync(path.dirname(FILE), { recursive: true });
  const release = await lockfile.lock(path.dirname(FILE), {
    lockfilePath: `${FILE}.lock`,
    retries: { retries: 100, minTimeout: 10, maxTimeout: 100 },
  });
  try {
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(readFileSync(FILE, "utf8")) as Record<string, unknown>;
    } catch {
      all = {};
    }
    all[name] = full;
    writeFileSync(`${FILE}.tmp`, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(`${FILE}.tmp`, FILE);
  } finally {
    await release();
  }
}
