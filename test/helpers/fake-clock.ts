import type { Clock } from "../../src/plugin/timers.js";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock whose time moves only when a test says so: `advance(ms)` runs every timer that falls
 * due on the way, in time order (a timer set by one that runs counts too). Real I/O (files,
 * watches) still runs on real time; `settle()` lets it.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer is due, or null. */
  get nextAt(): number | null {
    let best: number | null = null;
    for (const t of this.#timers.values()) if (best === null || t.at < best) best = t.at;
    return best;
  }

  /**
   * The machine sleeps for `ms`: the wall clock moves on, but no timer runs meanwhile and every
   * pending one is late by that much (Node's timers count awake time).
   */
  sleep(ms: number): void {
    this.#now += ms;
    for (const t of this.#timers.values()) t.at += ms;
  }

  /** Moves time forward by `ms`, running timers as they fall due (and letting their async work run). */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const next = [...this.#timers.values()]
        .filter((t) => t.at <= until)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets pending promise callbacks and I/O callbacks run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Polls (on real time) until `check` holds; for file-watch events, which arrive on their own. */
export async function until(
  check: () => boolean,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
