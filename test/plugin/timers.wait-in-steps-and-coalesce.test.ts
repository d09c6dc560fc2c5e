import { describe, expect, it } from "vitest";
import { Debouncer, MAX_WAIT_MS, WakeTimer } from "../../src/plugin/timers.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { T0 } from "../helpers/fixtures.js";

describe("the wake timer", () => {
  it("fires once at its moment, waiting in steps of at most 30 s", async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    const timer = new WakeTimer(clock, () => fired.push(clock.now()));
    timer.arm(T0 + 95_000);
    expect(clock.nextAt).toBe(T0 + MAX_WAIT_MS); // a step, not one 95 s timeout
    await clock.advance(94_999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([T0 + 95_000]);
    expect(clock.pending).toBe(0);
    expect(timer.dueAt).toBeNull();
  });

  it("a wall clock that jumps (a laptop waking from sleep) fires it at the next step, not after the whole wait", async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    const timer = new WakeTimer(clock, () => fired.push(clock.now()));
    timer.arm(T0 + 3_600_000);
    await clock.advance(10_000);
    clock.sleep(2 * 3_600_000); // past the moment while asleep
    const woke = clock.now();
    await clock.advance(MAX_WAIT_MS);
    expect(fired).toHaveLength(1);
    expect(fired[0]! - woke).toBeLessThanOrEqual(MAX_WAIT_MS);
  });

  it("arming again replaces the moment; stop releases the timer", async () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    const timer = new WakeTimer(clock, () => fired.push(clock.now()));
    timer.arm(T0 + 10_000);
    timer.arm(T0 + 5_000);
    expect(clock.pending).toBe(1);
    await clock.advance(20_000);
    expect(fired).toEqual([T0 + 5_000]);
    timer.arm(T0 + 40_000);
    timer.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(fired).toEqual([T0 + 5_000]);
  });
});

describe("the queue-change debouncer", () => {
  it("a burst is one call, after the quiet time", async () => {
    const clock = new FakeClock(T0);
    const calls: number[] = [];
    const d = new Debouncer(clock, 100, 1000, () => calls.push(clock.now()));
    for (let i = 0; i < 1000; i++) d.poke();
    await clock.advance(99);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([T0 + 100]);
  });

  it("a steady stream is called at least every maxWait, and stop releases it", async () => {
    const clock = new FakeClock(T0);
    const calls: number[] = [];
    const d = new Debouncer(clock, 100, 1000, () => calls.push(clock.now() - T0));
    for (let i = 0; i < 50; i++) {
      d.poke();
      await clock.advance(50);
    }
    expect(calls).toEqual([1000, 2000]);
    d.poke();
    d.stop();
    expect(clock.pending).toBe(0);
  });
});
