import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, runCli, tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 5: task text, sources, keys, errors and model names reached the human output
 * of list, show, dead list, review list, stats and doctor raw — an ESC or OSC sequence in a
 * queued text could retitle the terminal, hide lines or worse. Whatever is in the file (written
 * by an older version, by hand, or migrated), control characters are shown escaped.
 */
const ESC = "\u001b";
const HOSTILE = [
  `${ESC}[31mred${ESC}[0m`, // CSI (SGR)
  `${ESC}]0;pwned title\u0007`, // OSC … BEL
  `${ESC}]52;c;ZXZpbA==\u0007`, // OSC 52: write the clipboard
  "\u009b2J", // C1 CSI: clear screen
  "\u009d0;c1 title\u009c", // C1 OSC … ST
  "back\rover", // CR: overwrite the line
  "\u007fdel",
].join(" ");
/** Anything a terminal would act on: C0 but tab and newline, DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what the test looks for.
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

let t: { dir: string; cleanup: () => void };
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });
const queueFile = (): string => path.join(t.dir, "memory", "pending_tasks.json");
beforeEach(() => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "home"));
});
afterEach(() => t.cleanup());

/** A queue whose every text field carries the hostile string (as an older version could write). */
function plantHostileQueue(): string[] {
  const ids = ["a", "b", "c"].map(
    (p) =>
      cliJson<{ task: { id: string } }>(["add", p, "-w", t.dir, "--json"], { env: env() }).body.task
        .id,
  );
  const q = JSON.parse(readFileSync(queueFile(), "utf8"));
  const at = new Date().toISOString();
  q.tasks.forEach((task: Record<string, unknown>, i: number) => {
    Object.assign(task, {
      prompt: `${HOSTILE} prompt`,
      source: `${HOSTILE} source`,
      key: `${HOSTILE} key ${i}`,
      last_error: { kind: "error", message: `${HOSTILE} error`, at },
      metadata: { note: HOSTILE },
    });
  });
  q.tasks[1].state = "dead";
  q.tasks[1].reason = "attempts";
  q.tasks[2].state = "review";
  q.tasks[2].reason = "acted_then_timed_out";
  q.history = [
    {
      task_id: ids[0],
      outcome: "failed",
      kind: "error",
      started_at: at,
      ended_at: at,
      model: `prov/${HOSTILE}`,
    },
  ];
  q.holds = {
    [`prov${HOSTILE}`]: { scope: "provider", until: at, source: "message", since: at, probe: null },
  };
  q.cooldowns = { [`m/${HOSTILE}`]: at };
  writeFileSync(queueFile(), JSON.stringify(q));
  return ids;
}

function expectEscaped(args: string[]): string {
  const r = runCli([...args, "-w", t.dir], { env: env() });
  expect(
    RAW_CONTROL.test(r.stdout),
    `stdout of ${args.join(" ")}: ${JSON.stringify(r.stdout)}`,
  ).toBe(false);
  expect(
    RAW_CONTROL.test(r.stderr),
    `stderr of ${args.join(" ")}: ${JSON.stringify(r.stderr)}`,
  ).toBe(false);
  return r.stdout + r.stderr;
}

describe("human output shows control characters escaped, never raw", () => {
  it("list, list --all, show, dead list, review list, stats, doctor (and --json of each)", () => {
    const [id] = plantHostileQueue();
    for (const args of [
      ["list"],
      ["list", "--all"],
      ["show", id!],
      ["dead", "list"],
      ["review", "list"],
      ["stats"],
      ["doctor"],
    ]) {
      const out = expectEscaped(args);
      expect(out.length, args.join(" ")).toBeGreaterThan(0);
      expectEscaped([...args, "--json"]);
    }
    // Escaped, not dropped: a person can still see that something was there.
    expect(expectEscaped(["show", id!])).toContain("\\u001b");
    // JSON output is still the same JSON.
    const shown = cliJson<{ task: { prompt: string } }>(["show", id!, "-w", t.dir, "--json"], {
      env: env(),
    });
    expect(shown.body.task.prompt).toBe(`${HOSTILE} prompt`);
  });

  it("an error message that echoes hostile input (an unknown id) is escaped on stderr", () => {
    const out = expectEscaped(["show", `t_x${ESC}]0;title\u0007`]);
    expect(out).toMatch(/E_TASK_NOT_FOUND/);
  });

  it("a usage error that quotes the refused argument (commander's own message) is escaped too", () => {
    const [id] = plantHostileQueue();
    for (const args of [
      ["add", "x", "--priority", `5${ESC}]0;title\u0007`],
      ["add", "x", `--max-age=\u009b2J`],
      ["priority", id!, `${ESC}[2J`],
    ]) {
      const r = runCli([...args, "-w", t.dir], { env: env() });
      expect(r.code, args.join(" ")).toBe(2);
      expect(RAW_CONTROL.test(r.stderr), `stderr: ${JSON.stringify(r.stderr)}`).toBe(false);
      expect(r.stderr).toMatch(/error: .*\\u(001b|009b)/);
    }
  });
});

describe("--source, --key and migrated legacy tasks do not smuggle control characters in", () => {
  it("--source or --key with an escape sequence is refused (E_INVALID_INPUT); nothing is written", () => {
    for (const args of [
      ["add", "x", "--source", `chat${ESC}[2J`],
      ["add", "x", "--key", `k${ESC}]0;t\u0007`],
      ["add", "x", "--key", "two\nlines"],
    ]) {
      const r = cliJson<{ code: string }>([...args, "-w", t.dir, "--json"], { env: env() });
      expect(r.body, args.join(" ")).toMatchObject({ code: "E_INVALID_INPUT" });
    }
    expect(
      cliJson<{ tasks: unknown[] }>(["list", "-w", t.dir, "--json"], { env: env() }).body.tasks,
    ).toEqual([]);
  });

  it("a legacy entry's prompt and source lose their control characters when migrated", () => {
    mkdirSync(path.dirname(queueFile()));
    writeFileSync(
      queueFile(),
      JSON.stringify([{ prompt: `do ${HOSTILE} it`, metadata: { source: `src${ESC}[31m` } }]),
    );
    const [task] = cliJson<{ tasks: Array<{ prompt: string; source: string }> }>(
      ["list", "-w", t.dir, "--json"],
      { env: env() },
    ).body.tasks;
    expect(RAW_CONTROL.test(task!.prompt)).toBe(false);
    expect(RAW_CONTROL.test(task!.source)).toBe(false);
    expect(task!.prompt).toContain("red");
    expectEscaped(["list"]);
  });
});
