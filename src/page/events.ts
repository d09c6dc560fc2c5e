import type { ServerResponse } from "node:http";
import { BASE_HEADERS } from "./http.js";

export interface QueueEventsOptions {
  /** The store's change feed (QueueStore.watch): watched only while a page is open. */
  watch(onChange: () => void): () => void;
  /** Changes closer together than this are one event (a write is a staging file, a rename, a lock folder). */
  debounceMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  maxClients?: number;
}

/**
 * Server-sent events for open pages: `event: change` when the queue changes. One watch of
 * the store serves every open page and exists only while a page is open; an idle page costs
 * a keep-alive line every 25 s and nothing else (no polling).
 */
export class QueueEvents {
  readonly #watch: (onChange: () => void) => () => void;
  readonly #debounceMs: number;
  readonly #keepAliveMs: number;
  readonly #maxClients: number;
  readonly #clients = new Set<ServerResponse>();
  #unwatch: (() => void) | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #keepAlive: NodeJS.Timeout | null = null;
  /** Changes announced so far (the event id), so a test or a page can tell events apart. */
  #sent = 0;

  constructor(opts: QueueEventsOptions) {
    this.#watch = opts.watch;
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
    this.#unwatch = this.#watch(() => this.#changed());
    this.#keepAlive = setInterval(() => this.#broadcast(": keep-alive\n\n"), this.#keepAliveMs);
    this.#keepAlive.unref();
  }

  #stop(): void {
    this.#unwatch?.();
    this.#unwatch = null;
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#debounce = null;
    this.#keepAlive = null;
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
