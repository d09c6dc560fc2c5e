import { mkdirSync, utimesSync, writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTask } from "../../src/core/tasks.js";
import { FileQueueStore } from "../../src/store/file/file-store.js";
import { RACY_WINDOW_MS } from "../../src/base/read-cache.js";
import { tempDir } from "../helpers/cli.js";
import { EVERYTHING } from "../../src/core/views.js";

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
  store.mutate(EVERYTHING, (q) => {
    const r = addTask(q, { prompt }, Date.now(), `t_${prompt}`);
    return { queue: r.queue, result: r.task };
  });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the queue store's read cache", () => {
  it("serves an unchanged file from memory, and sees every replacement at once", async () => {
    await add("one");
    await wait(RACY_WINDOW_MS + 100);
    const first = await store.read(EVERYTHING);
    // The same task objects: not read, parsed or validated again.
    expect((await store.read(EVERYTHING)).queue.tasks[0]).toBe(first.queue.tasks[0]);
    await add("two");
    const second = await store.read(EVERYTHING);
    expect(second.queue.tasks.map((t) => t.id)).toEqual(["t_one", "t_two"]);
  });

  it("never caches a file modified within the racy window, so a same-size hand edit is seen", async () => {
    await add("aaa");
    const file = store.file;
    expect((await store.read(EVERYTHING)).queue.tasks[0]!.prompt).toBe("aaa");
    writeFileSync(file, readFileSync(file, "utf8").replace('"aaa"', '"bbb"')); // in place, same size
    expect((await store.read(EVERYTHING)).queue.tasks[0]!.prompt).toBe("bbb");
  });

  it("notices an in-place edit that restores the old mtime (ctime still moves)", async () => {
    await add("ccc");
    await wait(RACY_WINDOW_MS + 100);
    await store.read(EVERYTHING);
    const file = store.file;
    const old = new Date(Date.now() - 60_000);
    writeFileSync(file, readFileSync(file, "utf8").replace('"ccc"', '"ddd"'));
    utimesSync(file, old, old);
    expect((await store.read(EVERYTHING)).queue.tasks[0]!.prompt).toBe("ddd");
  });

  it("hands out views over frozen snapshots, so one caller cannot change what the next one reads", async () => {
    await add("eee");
    await wait(RACY_WINDOW_MS + 100);
    const { queue } = await store.read(EVERYTHING);
    // What reads share is frozen; the view around it is each caller's own.
    expect(Object.isFrozen(queue.tasks)).toBe(true);
    expect(Object.isFrozen(queue.tasks[0])).toBe(true);
    expect(Object.isFrozen(queue.cooldowns)).toBe(true);
    (queue as { paused: boolean }).paused = true;
    expect((await store.read(EVERYTHING)).queue.paused).toBe(false);
  });
}, 15_000);
