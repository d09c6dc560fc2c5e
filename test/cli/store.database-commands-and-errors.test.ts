/**
 * The PostgreSQL store through the CLI a user runs: `db migrate`, moving a queue in and out
 * (`store migrate --to postgres|file`, lossless, refusing a non-empty target), every command
 * against the database, and a database that is down: an ERROR that names the server without
 * its password, nothing lost, never the file instead.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cliJson, tempDir, writeRelaxedRc } from "../helpers/cli.js";
import { noPostgres, StoreRig } from "../helpers/stores.js";

const rig = new StoreRig();
const dirs: Array<() => void> = [];
function workspace(rc: Record<string, unknown> = {}): string {
  const t = tempDir("tm-store-cli-");
  dirs.push(t.cleanup);
  writeRelaxedRc(t.dir, rc);
  return t.dir;
}
let n = 0;
const queueName = (): string => `cli_${process.pid}_${++n}`;

describe.skipIf(noPostgres)("the PostgreSQL store from the command line", () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await rig.start();
    env = { TASK_MANAGER_DATABASE_URL: rig.server!.url };
  }, 180_000);
  afterAll(async () => {
    await rig.stop();
    for (const d of dirs) d();
  });

  const tm = (ws: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    cliJson([...args, "--json", "-w", ws], { env: { HOME: ws, ...env, ...extra } });

  it("db migrate creates the schema once; two hosts migrating at once both succeed", async () => {
    const ws = workspace({ store: { schema: "tm_race" } });
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, "db", "migrate", "--json", "-w", ws], {
          env: { PATH: process.env.PATH, HOME: ws, ...env },
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ code, out }));
      });
    const both = await Promise.all([run(), run(), run()]);
    for (const r of both) expect(r.code, r.out).toBe(0);
    const reports = both.map((r) => JSON.parse(r.out) as { applied: unknown[]; to: number });
    // Exactly one of them applied the migrations; the others found nothing left to do.
    expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(new Set(reports.map((r) => r.to)).size).toBe(1);
    const again = tm(ws, ["db", "migrate"]);
    expect(again.body).toMatchObject({ status: "OK", applied: [] });
  }, 120_000);

  it("every command works on the database, and the workspace gets no queue file", () => {
    const ws = workspace({ store: { queue: queueName() } });
    expect(tm(ws, ["add", "Summarise the tickets"]).body).toMatchObject({ status: "ADDED" });
    expect(tm(ws, ["add", "Summarise the tickets"]).body).toMatchObject({ status: "DUPLICATE" });
    const ready = tm(ws, ["check"]).body as { status: string; task: { id: string } };
    expect(ready.status).toBe("READY");
    expect(
      tm(ws, ["ack", ready.task.id, "--session-key", "agent:main:subagent:x"]).body,
    ).toMatchObject({ status: "OK" });
    expect(tm(ws, ["done", ready.task.id]).body).toMatchObject({ task: { state: "done" } });
    const stats = tm(ws, ["stats"]).body as {
      counts: Record<string, number>;
      history: { runs: number };
    };
    expect(stats.counts.done).toBe(1);
    expect(stats.history.runs).toBe(1);
    const doctor = tm(ws, ["doctor"]).body as { queue: { store: string; file: string } };
    expect(doctor.queue.store).toBe("postgres");
    expect(doctor.queue.file).not.toContain(new URL(rig.server!.url).password);
    expect(existsSync(path.join(ws, "memory", "pending_tasks.json"))).toBe(false);
  }, 120_000);

  it("store migrate copies a file queue into the database and back, losslessly, and refuses a target that is not empty", () => {
    const queue = queueName();
    const src = workspace({ store: { kind: "file", queue } });
    tm(src, ["add", "first", "-p", "2"]);
    tm(src, ["add", "second", "--key", "k2"]);
    const ready = tm(src, ["check"]).body as { task: { id: string } };
    tm(src, ["ack", ready.task.id, "--session-key", "agent:main:subagent:y"]);
    tm(src, ["fail", ready.task.id, "--error", "429 rate limited; Retry-After: 900 seconds"]);
    tm(src, ["pause"]);
    const before = JSON.parse(readFileSync(path.join(src, "memory/pending_tasks.json"), "utf8"));

    const moved = tm(src, ["store", "migrate", "--to", "postgres"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.body).toMatchObject({ status: "MOVED", tasks: 2, history: 1, holds: 1 });
    const twice = tm(src, ["store", "migrate", "--to", "postgres"]);
    expect(twice.code).toBe(1);
    expect(twice.body).toMatchObject({ status: "ERROR", code: "E_STORE_NOT_EMPTY" });

    // A second workspace reads the same database queue back into a file of its own.
    const dst = workspace({ store: { kind: "postgres", queue } });
    const back = tm(dst, ["store", "migrate", "--to", "file"]);
    expect(back.code, back.stderr).toBe(0);
    const after = JSON.parse(readFileSync(path.join(dst, "memory/pending_tasks.json"), "utf8"));
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    expect(sorted({ ...after, revision: 0 })).toEqual(sorted({ ...before, revision: 0 }));
    expect(tm(dst, ["store", "migrate", "--to", "file"]).body).toMatchObject({
      code: "E_STORE_NOT_EMPTY",
    });
  }, 120_000);

  it("a URL written in .taskmanagerrc works, and doctor shows it without the password", () => {
    const url = rig.server!.url;
    const password = decodeURIComponent(new URL(url).password);
    const ws = workspace({ store: { kind: "postgres", url, queue: queueName() } });
    const plain = { TASK_MANAGER_DATABASE_URL: "" };
    expect(tm(ws, ["add", "from the rc"], plain).body).toMatchObject({ status: "ADDED" });
    const doctor = tm(ws, ["doctor"], plain);
    const text = JSON.stringify(doctor.body) + doctor.stderr;
    expect(text).toContain("postgres");
    expect(text).not.toContain(password);
    const gateways = (doctor.body as { store: { gateways: Array<{ kind: string }> } }).store
      .gateways;
    expect(gateways.map((g) => g.kind)).toContain("cli");
  }, 120_000);

  it("a database that is down is an ERROR naming the server, never its password, and never the file instead", () => {
    const ws = workspace();
    const dead = "postgres://tm_app:s3cret-Pa55@127.0.0.1:1/taskmanager";
    for (const args of [["check"], ["add", "x"], ["list"], ["doctor"]]) {
      const r = tm(ws, args, { TASK_MANAGER_DATABASE_URL: dead });
      const text = JSON.stringify(r.body) + r.stderr;
      expect(text).not.toContain("s3cret-Pa55");
      if (args[0] !== "doctor") {
        expect(r.code).toBe(1);
        expect(r.body).toMatchObject({ status: "ERROR", code: "E_STORE_UNAVAILABLE" });
        expect(text).toContain("127.0.0.1:1");
      }
    }
    expect(existsSync(path.join(ws, "memory", "pending_tasks.json"))).toBe(false);
  }, 120_000);
});
