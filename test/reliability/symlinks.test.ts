import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cli, makeSandbox, queuePath, type Sandbox, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

/** Something an attacker would like overwritten: a file and a folder outside the workspace. */
function plantVictims(s: Sandbox): { file: string; dir: string; snapshot: () => string } {
  const dir = path.join(s.root, "victim-dir");
  const file = path.join(s.root, "victim.txt");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "keep.txt"), "keep");
  writeFileSync(file, "do not touch\n");
  const snapshot = (): string =>
    JSON.stringify({
      file: existsSync(file) ? readFileSync(file, "utf8") : null,
      dir: existsSync(dir) ? readdirSync(dir).sort() : null,
      all: readdirSync(s.root).sort(),
    });
  return { file, dir, snapshot };
}

const memoryDir = (s: Sandbox): string => path.dirname(queuePath(s));

/** Plants something at `at` and returns the path it planted. */
function planted(at: string, plant: () => unknown): string {
  plant();
  return at;
}

/** Each case replaces one path of the queue with something hostile. */
const CASES: Record<string, (s: Sandbox, v: ReturnType<typeof plantVictims>) => string> = {
  "queue file → file outside": (s, v) =>
    planted(queuePath(s), () => symlinkSync(v.file, queuePath(s))),
  "queue file → dangling": (s, v) =>
    planted(queuePath(s), () => symlinkSync(path.join(v.dir, "created-by-us.json"), queuePath(s))),
  "lock path → folder outside": (s, v) =>
    planted(`${queuePath(s)}.lock`, () => symlinkSync(v.dir, `${queuePath(s)}.lock`)),
  "lock path → dangling": (s, v) =>
    planted(`${queuePath(s)}.lock`, () =>
      symlinkSync(path.join(v.dir, "lock"), `${queuePath(s)}.lock`),
    ),
  "memory/ → folder outside": (s, v) => {
    rmSync(memoryDir(s), { recursive: true });
    symlinkSync(v.dir, memoryDir(s));
    return memoryDir(s);
  },
  "memory/ → dangling": (s, v) => {
    rmSync(memoryDir(s), { recursive: true });
    symlinkSync(path.join(v.dir, "nowhere"), memoryDir(s));
    return memoryDir(s);
  },
  "queue file is a FIFO": (s) =>
    planted(queuePath(s), () => execFileSync("mkfifo", [queuePath(s)])),
  "queue file is a folder": (s) => planted(queuePath(s), () => mkdirSync(queuePath(s))),
};

const COMMANDS = [["add", "hello"], ["check"], ["list"], ["remove", "t_x"], ["stats"]];

afterAll(removeSandboxes);

describe("links and odd files on the queue's path are refused; nothing outside is touched", () => {
  test.each(Object.keys(CASES))(
    "%s",
    async (name) => {
      const s = makeSandbox("links");
      await cli(s, ["add", "before"]);
      const v = plantVictims(s);
      const before = v.snapshot();
      rmSync(queuePath(s));
      const planted = CASES[name]!(s, v);
      const link = lstatSync(planted).isSymbolicLink() ? readlinkSync(planted) : null;
      const exits = await Promise.all(COMMANDS.map((args) => cli(s, args)));
      const codes = exits.map((e) => (JSON.parse(e.stdout) as { code?: string }).code);
      await recordFigure(`symlink ${name}`, { codes, victimUnchanged: v.snapshot() === before });
      expect(codes).toEqual(COMMANDS.map(() => "E_UNSAFE_PATH"));
      for (const e of exits) expect(e.code).toBe(1);
      expect(v.snapshot()).toBe(before);
      if (link !== null) expect(readlinkSync(planted)).toBe(link);
    },
    30_000,
  );

  test("the queue file is created private (mode 0600) and its folder 0700", async () => {
    const s = makeSandbox("modes");
    rmSync(path.dirname(queuePath(s)), { recursive: true });
    expect((await cli(s, ["add", "x"])).code).toBe(0);
    expect(statSync(queuePath(s)).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(queuePath(s))).mode & 0o777).toBe(0o700);
  }, 30_000);

  test("a hostile link planted where the store puts its quarantine copy is not followed", async () => {
    const s = makeSandbox("links-quarantine");
    const v = plantVictims(s);
    writeFileSync(queuePath(s), "not json");
    const before = v.snapshot();
    // The quarantine name is content-addressed, so an attacker can predict it: plant every candidate.
    const first = await cli(s, ["add", "x"]);
    const copy =
      (JSON.parse(first.stdout) as { details?: { quarantine?: string } }).details?.quarantine ?? "";
    rmSync(copy);
    symlinkSync(v.file, copy);
    const again = await cli(s, ["add", "x"]);
    expect((JSON.parse(again.stdout) as { code?: string }).code).toBe("E_QUEUE_CORRUPT");
    expect(v.snapshot()).toBe(before);
    expect(readFileSync(queuePath(s), "utf8")).toBe("not json");
    renameSync(queuePath(s), `${queuePath(s)}.moved`); // the way out the message suggests
    expect((await cli(s, ["add", "x"])).code).toBe(0);
  }, 30_000);
});
