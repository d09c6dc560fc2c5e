import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, ROOT, runCli, tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 3: SKILL.md (`add "…"`) and HEARTBEAT.md (`fail <id> --error "<the error>"`)
 * had the agent put task text and error messages inside a double-quoted shell argument, where
 * `$(…)` and backticks run. Every command the agent is shown now passes free text on stdin, and
 * every command that takes free text reads it from stdin when given "-".
 */
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), "utf8");

/** Every command shown in a document: inline code spans and fenced blocks. */
function commandsIn(doc: string): string[] {
  const blocks = [...doc.matchAll(/^```[a-z]*\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
  const inline = [...doc.replace(/^```[a-z]*\n[\s\S]*?\n```$/gm, "").matchAll(/`([^`]+)`/g)].map(
    (m) => m[1]!,
  );
  return [...blocks, ...inline].filter((c) => /task-manager |add-task\.sh|process-task/.test(c));
}

describe("what the agent reads passes text on stdin, never in a quoted argument", () => {
  for (const doc of ["SKILL.md", "HEARTBEAT.md"]) {
    it(`${doc}: no command puts text inside quotes; text goes through a quoted heredoc`, () => {
      const commands = commandsIn(read(doc));
      expect(commands.length).toBeGreaterThan(0);
      for (const c of commands) expect(c.replaceAll("<<'EOF'", ""), c).not.toMatch(/["']/);
      const heredocs = commands.filter((c) => c.includes("<<"));
      expect(heredocs.length, "a heredoc example").toBeGreaterThan(0);
      for (const c of heredocs) expect(c).toMatch(/ - .*<<'EOF'\n[\s\S]*\nEOF$/);
      // …and the documents say why.
      expect(read(doc)).toMatch(/\$\(…\)|\$\(rm/);
    });
  }
});

describe("every CLI command that takes free text reads it from stdin given `-`", () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());
  const hostile = "line one $(touch pwned) `touch pwned2`\n\"quoted\" 'single'\n";

  it("add - and fail <id> --error - store the text verbatim (the final newline dropped); nothing runs", () => {
    const added = cliJson<{ task: { id: string; prompt: string } }>(
      ["add", "-", "-w", t.dir, "--json"],
      { input: hostile, cwd: t.dir },
    );
    expect(added.body.task.prompt).toBe(hostile.replace(/\n$/, ""));
    const failed = runCli(["fail", added.body.task.id, "--error", "-", "-w", t.dir, "--json"], {
      input: hostile,
      cwd: t.dir,
    });
    expect(failed.code, failed.stderr).toBe(0);
    const [task] = cliJson<{ tasks: Array<{ last_error: { message: string } }> }>([
      "list",
      "-w",
      t.dir,
      "--json",
    ]).body.tasks;
    expect(task!.last_error.message).toBe(hostile.replace(/\n$/, ""));
    expect(readdirSync(t.dir).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });

  it("the original helpers take `-` too: add-task.sh - and process-task fail <id> -", () => {
    const env = {
      TASK_MANAGER_WORKSPACE: t.dir,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    };
    const run = (file: string, args: string[]) =>
      JSON.parse(
        execFileSync(path.join(ROOT, "skill", file), args, {
          env,
          input: hostile,
          encoding: "utf8",
          cwd: t.dir,
        }) as string,
      ) as { task: { id: string; prompt: string; last_error: { message: string } | null } };
    const added = run("add-task.sh", ["-", "2"]);
    expect(added.task.prompt).toBe(hostile.replace(/\n$/, ""));
    const failed = run("process-task", ["fail", added.task.id, "-"]);
    expect(failed.task.last_error?.message).toBe(hostile.replace(/\n$/, ""));
  });
});
