/**
 * The dispatcher's timers, on an injected clock so tests drive time by hand. Every timer is
 * unref'd (a gateway is never kept alive by task-manager) and released by `stop()` (a reload must
 * find nothing held).
 */

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The longest single wait. A laptop that sleeps past a long timeout fires it late by the time it
 * slept (timers count awake time); waiting in steps of at most 30 s and comparing the wall clock
 * at each step fires it within 30 s of waking — croner's reason for the same cap. A step that
 * finds nothing due costs a clock read, no tick.
 */
export const MAX_WAIT_MS = 30_000;

/** One timer for one moment: arming it again replaces the moment. */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onDue: () => void;
  #handle: TimerHandle | null = null;
  #dueMs: number | null = null;

  constructor(clock: Clock, onDue: () => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** When it fires next (epoch ms), or null when unarmed. */
  get dueAt(): number | null {
    return this.#dueMs;
  }

  arm(atMs: number | null): void {
    this.stop();
    this.#dueMs = atMs;
    if (atMs !== null) this.#step();
  }

  stop(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
    this.#dueMs = null;
  }

  #step(): void {
    const due = this.#dueMs!;
    const wait = Math.max(0, Math.min(due - this.#clock.now(), MAX_WAIT_MS));
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = null;
      if (this.#dueMs !== due) return;
      if (this.#clock.now() >= due) {
        this.#dueMs = null;
        this.#onDue();
      } else this.#step();
    }, wait);
  }
}

/**
 * Coalesces a burst of changes into one call: `quietMs` after the last change, but no later
 * than `maxWaitMs` after the first — a steady stream of adds still gets looked at every
 * `maxWaitMs`, and a thousand adds in a burst are one call.
 */
export class Debouncer {
  readonly #clock: Clock;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #fire: () => void;
  #handle: TimerHandle | null = null;
  #firstMs: number | null = null;

  constructor(clock: Clock, quietMs: number, maxWaitMs: number, fire: () => void) {
    this.#clock = clock;
    this.#quietMs = quietMs;
    this.#maxWaitMs = maxWaitMs;
    this.#fire = fire;
  }

  poke(): void {
    const now = this.#clock.now();
    this.#firstMs ??= now;
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    const at = Math.min(now + this.#quietMs, this.#firstMs + this.#maxWaitMs);
    this.#handle = this.#clock.setTimeout(
      () => {
        this.#handle = null;
        this.#firstMs = null;
        this.#fire();
      },
      Math.max(0, at - now),
    );
  }

  stop(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
    this.#firstMs = null;
  }
}
