import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createPageHandler, type PageHandler } from "../../dist/page/handler.js";
import { type Context, createContext } from "../../dist/runtime/context.js";
import * as ops from "../../dist/runtime/operations.js";
import {
  acceptedTaskProblem,
  hostileText,
  priorityValue,
  queueProblem,
  refusalProblem,
} from "./lib/edges.ts";
import { makeSandbox, queuePath, removeSandboxes, type Sandbox, seedFromEnv } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";

/**
 * Issue 16, "Done when": whatever body reaches the page's mutating API — any JSON value, a task
 * shaped object with hostile fields, bytes that are not JSON, a body over the limit — the
 * answer is a 4xx with an `E_…` code or a 2xx, and the queue file still reads. The server is
 * the real handler on a real loopback socket, as `serve` and the plugin mount it.
 */
const SEED = seedFromEnv();
const RUNS = Number(process.env.TM_EDGE_RUNS) || 300;
const TOKEN = "edge-token-0123456789";
const quiet = { info() {}, warn() {}, error() {} };

let s: Sandbox;
let ctx: Context;
let server: Server;
let handler: PageHandler;
let base: string;
let taskId: string;

function post(path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      `${base}${path}`,
      {
        method: "POST",
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "X-Task-Manager-Action": "1",
          "Content-Type": "application/json",
          Origin: base,
          "Sec-Fetch-Site": "same-origin",
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // An answer that never comes (a stalled socket) is a failure of its own, not a timeout.
    req.setTimeout(10_000, () => {
      resolve({ status: 0, body: "no answer within 10 s" });
      req.destroy();
    });
    // A reset or refused connection is an answer that never came: a failure, said as such.
    req.on("error", (err) => resolve({ status: 0, body: `connection error: ${err.message}` }));
    req.end(body);
  });
}

beforeAll(async () => {
  s = makeSandbox("edge-page");
  ctx = await createContext({ workspace: s.workspace, deps: { env: s.env, logger: quiet } });
  taskId = (await ops.addTask(ctx, { prompt: "a task to act on" })).task.id;
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://${host}`;
  handler = createPageHandler({
    context: async () => ctx,
    auth: { kind: "token", token: TOKEN, cookieName: "task_manager_token_edge" },
    allowedHosts: [host],
    logger: quiet,
  });
  server.on("request", (req, res) => void handler(req, res));
});

afterEach(() => expect(queueProblem(queuePath(s))).toBeNull());

afterAll(async () => {
  handler?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  removeSandboxes();
});

/** Anything a field could be sent as. */
const anyValue = fc.oneof(
  fc.jsonValue(),
  hostileText(300),
  fc.double(),
  fc.constantFrom(1e300, -1, 0, 1001, 1.5, 1e23, "5", true, null, [], {}),
);

/** Objects shaped like the page's add form, every field hostile, plus keys it never sends. */
const taskLike = fc.record(
  {
    prompt: fc.oneof(hostileText(300), anyValue),
    priority: fc.oneof(priorityValue, anyValue),
    source: anyValue,
    key: anyValue,
    metadata: anyValue,
    state: fc.constantFrom("done", "running", "dead", "x"),
    id: fc.constantFrom("t_evil", "../x", ""),
    constructor: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

/** The body as bytes: JSON of any value or of a task-like object, or not JSON at all. */
const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  { arbitrary: taskLike.map((v) => JSON.stringify(v)), weight: 4 },
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom(
    "",
    "{",
    '{"prompt":"x"',
    "\u0000",
    '{"__proto__":{"polluted":1},"prompt":"p"}',
    `{"prompt":"${"x".repeat(70_000)}"}`,
  ),
  fc.constant(`{"prompt":"${"y".repeat(2_000_000)}"}`),
);

const paths = fc.oneof(
  fc.constant("/task-manager/api/tasks"),
  fc.constantFrom("pause", "resume").map((v) => `/task-manager/api/${v}`),
  fc
    .tuple(fc.constantFrom("retry", "remove", "priority"), fc.constantFrom("real", "t_nosuchtask"))
    .map(([verb, id]) => `/task-manager/api/tasks/${id === "real" ? "ID" : id}/${verb}`),
);

/** Why one answer breaks the invariant, or null. */
function answerProblem(status: number, text: string): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `answer ${status} is not JSON: ${text.slice(0, 200)}`;
  }
  if (status >= 200 && status < 300) {
    const { status: st, task } = json as { status?: unknown; task?: unknown };
    if (st === "ERROR") return `2xx with an ERROR: ${text.slice(0, 200)}`;
    return acceptedTaskProblem(task);
  }
  if (status < 400 || status >= 500) return `answer ${status}: ${text.slice(0, 200)}`;
  const p = refusalProblem(json);
  return p ? `${p}: ${status} ${text.slice(0, 200)}` : null;
}

describe("page API: any body is refused with an E_ code or leaves a readable queue", () => {
  test(`POST to every action with any body (${RUNS} runs)`, async () => {
    const problems: string[] = [];
    const codes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(paths, body, async (p, b) => {
        const r = await post(p.replace("ID", taskId), b);
        const q = queueProblem(queuePath(s));
        // A removed task is put back, so later runs still act on a real one.
        const problem = answerProblem(r.status, r.body) ?? q;
        if (p.includes("/remove") && r.status === 200)
          taskId = (await ops.addTask(ctx, { prompt: `a task to act on ${Date.now()}` })).task.id;
        const code = problem
          ? "problem"
          : r.status >= 400
            ? String(JSON.parse(r.body).code)
            : String(r.status);
        codes[code] = (codes[code] ?? 0) + 1;
        if (problem) problems.push(`${p} ${b.slice(0, 200)} → ${problem}`);
        // Thrown, so fast-check names the input and the reason (and shrinks it).
        if (problem) throw new Error(problems.at(-1));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await recordFigure("edges-page-api", {
      seed: SEED,
      runs: RUNS,
      failures: problems.length,
      codes,
    });
    expect(problems).toEqual([]);
    const fresh = await createContext({
      workspace: s.workspace,
      deps: { env: s.env, logger: quiet },
    });
    await expect(ops.listTasks(fresh, true)).resolves.toBeInstanceOf(Array);
    // Both outcomes happened: the property saw refusals and accepted writes.
    expect(Object.keys(codes).some((c) => c.startsWith("E_"))).toBe(true);
    expect(codes["200"] ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
