import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** One command to time: argv for process.execPath-free spawning, plus its environment. */
export interface Command {
  label: string;
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Checked on every run so a broken command cannot pass as a fast one. */
  verify?: (stdout: string) => string | null;
}

export interface Run {
  ms: number;
  stdout: string;
}

/** Wall time from spawn to exit. spawnSync keeps our own event loop out of the measurement. */
export function timeOnce(cmd: Command): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, {
    env: cmd.env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 32 << 20,
    timeout: 120_000,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw new Error(`${cmd.label}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd.label} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const problem = cmd.verify?.(r.stdout) ?? null;
  if (problem) throw new Error(`${cmd.label}: ${problem}`);
  return { ms, stdout: r.stdout };
}

/**
 * Interleaved A/B: A and B alternate, and the order flips every pair (AB, BA, AB…), so a slow
 * drift of the machine (another job, thermal, page cache) lands on both sides equally.
 * `warmup` pairs run first and are discarded (page cache, compile cache).
 */
export function interleave(
  a: Command,
  b: Command,
  pairs: number,
  warmup = 2,
): { a: number[]; b: number[] } {
  for (let i = 0; i < warmup; i++) {
    timeOnce(a);
    timeOnce(b);
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      out.a.push(timeOnce(a).ms);
      out.b.push(timeOnce(b).ms);
    } else {
      out.b.push(timeOnce(b).ms);
      out.a.push(timeOnce(a).ms);
    }
  }
  return out;
}

/** How max RSS is read: GNU time when installed, else a preloaded hook that reports its own. */
export type RssMethod = "/usr/bin/time" | "resourceUsage";

export const rssMethod = (): RssMethod =>
  existsSync("/usr/bin/time") && gnuTimeWorks() ? "/usr/bin/time" : "resourceUsage";

function gnuTimeWorks(): boolean {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", "true"], { encoding: "utf8" });
  return r.status === 0 && /^\d+\s*$/m.test(r.stderr);
}

const RSS_HOOK =
  "data:text/javascript,process.on('exit',()=>process.stderr.write('\\nmaxrss_kb='+process.resourceUsage().maxRSS+'\\n'))";

/** Peak resident memory of one run of `cmd`, in MiB. */
export function maxRssMiB(cmd: Command, method: RssMethod): number {
  if (method === "resourceUsage") {
    const r = spawnSync(cmd.file, ["--import", RSS_HOOK, ...cmd.args], {
      env: cmd.env,
      encoding: "utf8",
    });
    const match = /maxrss_kb=(\d+)/.exec(r.stderr);
    if (!match)
      throw new Error(`${cmd.label}: no maxRSS reported (${r.status}): ${r.stderr.slice(0, 500)}`);
    return Number(match[1]) / 1024;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "tm-bench-rss-"));
  try {
    const out = path.join(dir, "rss");
    const r = spawnSync("/usr/bin/time", ["-f", "%M", "-o", out, cmd.file, ...cmd.args], {
      env: cmd.env,
      encoding: "utf8",
    });
    if (r.status !== 0)
      throw new Error(
        `${cmd.label} under /usr/bin/time exited ${r.status}: ${r.stderr.slice(0, 500)}`,
      );
    const kb = Number(readFileSync(out, "utf8").trim().split("\n").pop());
    return kb / 1024;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
