import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../src/core/time.js";

describe("isoTime writes exactly what Date#toISOString writes", () => {
  it("for any time, including the edges of years 0 and 9999 and beyond them", () => {
    const edges = [
      0,
      -1,
      1,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(0, 0, 1) - 1,
      Date.UTC(0, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1,
      -8.64e15,
      8.64e15,
    ];
    for (const ms of edges) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000, seed: 41 },
    );
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000, seed: 43 },
    );
  });

  it("and throws as it does for an invalid time", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
