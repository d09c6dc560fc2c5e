/**
 * `npm run bench`: one table, every comparison measured side by side in the same run, written
 * to bench-results.json as well. Timings live here and never in the test suite.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cliVsHostRow, cliVsNodeRow, cliVsReferenceRow, memoryRow } from "./cli.js";
import { configLoadRows } from "./config-load.js";
import { contentionRow } from "./contention.js";
import { makeHome, seedDeferredQueue, writeSessions } from "../lib/bench-home.js";
import { inProcessRows } from "./inprocess.js";
import { openclawRows } from "./openclaw.js";
import { resumeRows } from "./resume.js";
import { benchOptions } from "./options.js";
import { gatewayIdlePageRow, idleServeRow, statusEndpointRows } from "./page.js";
import { renderTable, type Report, type Row } from "./report.js";
import { storeRows } from "./stores.js";

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);

/** Both real hosts and Node 24, as `npm test` fetches them (from the npm registry; quick once there). */
function installHosts(): void {
  const script = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    "..",
    "scripts",
    "install-hosts.sh",
  );
  log("fetching the real hosts if they are not here yet (scripts/install-hosts.sh)…");
  execFileSync("bash", [script], { stdio: ["ignore", "ignore", "inherit"] });
}

async function run(): Promise<Report> {
  const opts = benchOptions();
  if (!opts.skipHost) installHosts();
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? 0;
  log(`setting up${opts.skipHost ? "" : " (with the host, if installed)"}…`);
  const home = makeHome(!opts.skipHost);
  try {
    writeSessions(home, Date.now());
    await seedDeferredQueue(home, opts.cliQueueTasks);
    const rows: Row[] = [];
    const wanted = (group: string): boolean => opts.only === null || opts.only.includes(group);
    if (wanted("cli")) {
      log("CLI check vs node -e 0…");
      rows.push(cliVsNodeRow(opts, home));
      rows.push(cliVsReferenceRow(opts, home));
      log("CLI check vs the host's session check…");
      rows.push(cliVsHostRow(opts, home));
      log("peak memory…");
      rows.push(memoryRow(opts, home));
      log("config load vs cosmiconfig…");
      rows.push(...(await configLoadRows(opts, home)));
    }
    if (wanted("inprocess")) {
      log("in-process check…");
      rows.push(...(await inProcessRows(opts, home)));
    }
    if (wanted("page")) {
      log("status endpoint…");
      rows.push(...(await statusEndpointRows(opts, home)));
      log("idle serve with one page open…");
      rows.push(await idleServeRow(opts, home));
      log("OpenClaw gateway, idle, with and without a page open…");
      rows.push(await gatewayIdlePageRow(opts, home));
    }
    if (wanted("contention")) {
      log(`${opts.adders} concurrent adders…`);
      rows.push(await contentionRow(opts, home));
    }
    if (wanted("stores")) {
      log("both stores side by side: the file and PostgreSQL…");
      rows.push(...(await storeRows(opts, home, log)));
    }
    if (wanted("openclaw")) rows.push(...(await openclawRows(opts, log)));
    if (wanted("resume")) rows.push(...(await resumeRows(opts, log)));
    return {
      generated_at: new Date().toISOString(),
      node: process.versions.node,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.availableParallelism(),
      load: {
        start: Number(loadAtStart.toFixed(2)),
        end: Number((os.loadavg()[0] ?? 0).toFixed(2)),
      },
      options: { ...opts, duration_s: Math.round((Date.now() - started) / 100) / 10 },
      rows,
      notes: [
        `queue state for every check: ${opts.cliQueueTasks} tasks (in-process: as labelled), the first claimed under a 6 h lease, maxConcurrent 1 → DEFERRED/concurrency_limit, nothing to write; the file is verified unchanged`,
        "host fixture: private HOME with 1 main + 3 busy sub-agent sessions in sessions.json, read by both task-manager and clawdbot",
        "OpenClaw rows: a real OpenClaw 2026.9.6 gateway on Node 24 with this package as its plugin (idle, ticking every second) and 3 sub-agent runs of someone else's kept busy by a model that never answers",
        "resume rows: two real OpenClaw 2026.9.6 gateways side by side (wake \"due\" and wake \"heartbeat\", both on a 60 s schedule), a model that answers at once; after one warm-up run each, one sample at a time on an idle gateway (each run done before the next), both gateways at once, the reference's at random points of its schedule's period; latencies from the task's added_at (or the hold's end) to the run the queue recorded as accepted, and to the provider's first request of that run",
        "CLI figures: median (min–max) wall time of interleaved runs (A/B order alternating), after 2 warm-up pairs",
        "store rows: the same operations through the store port on the JSON file and on a real PostgreSQL (lib/postgres-server.ts, fsync on, on this machine), one after the other in this run; PG targets from issue 18 (anchor: graphile-worker 4.16 ms average add→start)",
      ],
    };
  } finally {
    home.dispose();
  }
}

const report = await run();
process.stdout.write(`${renderTable(report)}\n`);
writeFileSync(report.options.out as string, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${String(report.options.out)}`);
if (report.rows.some((r) => r.met === false)) log("some targets are not met (see the table)");
