import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyQueue, type Queue } from "../../src/core/queue-model.js";
import { EVERYTHING } from "../../src/core/views.js";
import { queueTool } from "../../src/plugin/surfaces.js";
import { runAction } from "../../src/page/actions.js";
import { createContext, type Context } from "../../src/runtime/context.js";
import { addTask } from "../../src/runtime/operations.js";
import { FileQueueStore } from "../../src/store/file/file-store.js";
import { decodeQueue } from "../../src/store/file/codec.js";
import { cliJson, tempDir, writeRelaxedRc } from "../helpers/cli.js";

/**
 * Issue 16, point 1: one add with a priority of 1e23 used to be written, and from then on every
 * check, list and page answered E_QUEUE_CORRUPT. Every edge now holds values to the same bounds,
 * and the store checks each queue against the reader's own validator before it writes.
 */
let t: { dir: string; cleanup: () => void };
const ws = (): string => path.join(t.dir, "ws");
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });
const queueFile = (): string => path.join(ws(), "memory", "pending_tasks.json");
const cli = <T = Record<string, unknown>>(args: string[], input?: string) =>
  cliJson<T>([...args, "-w", ws(), "--json"], { env: env(), ...(input ? { input } : {}) });
const quiet = { info() {}, warn() {}, error() {} };
const context = (): Promise<Context> =>
  createContext({ workspace: ws(), deps: { env: env(), logger: quiet } });

/** The invariant: whatever happened, the reader accepts the file (or there is none). */
function expectReadable(): void {
  const listed = cli<{ tasks: unknown[] }>(["list", "--all"]);
  expect(listed.code, JSON.stringify(listed.body)).toBe(0);
  let bytes: Buffer;
  try {
    bytes = readFileSync(queueFile());
  } catch {
    return;
  }
  expect(() => decodeQueue(bytes, queueFile(), Date.now())).not.toThrow();
}

beforeEach(() => {
  t = tempDir();
  mkdirSync(ws());
  mkdirSync(path.join(t.dir, "home"));
  writeRelaxedRc(ws());
});
afterEach(() => t.cleanup());

describe("priority is 1–1000 at every edge, and the queue stays readable", () => {
  it("CLI: add -p 99999999999999999999999 is refused with E_INVALID_INPUT; nothing is written", () => {
    const r = cli<{ status: string; code: string; message: string }>([
      "add",
      "x",
      "-p",
      "99999999999999999999999",
    ]);
    expect(r.code).toBe(1);
    expect(r.body).toMatchObject({ status: "ERROR", code: "E_INVALID_INPUT" });
    expect(r.body.message).toMatch(/from 1 to 1000/);
    expectReadable();
  });

  it("CLI: 0 and 1001 are refused, 1 and 1000 accepted; `priority` holds the same bounds", () => {
    expect(cli(["add", "a", "-p", "0"]).body).toMatchObject({ code: "E_INVALID_INPUT" });
    expect(cli(["add", "b", "-p", "1001"]).body).toMatchObject({ code: "E_INVALID_INPUT" });
    expect(cli(["add", "c", "-p", "1"]).body).toMatchObject({ status: "ADDED" });
    const added = cli<{ task: { id: string } }>(["add", "d", "-p", "1000"]);
    expect(added.body).toMatchObject({ status: "ADDED", task: { priority: 1000 } });
    const id = added.body.task.id;
    expect(cli(["priority", id, "99999999999999999999999"]).body).toMatchObject({
      code: "E_INVALID_INPUT",
    });
    expect(cli(["priority", id, "0"]).body).toMatchObject({ code: "E_INVALID_INPUT" });
    expectReadable();
  });

  it("status page API: a priority of 1e300 (add or reprioritise) is refused; the queue stays readable", async () => {
    const ctx = await context();
    await expect(
      runAction(ctx, { kind: "add" }, { prompt: "x", priority: 1e300 }),
    ).rejects.toMatchObject({ code: "E_INVALID_INPUT" });
    const { task } = await addTask(ctx, { prompt: "y" });
    await expect(
      runAction(ctx, { kind: "priority", id: task.id }, { priority: 1e300 }),
    ).rejects.toMatchObject({ code: "E_INVALID_INPUT" });
    expectReadable();
  });

  it("agent tool: a priority of 1e300, a non-string key or prompt is an ERROR answer, not a task", async () => {
    const tool = queueTool({ agents: () => ["main"], context, service: () => null });
    for (const params of [
      { action: "add", prompt: "x", priority: 1e300 },
      { action: "add", prompt: "x", key: { not: "a string" } },
      { action: "add", prompt: { not: "a string" } },
      { action: "drop-table" },
      // A host may pass what the model wrote unchecked: no object at all.
      null,
      ["add", "x"],
    ]) {
      const answer = (await tool.execute("call", params as Record<string, unknown>)).details as {
        status: string;
        code: string;
      };
      expect(answer, JSON.stringify(params)).toMatchObject({
        status: "ERROR",
        code: "E_INVALID_INPUT",
      });
    }
    expectReadable();
  });
});

describe("other fields that used to reach the file unbounded", () => {
  it("a config lease of 1e15 s is a config error naming the key, not a lease dated beyond year 9999", () => {
    writeRelaxedRc(ws(), { leaseSeconds: 1e15 });
    const r = cliJson<{ code: string; message: string }>(["check", "-w", ws()], { env: env() });
    expect(r.body).toMatchObject({ code: "E_CONFIG_INVALID" });
    expect(r.body.message).toMatch(/leaseSeconds/);
    writeRelaxedRc(ws(), { retry: { maxDelayMs: 1e17, baseDelayMs: 1e17 } });
    expect(cliJson(["check", "-w", ws()], { env: env() }).body).toMatchObject({
      code: "E_CONFIG_INVALID",
    });
  });

  it("a legacy file with priority 1e300, retry_count 1e300 and added_at 1e20 migrates into a readable queue", () => {
    mkdirSync(path.dirname(queueFile()));
    writeFileSync(
      queueFile(),
      JSON.stringify([
        { prompt: "old", priority: 1e300, added_at: 1e20, metadata: { retry_count: 1e300 } },
        { prompt: "older", priority: "-7", added_at: "275760-09-13T00:00:00Z" },
      ]),
    );
    const listed = cli<{ tasks: Array<{ priority: number; failures: number }> }>(["list"]);
    expect(listed.code).toBe(0);
    expect(listed.body.tasks.map((x) => x.priority).sort()).toEqual([1, 1000]);
    expect(cli(["add", "new"]).body).toMatchObject({ status: "ADDED" }); // the migrating write
    expectReadable();
  });

  it("ack: a run id with an escape sequence or of 100 KB is refused", async () => {
    const ctx = await context();
    const { task } = await addTask(ctx, { prompt: "z" });
    expect(cli(["ack", task.id, "--run-id", "r\u001b]0;x\u0007"]).body).toMatchObject({
      code: "E_INVALID_INPUT",
    });
    expect(cli(["ack", task.id, "--run-id", "r".repeat(100_000)]).body).toMatchObject({
      code: "E_INVALID_INPUT",
    });
    expectReadable();
  });
});

describe("the store never publishes a queue its reader refuses", () => {
  const store = () =>
    new FileQueueStore({ workspace: ws(), file: queueFile(), lock: { staleMs: 2000 } });

  async function seeded(): Promise<Buffer> {
    const ctx = await context();
    await addTask(ctx, { prompt: "kept" });
    return readFileSync(queueFile());
  }

  for (const [name, breakIt] of [
    [
      "a priority that is not an integer",
      (q: Queue) => ({ ...q, tasks: q.tasks.map((x) => ({ ...x, priority: 1.5 })) }),
    ],
    [
      "a priority beyond a safe integer",
      (q: Queue) => ({ ...q, tasks: q.tasks.map((x) => ({ ...x, priority: 1e23 })) }),
    ],
    [
      "a time beyond year 9999",
      (q: Queue) => ({
        ...q,
        tasks: q.tasks.map((x) => ({ ...x, run_at: "+031689-05-07T00:00:00.000Z" })),
      }),
    ],
    // A task id twice is not here: mutate() applies a transform as a change keyed by id
    // (diffQueue/applyChange), so a doubled id cannot reach the write; the reader still
    // refuses one found in a file (checkStoredQueue).
    [
      "metadata 200,000 levels deep",
      (q: Queue) => {
        let deep: Record<string, unknown> = {};
        for (let i = 0; i < 200_000; i++) deep = { d: deep };
        return { ...q, tasks: q.tasks.map((x) => ({ ...x, metadata: deep })) };
      },
    ],
  ] as const) {
    it(`a transform that leaves ${name} is refused with E_WOULD_CORRUPT; the file is unchanged`, async () => {
      const before = await seeded();
      await expect(
        store().mutate(EVERYTHING, (q: Queue) => ({ queue: breakIt(q) as Queue, result: null })),
      ).rejects.toMatchObject({ code: "E_WOULD_CORRUPT" });
      expect(readFileSync(queueFile()).equals(before)).toBe(true);
      expectReadable();
    });
  }

  it("the same check passes every queue the reader accepts (an empty one, a busy one)", async () => {
    await expect(
      store().mutate(EVERYTHING, () => ({ queue: { ...emptyQueue(), paused: true }, result: 1 })),
    ).resolves.toMatchObject({
      written: true,
    });
    await seeded();
    expectReadable();
  });
});
