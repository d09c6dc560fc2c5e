import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as library from "../../src/index.js";
import { CLI, cliJson, nobodyCanRunCli, tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 7: EACCES, EROFS and ENOSPC on the queue's folder, and a 200,000-deep metadata
 * object on add, surfaced as `E_INTERNAL … report this`. Each is a problem the user can fix, so
 * each has its own code and a message naming the path and what to do.
 */
let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
  chmodSync(t.dir, 0o755);
});
afterEach(() => t.cleanup());

interface Answer {
  status: string;
  code: string;
  message: string;
}

/** The CLI as `nobody`: root may write anywhere, so a permission error needs another user. */
function asNobody(args: string[]): Answer {
  const home = path.join(t.dir, "nobody-home");
  mkdirSync(home, { recursive: true, mode: 0o777 });
  chmodSync(home, 0o777);
  const r = spawnSync(process.execPath, [CLI, ...args, "--json"], {
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH, HOME: home },
    cwd: home,
    encoding: "utf8",
  });
  return JSON.parse(r.stdout) as Answer;
}

// Root may write anywhere, so these need another user, and a checkout that user can reach.
const nobodyCanRun = nobodyCanRunCli();

describe("EACCES: E_PERMISSION naming the path", () => {
  it("a queue folder the user may not write (add), a queue file it may not read (list)", (ctx) => {
    if (!nobodyCanRun) ctx.skip();
    const ws = path.join(t.dir, "ws");
    mkdirSync(path.join(ws, "memory"), { recursive: true, mode: 0o755 });
    chmodSync(path.join(ws, "memory"), 0o755);
    const added = asNobody(["add", "x", "-w", ws]);
    expect(added).toMatchObject({ status: "ERROR", code: "E_PERMISSION" });
    expect(added.message).toContain(path.join(ws, "memory"));
    expect(added.message).toMatch(/uid 65534/);
    expect(added.message).not.toMatch(/report this/);

    cliJson(["add", "x", "-w", ws, "--json"]); // as root: a 0600 root-owned queue file
    const listed = asNobody(["list", "-w", ws]);
    expect(listed).toMatchObject({ code: "E_PERMISSION" });
    expect(listed.message).toContain(path.join(ws, "memory", "pending_tasks.json"));
  });
});

/** A small tmpfs (root can mount one); null where mounting is not permitted. */
function mountTmpfs(sizeBytes: number): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tm-fs-errors-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], {
      stdio: "ignore",
    });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}
function unmount(dir: string): void {
  execFileSync("umount", ["-l", dir]);
  rmSync(dir, { recursive: true, force: true });
}

describe("EROFS and ENOSPC", () => {
  it("a read-only filesystem: E_READ_ONLY naming the queue; reading still works", (ctx) => {
    const mount = mountTmpfs(1024 * 1024);
    if (mount === null) return ctx.skip();
    try {
      const ws = path.join(mount, "ws");
      mkdirSync(ws);
      cliJson(["add", "before", "-w", ws, "--json"]);
      execFileSync("mount", ["-o", "remount,ro", mount]);
      const r = cliJson<Answer>(["add", "after", "-w", ws, "--json"]);
      expect(r.body).toMatchObject({ status: "ERROR", code: "E_READ_ONLY" });
      expect(r.body.message).toContain(path.join(ws, "memory", "pending_tasks.json"));
      expect(r.body.message).toMatch(/read-only/);
      expect(cliJson<{ tasks: unknown[] }>(["list", "-w", ws, "--json"]).body.tasks).toHaveLength(
        1,
      );
    } finally {
      execFileSync("mount", ["-o", "remount,rw", mount]);
      unmount(mount);
    }
  });

  it("a full disk: E_DISK_FULL naming the queue; the previous queue is kept", (ctx) => {
    const mount = mountTmpfs(64 * 1024);
    if (mount === null) return ctx.skip();
    try {
      const ws = path.join(mount, "ws");
      mkdirSync(ws);
      cliJson(["add", "before", "-w", ws, "--json"]);
      const fd = openSync(path.join(mount, "filler"), "w");
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096, 1));
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
      const r = cliJson<Answer>(["add", "after ".repeat(2000), "-w", ws, "--json"]);
      expect(r.body).toMatchObject({ status: "ERROR", code: "E_DISK_FULL" });
      expect(r.body.message).toContain(path.join(ws, "memory", "pending_tasks.json"));
      expect(r.body.message).toMatch(/Free some space/);
      rmSync(path.join(mount, "filler"));
      expect(cliJson<{ tasks: unknown[] }>(["list", "-w", ws, "--json"]).body.tasks).toHaveLength(
        1,
      );
    } finally {
      unmount(mount);
    }
  });
});

describe("metadata is bounded at the edge: E_METADATA_TOO_LARGE", () => {
  const deep = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = {};
    for (let i = 0; i < levels; i++) value = { d: value };
    return value;
  };

  for (const [what, metadata] of [
    ["200,000 levels deep", () => deep(200_000)],
    ["40 levels deep", () => deep(40)],
    ["100 KB of JSON", () => ({ text: "x".repeat(100_000) })],
    ["20,000 values", () => ({ list: Array.from({ length: 20_000 }, () => 0) })],
  ] as const) {
    it(`${what}: refused with its own code; the queue is untouched`, async () => {
      writeFileSync(path.join(t.dir, ".taskmanagerrc.json"), "{}");
      const err = await library
        .add({ prompt: "x", metadata: metadata() }, { workspace: t.dir })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "E_METADATA_TOO_LARGE" });
      expect((err as Error).message).toMatch(/32 levels/);
      expect(await library.list({ workspace: t.dir })).toEqual([]);
    });
  }

  it("metadata that is not JSON data (a BigInt, a function) is E_INVALID_INPUT; plain metadata is kept", async () => {
    for (const metadata of [{ n: 1n }, { f: () => 1 }, { d: new Map() }])
      await expect(
        library.add(
          { prompt: "x", metadata: metadata as Record<string, unknown> },
          { workspace: t.dir },
        ),
      ).rejects.toMatchObject({ code: "E_INVALID_INPUT" });
    const r = await library.add(
      { prompt: "y", metadata: { a: [1, { b: "c" }] } },
      { workspace: t.dir },
    );
    expect(r.task.metadata).toEqual({ a: [1, { b: "c" }] });
  });
});
