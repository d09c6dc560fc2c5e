import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/store/file/lock.js";
import { cliJson, tempDir, writeRelaxedRc } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => {
  t = tempDir();
  writeRelaxedRc(t.dir);
});
afterEach(() => t.cleanup());

describe("lock contention is DEFERRED/locked, not an error", () => {
  it("a check that must write while another process holds the lock answers DEFERRED locked, changes nothing, and works once it is free", async () => {
    cliJson(["add", "wait for the lock", "-w", t.dir, "--json"]);
    const queue = path.join(t.dir, "memory/pending_tasks.json");
    const held = await acquireLock(`${queue}.lock`, queue, { staleMs: 60_000, waitMs: 0 });
    try {
      const r = cliJson<{ status: string; reason: string; pending_count: number }>([
        "check",
        "-w",
        t.dir,
      ]);
      expect(r.code).toBe(0);
      expect(r.body).toMatchObject({ status: "DEFERRED", reason: "locked", pending_count: 1 });
    } finally {
      await held.release();
    }
    expect(cliJson<{ status: string }>(["check", "-w", t.dir]).body.status).toBe("READY");
  });
});
