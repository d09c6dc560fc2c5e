import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import {
  acceptedTaskProblem,
  hostileText,
  numberText,
  queueProblem,
  refusalProblem,
} from "./lib/edges.ts";
import {
  CLI,
  makeSandbox,
  queuePath,
  removeSandboxes,
  run,
  type Sandbox,
  seedFromEnv,
} from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

/**
 * Issue 16, "Done when": the real CLI, given any argument a user, a script or a tricked agent
 * could pass, either refuses with a clear error or leaves a queue its reader accepts. Each run
 * is a real child process (~0.5 s), so the run counts are small; TM_SEED replays a failure.
 */
const SEED = seedFromEnv();
const RUNS = Number(process.env.TM_EDGE_RUNS) || 25;

afterAll(removeSandboxes);

/**
 * What an argument can carry: no NUL byte (execve ends the string there) and at most 128 KiB
 * (Linux's MAX_ARG_STRLEN; 40,000 UTF-16 units are at most 120,000 UTF-8 bytes). Stdin carries
 * the rest: NUL bytes and texts beyond the 64 KiB prompt limit.
 */
const asArg = (s: string): string => s.replaceAll("\u0000", "").slice(0, 40_000);
const argText = (max?: number): fc.Arbitrary<string> => hostileText(max).map(asArg);

/**
 * One CLI call: options, then `--json`, then `--` and the free text, so a text that looks like
 * an option (`--workspace=…`) stays text. The workspace comes from the sandbox's environment.
 */
interface Call {
  args: string[];
  text?: string;
  input?: string;
}
const cli = (s: Sandbox, c: Call) =>
  run(
    process.execPath,
    [CLI, ...c.args, "--json", ...(c.text !== undefined ? ["--", c.text] : [])],
    s.env,
    c.input,
  );

/** What a terminal acts on (ESC, BEL, CR, C1…): never printed raw, only `\uXXXX`-escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Why one CLI answer breaks the invariant, or null. Exit 2 is commander's usage error. */
async function answerProblem(s: Sandbox, c: Call): Promise<string | null> {
  const r = await cli(s, c);
  const args = [...c.args, c.text ?? ""];
  const where = `${JSON.stringify(args).slice(0, 300)} → exit ${r.code}: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`;
  // Whatever the answer, the text it quotes reaches a terminal escaped (usage errors included).
  const raw = RAW_CONTROL.exec(r.stdout) ?? RAW_CONTROL.exec(r.stderr);
  if (raw)
    return `a raw control character U+${raw[0].charCodeAt(0).toString(16)} printed: ${where}`;
  if (r.code === 2) {
    if (r.stdout.trim() !== "") return `usage error printed to stdout: ${where}`;
    return /^error: /m.test(r.stderr) ? null : `usage error without a message: ${where}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(r.stdout);
  } catch {
    return `--json printed no single JSON document: ${where}`;
  }
  if (r.code === 1) {
    const p = refusalProblem(body);
    if (p) return `${p}: ${where}`;
  } else if (r.code !== 0) return `exit ${r.code}: ${where}`;
  else {
    const p = acceptedTaskProblem((body as { task?: unknown }).task);
    if (p) return `${p}: ${where}`;
  }
  const q = queueProblem(queuePath(s));
  return q ? `${q} after ${where}` : null;
}

/** After a property: the list and the heartbeat check still work on what was left. */
async function expectQueueStillServes(s: Sandbox): Promise<void> {
  for (const args of [["list", "--all"], ["check"]]) {
    const r = await cli(s, { args });
    expect(r.code, `${args[0]}: ${r.stdout} ${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout).status).not.toBe("ERROR");
  }
}

async function holds<T>(
  name: string,
  s: Sandbox,
  arb: fc.Arbitrary<T>,
  toCall: (v: T) => Call,
  runs = RUNS,
): Promise<void> {
  const problems: string[] = [];
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      const p = await answerProblem(s, toCall(v));
      if (p) problems.push(p);
      // Thrown, so fast-check names the input and the reason (and shrinks it).
      if (p) throw new Error(p);
    }),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
  await recordFigure(`edges-cli-${name}`, { seed: SEED, runs, failures: problems.length });
  expect(problems).toEqual([]);
  await expectQueueStillServes(s);
}

describe("CLI arguments: any value is refused with a clear error or leaves a readable queue", () => {
  test("add <text> (argv) and add - (stdin, NUL bytes included)", async () => {
    const s = makeSandbox("edge-add");
    await holds("add-text", s, fc.tuple(fc.boolean(), hostileText(300)), ([viaStdin, text]) =>
      viaStdin ? { args: ["add"], text: "-", input: text } : { args: ["add"], text: asArg(text) },
    );
  }, 120_000);

  test("add --priority, --max-age and --max-cost with any number-ish text", async () => {
    const s = makeSandbox("edge-numbers");
    const option = fc.constantFrom("--priority", "-p", "--max-age", "--max-cost");
    await holds(
      "add-numbers",
      s,
      fc.tuple(option, numberText, fc.boolean(), fc.uuid()),
      ([opt, n, joined, unique]) => ({
        args: joined ? ["add", `${opt}=${n}`] : ["add", opt, n],
        // A text of its own each time: a repeated one is a DUPLICATE of the first add.
        text: `task ${unique}`,
      }),
    );
  }, 120_000);

  test("add --source and --key with any text", async () => {
    const s = makeSandbox("edge-labels");
    await holds(
      "add-labels",
      s,
      fc.tuple(fc.constantFrom("--source", "--key"), argText(), argText(60)),
      ([opt, value, text]) => ({ args: ["add", `${opt}=${value}`], text: text || "t" }),
    );
  }, 120_000);

  test("fail --error, ack --run-id/--session-key/--model, priority, show: any text on a real task", async () => {
    const s = makeSandbox("edge-commands");
    const added = await cli(s, { args: ["add"], text: "a task to act on" });
    const id = JSON.parse(added.stdout).task.id as string;
    const call = fc.oneof(
      fc.tuple(fc.constant("fail-argv"), argText(3000)),
      fc.tuple(fc.constant("fail-stdin"), hostileText(3000)),
      fc.tuple(fc.constantFrom("--run-id", "--session-key", "--model"), argText(600)),
      fc.tuple(fc.constant("priority"), numberText),
      fc.tuple(fc.constantFrom("show", "done", "remove"), argText(60)),
    );
    await holds("commands", s, call, ([what, value]) => {
      if (what === "fail-argv") return { args: ["fail", id, `--error=${value}`] };
      if (what === "fail-stdin") return { args: ["fail", id, "--error", "-"], input: value };
      if (what === "priority") return { args: ["priority", id], text: value };
      if (what.startsWith("--")) return { args: ["ack", id, `${what}=${value}`] };
      return { args: [what], text: value };
    });
  }, 120_000);
});
