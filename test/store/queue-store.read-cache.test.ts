import { mkdirSync, utimesSync, writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTask } from "../../src/core/tasks.js";
import { FileQueueStore } from "../../src/store/file/file-store.js";
import { RACY_WINDOW_MS } from "../../src/base/read-cache.js";
import { tempDir } from "../helpers/cli.js";

let ws: { dir: string; cleanup: () => void };
let store: FileQueueStore;
beforeEach(() => {
  ws = tempDir("tm-read-cache-");
  mkdirSync(path.join(ws.dir, "memory"));
  store = new FileQueueStore({
    workspace: ws.dir,
    file: path.join(ws.dir, "memory/pending_tasks.json"),
  });
});
afterEach(() => ws.cleanup());

const add = (prompt: string) =>
  store.mutate((q) => {
    const r = addTask(q, { prompt }, Date.now(), `t_${prompt}`);
    return { queue: r.queue, result: r.task };
  });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the queue store's read cache", () => {
  it("serves an unchanged file from memory, and sees every replacement at once", async () => {
    await add("one");
    await wait(RACY_WINDOW_MS + 100);
    const first = await store.read();
    expect(await store.read()).toBe(first); // same object: not read, parsed or validated again
    await add("two");
    const second = await store.read();
    expect(second.queue.tasks.map((t) => t.id)).toEqual(["t_one", "t_two"]);
  });

  it("never caches a file modified within the racy window, so a same-size hand edit is seen", async () => {
    await add("aaa");
    const file = store.file;
    expect((await store.read()).queue.tasks[0]!.prompt).toBe("aaa");
    writeFileSync(file, readFileSync(file, "utf8").replace('"aaa"', '"bbb"')); // in place, same size
    expect((await store.read()).queue.tasks[0]!.prompt).toBe("bbb");
  });

  it("notices an in-place edit that restores the old mtime (ctime still moves)", async () => {
    await add("ccc");
    await wait(RACY_WINDOW_MS + 100);
    await store.read();
    const file = store.file;
    const old = new Date(Date.now() - 60_000);
    writeFileSync(file, readFileSync(file, "utf8").replace('"ccc"', '"ddd"'));
    utimesSync(file, old, old);
    expect((await store.read()).queue.tasks[0]!.prompt).toBe("ddd");
  });

  it("hands out frozen snapshots, so one caller cannot change what the next one reads", async () => {
    await add("eee");
    const { queue } = await store.read();
    expect(Object.isFrozen(queue)).toBe(true);
    expect(Object.isFrozen(queue.tasks)).toBe(true);
    expect(Object.isFrozen(queue.tasks[0])).toBe(true);
  });
}, 15_000);
