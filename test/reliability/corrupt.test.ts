import { closeSync, openSync, readFileSync, ftruncateSync, statSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { isTaskManagerError } from "../../dist/base/errors.js";
import { decodeQueue, encodeQueue, MAX_QUEUE_BYTES } from "../../dist/store/file/codec.js";
import * as ops from "../../dist/runtime/operations.js";
import { makeSandbox, queuePath, seedFromEnv, removeSandboxes } from "./lib/env.ts";
import { recordFigure } from "./lib/figures.ts";
import { contextFor, sha, tryWriteOver, validQueueBytes } from "./lib/queue-fixtures.ts";
import { EVERYTHING } from "../../dist/core/views.js";

const SEED = seedFromEnv();
const RUNS = 300;

/** True when the bytes happen to be a valid queue (e.g. fast-check produced "[]"). */
function isValidQueue(bytes: Buffer): boolean {
  try {
    decodeQueue(bytes, "x", 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(removeSandboxes);

describe("corrupt or hand-edited queue files are refused, kept, and never overwritten", () => {
  test(`arbitrary bytes (${RUNS} runs): E_QUEUE_CORRUPT, file byte-identical, quarantine copy made`, async () => {
    const ctx = await contextFor(makeSandbox("bytes"));
    const valid = await validQueueBytes();
    let runs = 0;
    let failures = 0;
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
      fc.json().map((j) => Buffer.from(j)),
      // A valid file with a few bytes overwritten: the hand-edit that breaks one field.
      fc
        .tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([at, patch]) => {
          const b = Buffer.from(valid);
          Buffer.from(patch).copy(b, at);
          return b;
        }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        fc.pre(!isValidQueue(b));
        runs += 1;
        const r = await tryWriteOver(ctx, b);
        const ok = r.code === "E_QUEUE_CORRUPT" && r.unchanged && r.quarantined;
        if (!ok) failures += 1;
        return ok;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await recordFigure("corrupt-bytes", { seed: SEED, runs, failures });
    expect(failures).toBe(0);
  }, 120_000);

  test("every strict prefix of a valid file is refused (or, minus only trailing whitespace, read as the same queue)", async () => {
    const ctx = await contextFor(makeSandbox("prefix"));
    const valid = await validQueueBytes();
    const legacy = Buffer.from(
      JSON.stringify([
        { prompt: "old task", priority: "high", metadata: { source: "x", retry_count: 1 } },
        { prompt: "b" },
      ]),
    );
    let runs = 0;
    let failures = 0;
    for (const whole of [valid, legacy]) {
      for (let n = 0; n < whole.length; n++) {
        const prefix = whole.subarray(0, n);
        runs += 1;
        if (prefix.toString().trim() === whole.toString().trim()) {
          if (!isValidQueue(prefix)) failures += 1;
          continue;
        }
        const r = await tryWriteOver(ctx, prefix);
        if (!(r.code === "E_QUEUE_CORRUPT" && r.unchanged && r.quarantined)) failures += 1;
      }
    }
    await recordFigure("corrupt-prefixes", {
      runs,
      failures,
      validBytes: valid.length,
      legacyBytes: legacy.length,
    });
    expect(failures).toBe(0);
  }, 120_000);

  test("a queue file over the size cap is refused with E_QUEUE_TOO_LARGE and not read or changed", async () => {
    const s = makeSandbox("huge");
    const ctx = await contextFor(s);
    const fd = openSync(queuePath(s), "w");
    ftruncateSync(fd, MAX_QUEUE_BYTES + 1); // sparse: no 16 MB written
    closeSync(fd);
    const before = sha(readFileSync(queuePath(s)));
    const err = await ops.addTask(ctx, { prompt: "x" }).catch((e: unknown) => e);
    expect(isTaskManagerError(err) && err.code).toBe("E_QUEUE_TOO_LARGE");
    expect(String((err as Error).message)).toContain(queuePath(s));
    expect(sha(readFileSync(queuePath(s)))).toBe(before);
  });

  test("a write that would take the queue over the size cap is refused, so the queue stays readable", async () => {
    const s = makeSandbox("growth");
    const ctx = await contextFor(s);
    const big = "p".repeat(64 * 1024 - 16);
    await ops.addTask(ctx, { prompt: "seed" });
    const seed = decodeQueue(readFileSync(queuePath(s)), "seed", Date.now()).queue;
    const template = seed.tasks[0]!;
    const filled = {
      ...seed,
      tasks: Array.from({ length: 250 }, (_, i) => ({
        ...template,
        id: `t_fill${i}`,
        prompt: `${i} ${big}`,
      })),
    };
    writeFileSync(queuePath(s), encodeQueue(filled));
    let refused: string | null = null;
    for (let i = 0; i < 20 && refused === null; i++) {
      await ops.addTask(ctx, { prompt: `new ${i} ${big}` }).catch((e: unknown) => {
        refused = isTaskManagerError(e) ? e.code : "other";
      });
    }
    const size = statSync(queuePath(s)).size;
    await recordFigure("queue-growth-cap", {
      refusedWith: refused,
      sizeAfter: size,
      cap: MAX_QUEUE_BYTES,
    });
    expect(refused).toBe("E_QUEUE_TOO_LARGE");
    expect(size).toBeLessThanOrEqual(MAX_QUEUE_BYTES);
    expect((await ctx.store.read(EVERYTHING)).queue.tasks.length).toBeGreaterThan(250);
  }, 60_000);
});
