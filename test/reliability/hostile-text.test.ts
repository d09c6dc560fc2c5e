import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Queue } from "../../dist/core/queue-model.js";
import {
  cli,
  CLI,
  driver,
  makeSandbox,
  queuePath,
  ROOT,
  run,
  type Sandbox,
  removeSandboxes,
} from "./lib/env.ts";
import { readGatewayRecord } from "./lib/fake-gateway.ts";
import { recordFigure } from "./lib/figures.ts";
import { sha } from "./lib/queue-fixtures.ts";

const ADD_TASK = path.join(ROOT, "skill", "add-task.sh");

/** Texts that would create a PWNED file in the sandbox if any shell ever evaluated them. */
function hostile(root: string): string[] {
  const p = (n: number): string => path.join(root, `PWNED${n}`);
  return [
    `$(touch ${p(1)})`,
    `\`touch ${p(2)}\``,
    `x; touch ${p(3)}`,
    `first line\ntouch ${p(4)}\n$(touch ${p(5)})`,
    `a | touch ${p(6)} && touch ${p(7)} || touch ${p(8)} & touch ${p(9)}`,
    `'"' ; touch ${p(10)} ; '"' \${IFS} $HOME %s %n \\`,
    `<(touch ${p(11)}) >(touch ${p(12)}) > ${p(13)}`,
  ];
}

/** Leading dashes: task text, not options (a prompt must not pick the workspace). */
const DASHED = ["--help", "-w /tmp/tm-rel-evil", "--workspace=/tmp/tm-rel-evil", "-p 1"];

const pwned = (s: Sandbox): string[] => readdirSync(s.root).filter((n) => n.startsWith("PWNED"));
const prompts = (s: Sandbox): string[] =>
  (JSON.parse(readFileSync(queuePath(s), "utf8")) as Queue).tasks.map((t) => t.prompt);

afterAll(removeSandboxes);

describe("task text is data: stored verbatim, size-capped, never executed", () => {
  test("through the CLI (argv and stdin), the skill wrapper, a check and a dispatch", async () => {
    const s = makeSandbox("hostile");
    const texts = hostile(s.root);
    const ways: Record<string, number> = {};
    for (const [i, text] of texts.entries()) {
      const tagged = (way: string): string => `${way} ${i}: ${text}`;
      expect((await cli(s, ["add", tagged("argv")])).code).toBe(0);
      expect((await cli(s, ["add", "-"], {}, tagged("stdin"))).code).toBe(0);
      if (existsSync(ADD_TASK))
        expect((await run(ADD_TASK, [tagged("skill")], s.env, undefined, s.root)).code).toBe(0);
      ways.argv = (ways.argv ?? 0) + 1;
      ways.stdin = (ways.stdin ?? 0) + 1;
      if (existsSync(ADD_TASK)) ways.skill = (ways.skill ?? 0) + 1;
    }
    const stored = prompts(s);
    const expected = texts.flatMap((t, i) =>
      ["argv", "stdin", ...(existsSync(ADD_TASK) ? ["skill"] : [])].map((w) => `${w} ${i}: ${t}`),
    );
    expect(stored.sort()).toEqual(expected.sort());
    const check = JSON.parse((await cli(s, ["check"])).stdout) as {
      status: string;
      recommendation?: { prompt: string };
    };
    expect(check.status).toBe("READY");
    expect(expected).toContain(check.recommendation!.prompt);
    const dispatched = await driver(s, {
      kind: "dispatch",
      workspace: s.workspace,
      ackLog: path.join(s.root, "acks"),
      holdersDir: path.join(s.root, "holders"),
      clockOffsetMs: 3_600_000,
    });
    expect(dispatched.code, dispatched.stderr).toBe(0);
    const spawnedPrompts = readGatewayRecord(s.stateDir).runs.map((r) => r.prompt);
    expect(spawnedPrompts.length).toBe(1);
    expect(expected).toContain(spawnedPrompts[0]);
    await recordFigure("hostile-text", {
      texts: texts.length,
      ways,
      stored: stored.length,
      filesCreatedByInjection: pwned(s).length,
    });
    expect(pwned(s)).toEqual([]);
  }, 120_000);

  test.each(DASHED)(
    "a prompt that looks like an option (%s) is stored verbatim by the CLI after --",
    async (text) => {
      const s = makeSandbox("dashed");
      const viaCli = await run(process.execPath, [CLI, "add", "--json", "--", text], s.env);
      expect(viaCli.code, viaCli.stdout + viaCli.stderr).toBe(0);
      expect(prompts(s)).toEqual([text]);
    },
    30_000,
  );

  // skill/add-task.sh passes `--` before the text (a defect this test found: without it,
  // "--help" printed help, exited 0 and queued nothing).
  test.each(DASHED)(
    "skill/add-task.sh queues %s verbatim",
    async (text) => {
      const s = makeSandbox("dashed-skill");
      const viaSkill = await run(ADD_TASK, [text], s.env, undefined, s.root);
      expect(existsSync("/tmp/tm-rel-evil")).toBe(false);
      expect(
        existsSync(queuePath(s)) ? prompts(s) : [],
        `${viaSkill.stdout} ${viaSkill.stderr}`,
      ).toEqual([text]);
    },
    30_000,
  );

  test("control characters are stripped; 64 KiB is accepted; over the cap (argv 100 KB, stdin 1 MB) is refused and nothing is written", async () => {
    const s = makeSandbox("sizes");
    expect((await cli(s, ["add", "clear\u001b[2J screen\u0007 bell\u009b"])).code).toBe(0);
    expect(prompts(s)).toEqual(["clear[2J screen bell"]);
    const max = "m".repeat(64 * 1024);
    expect((await cli(s, ["add", "-"], {}, max)).code).toBe(0);
    expect(prompts(s)).toContain(max);
    const before = sha(readFileSync(queuePath(s)));
    const results: string[] = [];
    for (const [args, input] of [
      [["add", "a".repeat(100_000)], undefined],
      [["add", "-"], "$(touch PWNED) ".repeat(70_000)],
    ] as const) {
      const e = await cli(s, [...args], {}, input);
      const out = JSON.parse(e.stdout) as { code?: string; message?: string };
      results.push(out.code ?? "none");
      expect(e.code).toBe(1);
      expect(out.code).toBe("E_PROMPT_TOO_LARGE");
      expect(out.message).toMatch(/limit/);
    }
    await recordFigure("prompt-cap", {
      refused: results,
      queueUnchanged: sha(readFileSync(queuePath(s))) === before,
    });
    expect(sha(readFileSync(queuePath(s)))).toBe(before);
    expect(pwned(s)).toEqual([]);
  }, 30_000);
});
