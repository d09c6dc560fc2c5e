import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers/cli.js";

// The benchmark's figures are never asserted (timings belong in `npm run bench`, not in tests);
// this only proves it runs end to end in quick mode and emits a well-formed table and JSON.
let out: { dir: string; cleanup: () => void };
beforeEach(() => (out = tempDir("tm-bench-test-")));
afterEach(() => out.cleanup());

interface BenchJson {
  node: string;
  rows: {
    id: string;
    measure: string;
    result: string;
    target: string;
    met: boolean | null;
    data: Record<string, unknown>;
  }[];
  notes: string[];
}

describe("npm run bench", () => {
  it("runs in quick mode and prints one table that matches the JSON it writes", () => {
    const file = path.join(out.dir, "bench.json");
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: out.dir,
        TASK_MANAGER_BENCH_QUICK: "1",
        TASK_MANAGER_BENCH_OUT: file,
      },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(file, "utf8")) as BenchJson;
    const ids = report.rows.map((row) => row.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "cli_check_vs_node",
        "cli_check_vs_host_sessions",
        "cli_check_max_rss",
        "config_load_rc_vs_cosmiconfig",
        "config_load_none_vs_cosmiconfig",
        "inprocess_10",
        "inprocess_1000",
        "inprocess_1000_file_changed",
        "status_endpoint_1000",
        "status_endpoint_2000",
        "status_serve_idle_cpu",
        "status_gateway_idle_cpu",
        "concurrent_adds",
        "stores_add_claim_1gw",
        "stores_add_claim_4gw",
        "stores_add_claim_4gw_paced",
        "stores_add_to_other_gateway_claim",
        "stores_claims_8_workers",
        "stores_add_1000",
        "stores_claim_1000",
        "stores_status_view_1000",
        "resume_add_to_spawn",
        "resume_hold_end_to_spawn",
        "resume_add_to_first_model_request",
        "resume_hold_end_to_first_model_request",
        "wake_idle_cpu",
      ]),
    );
    // Quick mode never starts the host; the row says it was skipped rather than vanishing.
    const host = report.rows.find((row) => row.id === "cli_check_vs_host_sessions")!;
    expect(host.met).toBeNull();
    expect(host.data.skipped).toBe(true);
    expect(report.rows.find((row) => row.id === "status_gateway_idle_cpu")).toMatchObject({
      met: null,
      data: { skipped: true },
    });
    // Quick mode times the file store only; the PostgreSQL side says it was skipped.
    expect(report.rows.find((row) => row.id === "stores_add_claim_4gw")).toMatchObject({
      met: null,
      data: { skipped: true, errors: 0 },
    });
    // Correctness figures are facts, not timings: nothing lost among the concurrent adds.
    expect(report.rows.find((row) => row.id === "concurrent_adds")!.data.lost).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const table = lines.filter((l) => l.startsWith("|"));
    expect(table.length).toBe(report.rows.length + 2); // header + rule + one line per row
    const width = table[0]!.length;
    expect(table.every((l) => l.length === width)).toBe(true);
    for (const row of report.rows) expect(r.stdout).toContain(row.measure);
  }, 120_000);
});
