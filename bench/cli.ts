import { existsSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/runtime/workspace.js";
import { HOST_ENTRY, type BenchHome } from "../lib/bench-home.js";
import type { BenchOptions } from "./options.js";
import { interleave, maxRssMiB, rssMethod, type Command } from "./proc.js";
import { type Row, skippedRow } from "./report.js";
import { formatSpread, roundSummary, summarize } from "./statistics.js";

export const CLI = path.join(PACKAGE_ROOT, "dist", "bin", "task-manager.cjs");

function expectDeferred(stdout: string): string | null {
  try {
    const status = JSON.parse(stdout) as { status?: string; reason?: string };
    return status.status === "DEFERRED" && status.reason === "concurrency_limit"
      ? null
      : `expected DEFERRED/concurrency_limit, got ${stdout.slice(0, 300)}`;
  } catch {
    return `stdout is not one JSON document: ${stdout.slice(0, 300)}`;
  }
}

function expectSessions(stdout: string): string | null {
  try {
    const out = JSON.parse(stdout) as { count?: number };
    return typeof out.count === "number" && out.count >= 4
      ? null
      : `expected the bench's 4 sessions, got ${stdout.slice(0, 300)}`;
  } catch {
    return `stdout is not JSON: ${stdout.slice(0, 300)}`;
  }
}

export function commands(home: BenchHome): { floor: Command; check: Command; sessions: Command } {
  return {
    floor: { label: "node -e 0", file: process.execPath, args: ["-e", "0"], env: home.env },
    check: {
      label: "task-manager check",
      file: process.execPath,
      args: [CLI, "check", "-w", home.workspace],
      env: home.env,
      verify: expectDeferred,
    },
    // As a user (and the original heartbeat script) runs it: entry.js, respawn included.
    sessions: {
      label: "clawdbot sessions",
      file: process.execPath,
      args: [HOST_ENTRY, "sessions", "--active", "30", "--json"],
      env: home.env,
      verify: expectSessions,
    },
  };
}

const ms = (v: number): string => `${v.toFixed(v < 100 ? 1 : 0)} ms`;

/** The CLI check against the cost of starting Node at all. */
export function cliVsNodeRow(opts: BenchOptions, home: BenchHome): Row {
  const c = commands(home);
  const runs = interleave(c.check, c.floor, opts.cliPairs);
  const check = summarize(runs.a);
  const floor = summarize(runs.b);
  const ratio = check.median / floor.median;
  return {
    id: "cli_check_vs_node",
    measure: `CLI check, ${opts.cliQueueTasks}-task queue (DEFERRED, no write)`,
    result: formatSpread(check, ms),
    reference: `node -e 0: ${formatSpread(floor, ms)}`,
    ratio: `${ratio.toFixed(2)}×`,
    target: "≤ 1.5×",
    met: ratio <= 1.5,
    data: {
      pairs: opts.cliPairs,
      check_ms: roundSummary(check, 2),
      node_ms: roundSummary(floor, 2),
      ratio: Number(ratio.toFixed(3)),
    },
  };
}

/**
 * This build's check against another build's, on the same queue: `TASK_MANAGER_BENCH_REFERENCE`
 * names another checkout (its `dist/bin/task-manager.cjs` is run), e.g. a worktree of an older
 * commit, so "the check did not get slower" is measured side by side in one run. Unset: skipped.
 */
export function cliVsReferenceRow(opts: BenchOptions, home: BenchHome): Row {
  const base = {
    id: "cli_check_vs_reference_build",
    measure: "CLI check, this build vs a reference build",
    target: "within noise (≤ 1.05×)",
  };
  const root = process.env.TASK_MANAGER_BENCH_REFERENCE;
  const entry = root ? path.join(path.resolve(root), "dist", "bin", "task-manager.cjs") : null;
  if (!entry || !existsSync(entry)) {
    const why = entry
      ? `skipped: no build at ${entry} (run npm install there)`
      : "skipped: set TASK_MANAGER_BENCH_REFERENCE to another checkout (built) to compare";
    return skippedRow(base.id, base.measure, base.target, why);
  }
  const c = commands(home);
  const ref: Command = {
    ...c.check,
    label: "reference check",
    args: [entry, ...c.check.args.slice(1)],
  };
  const runs = interleave(c.check, ref, opts.cliPairs);
  const ours = summarize(runs.a);
  const theirs = summarize(runs.b);
  const ratio = ours.median / theirs.median;
  return {
    ...base,
    result: formatSpread(ours, ms),
    reference: `${path.basename(path.resolve(root!))}: ${formatSpread(theirs, ms)}`,
    ratio: `${ratio.toFixed(2)}×`,
    met: ratio <= 1.05,
    note: `reference: ${entry}; ${opts.cliPairs} interleaved pairs on the same ${opts.cliQueueTasks}-task queue`,
    data: {
      pairs: opts.cliPairs,
      check_ms: roundSummary(ours, 2),
      reference_ms: roundSummary(theirs, 2),
      ratio: Number(ratio.toFixed(3)),
    },
  };
}

/** The CLI check against the original design's session check, on the same private host. */
export function cliVsHostRow(opts: BenchOptions, home: BenchHome): Row {
  const base = {
    id: "cli_check_vs_host_sessions",
    measure: "CLI check vs `clawdbot sessions --active 30 --json`",
    target: "≥ 20× faster",
  };
  if (!home.hostReady) {
    const why = opts.skipHost
      ? "skipped (quick mode or TASK_MANAGER_BENCH_SKIP_HOST=1)"
      : `skipped: host not installed at ${HOST_ENTRY} (run scripts/install-hosts.sh)`;
    return skippedRow(base.id, base.measure, base.target, why);
  }
  const c = commands(home);
  const runs = interleave(c.check, c.sessions, opts.hostPairs, 1);
  const check = summarize(runs.a);
  const sessions = summarize(runs.b);
  const speedup = sessions.median / check.median;
  return {
    ...base,
    result: formatSpread(check, ms),
    reference: `clawdbot: ${formatSpread(sessions, ms)}`,
    ratio: `${speedup.toFixed(1)}× faster`,
    met: speedup >= 20,
    data: {
      pairs: opts.hostPairs,
      check_ms: roundSummary(check, 2),
      host_ms: roundSummary(sessions, 2),
      speedup: Number(speedup.toFixed(2)),
    },
  };
}

/** Peak memory of a CLI check; `node -e 0` (and the host CLI, once) alongside for scale. */
export function memoryRow(opts: BenchOptions, home: BenchHome): Row {
  const c = commands(home);
  const method = rssMethod();
  const check: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < opts.memoryRuns; i++) {
    check.push(maxRssMiB(c.check, method));
    floor.push(maxRssMiB(c.floor, method));
  }
  const hostMiB = home.hostReady ? maxRssMiB(c.sessions, method) : null;
  const s = summarize(check);
  const f = summarize(floor);
  const mib = (v: number): string => `${v.toFixed(1)} MiB`;
  return {
    id: "cli_check_max_rss",
    measure: "CLI check peak memory (max RSS)",
    result: formatSpread(s, mib),
    reference: `node -e 0: ${mib(f.median)}${hostMiB === null ? "" : `; clawdbot sessions: ${mib(hostMiB)}`}`,
    ratio: `${(s.median / f.median).toFixed(2)}× node`,
    target: "≤ 60 MiB",
    met: s.median <= 60,
    note: `max RSS via ${method}, median of ${opts.memoryRuns} runs`,
    data: {
      runs: opts.memoryRuns,
      method,
      check_mib: roundSummary(s, 1),
      node_mib: roundSummary(f, 1),
      host_mib: hostMiB,
    },
  };
}
