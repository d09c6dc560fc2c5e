import { existsSync, watch, type FSWatcher } from "node:fs";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { BASE_HEADERS } from "./http.js";

export interface QueueEventsOptions {
  /** The queue file; its folder is watched, since every write replaces the file by rename. */
  file: string;
  /** Nothing above this folder is watched (the workspace). */
  root: string;
  /** Changes closer together than this are one event (a write is a staging file, a rename, a lock folder). */
  debounceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  maxClients?: number;
}

/**
 * Server-sent events for open status pages: `event: change` when the queue file changes. One
 * folder watcher serves every open page and exists only while a page is open; an idle page costs
 * a keep-alive line every 25 s and nothing else (no polling).
 */
export class QueueEvents {
  readonly #file: string;
  readonly #root: string;
  readonly #debounceMs: number;
  readonly #keepAliveMs: number;
  readonly #maxClients: number;
  readonly #clients = new Set<ServerResponse>();
  #watcher: FSWatcher | null = null;
  #watching: string | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #keepAlive: NodeJS.Timeout | null = null;
  /** Changes announced so far (the event id), so a test or a page can tell events apart. */
  #sent = 0;

  constructor(opts: QueueEventsOptions) {
    this.#file = opts.file;
    this.#root = opts.root;
    this.#debounceMs = opts.debounceMs ?? 100;
    this.#keepAliveMs = opts.keepAliveMs ?? 25_000;
    this.#maxClients = opts.maxClients ?? 32;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Answers a request with the event stream; false when too many pages are open already. */
  attach(res: ServerResponse): boolean {
    if (this.#clients.size >= this.#maxClients) return false;
    res.writeHead(200, {
      ...BASE_HEADERS,
      "Content-Type": "text/event-stream; charset=utf-8",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write(`retry: 5000\n: connected\n\n`);
    this.#clients.add(res);
    res.on("close", () => this.#detach(res));
    if (this.#clients.size === 1) this.#start();
    return true;
  }

  /** Ends every stream and stops watching. */
  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #detach(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stop();
  }

  #start(): void {
    this.#arm();
    this.#keepAlive = setInterval(() => this.#broadcast(": keep-alive\n\n"), this.#keepAliveMs);
    this.#keepAlive.unref();
  }

  #stop(): void {
    this.#watcher?.close();
    this.#watcher = null;
    this.#watching = null;
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#debounce = null;
    this.#keepAlive = null;
  }

  /**
   * Watches the queue's folder, or — before the first write created it — the nearest folder
   * above it inside the workspace, moving down once the queue's folder appears.
   */
  #arm(): void {
    const target = path.dirname(this.#file);
    let dir = target;
    while (!existsSync(dir) && dir !== this.#root && dir.startsWith(this.#root))
      dir = path.dirname(dir);
    if (dir === this.#watching) return;
    this.#watcher?.close();
    this.#watching = dir;
    const name = path.basename(this.#file);
    try {
      this.#watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (dir !== target) {
          this.#arm();
          if (this.#watching === target && existsSync(this.#file)) this.#changed();
          return;
        }
        if (filename === null || filename === name) this.#changed();
      });
      this.#watcher.on("error", () => {
        // The folder went away (or was replaced): watch again from whatever exists now.
        this.#watching = null;
        if (this.#clients.size > 0)
          setTimeout(() => this.#clients.size > 0 && this.#arm(), 1000).unref();
      });
    } catch {
      this.#watching = null;
    }
  }

  #changed(): void {
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.#sent += 1;
      this.#broadcast(`id: ${this.#sent}\nevent: change\ndata: {}\n\n`);
    }, this.#debounceMs);
    this.#debounce.unref();
  }

  #broadcast(text: string): void {
    for (const res of this.#clients) res.write(text);
  }
}
