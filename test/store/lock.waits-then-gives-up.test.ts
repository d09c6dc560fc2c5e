import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, retriesFor } from "../../src/store/file/lock.js";
import { tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("a process waiting for the queue lock", () => {
  const target = () => path.join(t.dir, "queue.json");
  const lock = () => `${target()}.lock`;

  it("keeps polling through its wait and gets the lock once the holder lets go", async () => {
    const held = await acquireLock(lock(), target(), { staleMs: 60_000, waitMs: 0 });
    setTimeout(() => void held.release(), 300);
    const waiter = await acquireLock(lock(), target(), { staleMs: 60_000, waitMs: 5000 });
    expect(waiter.compromised()).toBe(false);
    await waiter.release();
  });

  it("gives up with E_LOCKED when the holder keeps it", async () => {
    const held = await acquireLock(lock(), target(), { staleMs: 60_000, waitMs: 0 });
    try {
      await expect(
        acquireLock(lock(), target(), { staleMs: 60_000, waitMs: 200 }),
      ).rejects.toMatchObject({ code: "E_LOCKED" });
    } finally {
      await held.release();
    }
  });

  it("retries enough to cover the wait, and none when it may not wait", () => {
    expect(retriesFor(0)).toBe(0);
    // At the 25 ms cap each retry sleeps 37.5 ms on average: 10 s needs a few hundred, not 10,000.
    expect(retriesFor(10_000)).toBeGreaterThan(250);
    expect(retriesFor(10_000)).toBeLessThan(300);
    expect(retriesFor(2000)).toBeLessThan(retriesFor(10_000));
  });
});
