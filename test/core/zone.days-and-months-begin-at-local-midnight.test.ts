import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dayKey, dayWindow, monthWindow } from "../../src/core/zone.js";

/** Budget windows are the user's calendar days and months, whatever the zone does at midnight. */
describe("budget windows in a time zone", () => {
  it("a day in Asia/Kolkata (UTC+05:30) runs from 18:30 UTC to 18:30 UTC", () => {
    const w = dayWindow(Date.parse("2026-11-25T10:00:00Z"), "Asia/Kolkata");
    expect(w).toMatchObject({ first: "2026-11-25", last: "2026-11-25" });
    expect(new Date(w.startMs).toISOString()).toBe("2026-11-24T18:30:00.000Z");
    expect(new Date(w.endMs).toISOString()).toBe("2026-11-25T18:30:00.000Z");
  });

  it("the day DST starts in New York lasts 23 hours, the day it ends 25", () => {
    const spring = dayWindow(Date.parse("2026-03-08T12:00:00Z"), "America/New_York");
    expect(new Date(spring.startMs).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect((spring.endMs - spring.startMs) / 3_600_000).toBe(23);
    const autumn = dayWindow(Date.parse("2026-11-01T12:00:00Z"), "America/New_York");
    expect((autumn.endMs - autumn.startMs) / 3_600_000).toBe(25);
  });

  it("a day whose midnight does not exist (Santiago's DST jump at 24:00) begins at 01:00", () => {
    // 2026-09-06: clocks go from 24:00 (UTC−4) to 01:00 (UTC−3).
    const w = dayWindow(Date.parse("2026-09-06T15:00:00Z"), "America/Santiago");
    expect(new Date(w.startMs).toISOString()).toBe("2026-09-06T04:00:00.000Z");
    expect(dayKey(w.startMs - 1, "America/Santiago")).toBe("2026-09-05");
    expect(dayKey(w.startMs, "America/Santiago")).toBe("2026-09-06");
  });

  it("a month in Europe/Paris: February 2026 from Jan 31 23:00 UTC to Feb 28 23:00 UTC", () => {
    const w = monthWindow(Date.parse("2026-02-14T12:00:00Z"), "Europe/Paris");
    expect(w).toMatchObject({ first: "2026-02-01", last: "2026-02-28" });
    expect(new Date(w.startMs).toISOString()).toBe("2026-01-31T23:00:00.000Z");
    expect(new Date(w.endMs).toISOString()).toBe("2026-02-28T23:00:00.000Z");
  });

  it("every instant lies in its day's window, which begins on that local date (generated)", () => {
    const zones = [
      "UTC",
      "Asia/Kolkata",
      "America/New_York",
      "Australia/Lord_Howe",
      "Pacific/Kiritimati",
      "Pacific/Pago_Pago",
      "America/Santiago",
      "Asia/Kathmandu",
    ];
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse("2024-01-01T00:00:00Z"),
          max: Date.parse("2030-12-31T00:00:00Z"),
        }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const w = dayWindow(ms, zone);
          expect(w.startMs).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(w.endMs);
          expect(dayKey(w.startMs, zone)).toBe(w.first);
          expect(dayKey(w.startMs - 1000, zone)).not.toBe(w.first);
          expect(dayKey(w.endMs, zone)).not.toBe(w.first);
          const m = monthWindow(ms, zone);
          expect(m.startMs).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(m.endMs);
          expect(w.first.slice(0, 7)).toBe(m.first.slice(0, 7));
        },
      ),
      { numRuns: 300 },
    );
  });
});
