import type { Client } from "pg";
import type { PgSettings } from "./connection.js";

/** Every change to any queue notifies this channel with "<schema>/<queue>/<revision>". */
export const NOTIFY_CHANNEL = "task_manager";

/** Reconnect waits: from 1 s, doubling to 30 s (a database restart should not be hammered). */
const RETRY_MS = [1000, 2000, 4000, 8000, 16_000, 30_000];

/**
 * One LISTEN connection per store while anyone watches it. A change committed by any gateway
 * reaches every watcher within the round trip; after a lost connection the watchers are called
 * once it is back (changes may have happened meanwhile), so nothing is missed, only merged.
 */
export class Listener {
  readonly #s: PgSettings;
  readonly #watchers = new Map<number, { prefix: string; onChange: () => void }>();
  #next = 0;
  #client: Client | null = null;
  #retry: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;

  constructor(settings: PgSettings) {
    this.#s = settings;
  }

  add(prefix: string, onChange: () => void): () => void {
    const id = this.#next++;
    this.#watchers.set(id, { prefix, onChange });
    this.#closed = false;
    if (this.#client === null && this.#retry === null) void this.#connect(false);
    return () => {
      this.#watchers.delete(id);
      if (this.#watchers.size === 0) this.#stop();
    };
  }

  close(): void {
    this.#watchers.clear();
    this.#closed = true;
    this.#stop();
  }

  #stop(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client;
    this.#client = null;
    void client?.end().catch(() => undefined);
  }

  async #connect(again: boolean): Promise<void> {
    this.#retry = null;
    if (this.#watchers.size === 0 || this.#closed) return;
    const { default: pg } = await import("pg");
    const client = new pg.Client({
      connectionString: this.#s.url,
      application_name: "task-manager listen",
    });
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#client = null;
      void client.end().catch(() => undefined);
      this.#schedule();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (m) => {
      if (m.channel !== NOTIFY_CHANNEL || m.payload === undefined) return;
      for (const w of this.#watchers.values()) if (m.payload.startsWith(w.prefix)) w.onChange();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch {
      void client.end().catch(() => undefined);
      this.#schedule();
      return;
    }
    if (this.#watchers.size === 0 || this.#closed) {
      void client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#attempt = 0;
    if (again) for (const w of this.#watchers.values()) w.onChange();
  }

  #schedule(): void {
    if (this.#watchers.size === 0 || this.#closed || this.#retry) return;
    const wait = RETRY_MS[Math.min(this.#attempt, RETRY_MS.length - 1)]!;
    this.#attempt += 1;
    this.#retry = setTimeout(() => void this.#connect(true), wait);
    this.#retry.unref();
  }
}
