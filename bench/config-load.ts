import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { cosmiconfig } from "cosmiconfig";
import type { BenchHome } from "../lib/bench-home.js";
import { loadPolicyFile } from "../src/policy/load.js";
import { parsePolicy } from "../src/policy/parse.js";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import type { BenchOptions } from "./options.js";
import type { Row } from "./report.js";
import { formatSpread, roundSummary, summarize } from "./statistics.js";

/**
 * What a check pays to find and read its config, now against the way it used to (issue 16,
 * point 2: "the check does not get slower"): our data-only loader against cosmiconfig 9 with its
 * default loaders, searched and validated exactly as src/policy/load.ts did before (one
 * workspace, no cache: each heartbeat check was a fresh process). Both run in this process,
 * interleaved with alternating order, over the same workspace and the same zod validation.
 */
type Loader = () => Promise<unknown>;

async function interleaved(a: Loader, b: Loader, pairs: number): Promise<[number[], number[]]> {
  const as: number[] = [];
  const bs: number[] = [];
  const time = async (f: Loader, into: number[]): Promise<void> => {
    const start = performance.now();
    await f();
    into.push(performance.now() - start);
  };
  for (let i = 0; i < 20; i++) await Promise.all([a(), b()]); // warm-up: modules, JIT, fs cache
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      await time(a, as);
      await time(b, bs);
    } else {
      await time(b, bs);
      await time(a, as);
    }
  }
  return [as, bs];
}

function cosmiconfigLoader(workspace: string): Loader {
  return async () => {
    const explorer = cosmiconfig("taskmanager", { searchStrategy: "none", cache: false });
    const found = await explorer.search(workspace);
    return parsePolicy(
      found && !found.isEmpty ? found.config : {},
      found?.filepath ?? "(defaults)",
    );
  };
}

async function row(
  id: string,
  measure: string,
  workspace: string,
  pairs: number,
  expectFile: boolean,
): Promise<Row> {
  const ours: Loader = async () => {
    const loaded = await loadPolicyFile(workspace, workspace);
    if ((loaded.file !== null) !== expectFile)
      throw new Error(
        `config load bench: expected ${expectFile ? "a" : "no"} config file in ${workspace}`,
      );
    return loaded;
  };
  const [a, b] = await interleaved(ours, cosmiconfigLoader(workspace), pairs);
  const mine = summarize(a);
  const theirs = summarize(b);
  return {
    id,
    measure,
    result: formatSpread(mine),
    reference: `cosmiconfig ${formatSpread(theirs)}`,
    ratio: `${(mine.median / theirs.median).toFixed(2)}×`,
    target: "≤ 1.0× (not slower)",
    met: mine.median <= theirs.median,
    data: { pairs, ours_ms: roundSummary(mine, 4), cosmiconfig_ms: roundSummary(theirs, 4) },
  };
}

export async function configLoadRows(opts: BenchOptions, home: BenchHome): Promise<Row[]> {
  const withRc = path.join(home.root, "config-load-rc");
  const without = path.join(home.root, "config-load-none");
  mkdirSync(withRc, { recursive: true });
  mkdirSync(without, { recursive: true });
  copyFileSync(
    path.join(PACKAGE_ROOT, "config", "taskmanagerrc.example.json"),
    path.join(withRc, ".taskmanagerrc"),
  );
  return [
    await row(
      "config_load_rc_vs_cosmiconfig",
      "config load, .taskmanagerrc (the example config), in-process",
      withRc,
      opts.configLoadPairs,
      true,
    ),
    await row(
      "config_load_none_vs_cosmiconfig",
      "config load, no config (every place searched), in-process",
      without,
      opts.configLoadPairs,
      false,
    ),
  ];
}
