import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTask } from "../../src/core/tasks.js";
import { FileQueueStore } from "../../src/store/file/file-store.js";
import { RACY_WINDOW_MS, disableReadCaching } from "../../src/base/read-cache.js";
import { tempDir } from "../helpers/cli.js";
import { EVERYTHING } from "../../src/core/views.js";

// Its own file: the switch is process-wide (vitest gives each file fresh modules).
let ws: { dir: string; cleanup: () => void };
beforeEach(() => (ws = tempDir("tm-one-shot-")));
afterEach(() => ws.cleanup());

describe("a one-shot process (the CLI) does not cache what it reads", () => {
  it("reads an unchanged, settled queue file again each time, and leaves the snapshot unfrozen", async () => {
    mkdirSync(path.join(ws.dir, "memory"));
    const store = new FileQueueStore({
      workspace: ws.dir,
      file: path.join(ws.dir, "memory/pending_tasks.json"),
    });
    await store.mutate(EVERYTHING, (q) => ({
      queue: addTask(q, { prompt: "one" }, Date.now(), "t_one").queue,
      result: null,
    }));
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 100));
    disableReadCaching();
    const first = await store.read(EVERYTHING);
    const second = await store.read(EVERYTHING);
    expect(second.queue.tasks[0]).not.toBe(first.queue.tasks[0]);
    expect(second.queue.tasks[0]?.prompt).toBe("one");
    expect(Object.isFrozen(first.queue.tasks[0])).toBe(false);
  });
});
