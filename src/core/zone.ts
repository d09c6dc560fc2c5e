/**
 * Calendar days and months in an IANA time zone, for budget windows ("$1 a day" means the
 * user's day). Pure: Intl does the zone arithmetic from an instant the caller passes in; the
 * first instant of a day is found by bisection, so days that begin at 01:00 (a DST jump at
 * midnight) or last 23 or 25 hours come out right without a table of rules.
 */
import { isoTime } from "./time.js";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    // Invalid zones throw here; callers pass a zone the policy or the runtime already checked.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local calendar date at `ms` in `zone`, as "YYYY-MM-DD" (so keys sort as dates). */
export function dayKey(ms: number, zone: string): string {
  let year = "";
  let month = "";
  let day = "";
  for (const part of formatter(zone).formatToParts(ms)) {
    if (part.type === "year") year = part.value;
    else if (part.type === "month") month = part.value;
    else if (part.type === "day") day = part.value;
  }
  return `${year.padStart(4, "0")}-${month}-${day}`;
}

const HOUR_MS = 3_600_000;

/** The first instant (to the second) whose local date in `zone` is `key` or later. */
function startOfDay(key: string, zone: string): number {
  const utcMidnight = Date.UTC(
    Number(key.slice(0, 4)),
    Number(key.slice(5, 7)) - 1,
    Number(key.slice(8, 10)),
  );
  // UTC offsets lie within −12 h … +14 h: local midnight is within 15 hours of UTC midnight.
  let lo = (utcMidnight - 15 * HOUR_MS) / 1000;
  let hi = (utcMidnight + 15 * HOUR_MS) / 1000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayKey(mid * 1000, zone) >= key) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

/** "YYYY-MM-DD" of the day after `key` (calendar arithmetic, no zone). */
export function nextDayKey(key: string): string {
  return dayKeyMinus(key, -1);
}

/** "YYYY-MM-DD" of `days` days before `key`. */
export function dayKeyMinus(key: string, days: number): string {
  const ms = Date.UTC(
    Number(key.slice(0, 4)),
    Number(key.slice(5, 7)) - 1,
    Number(key.slice(8, 10)) - days,
  );
  return isoTime(ms).slice(0, 10);
}

/** A budget window: its first day's key, its last day's key, and when the next one begins. */
export interface CalendarWindow {
  /** "YYYY-MM-DD" of the window's first day. */
  first: string;
  /** "YYYY-MM-DD" of its last day. */
  last: string;
  startMs: number;
  endMs: number;
}

const cache = new Map<string, CalendarWindow>();

function remember(id: string, make: () => CalendarWindow): CalendarWindow {
  let w = cache.get(id);
  if (w === undefined) {
    if (cache.size > 256) cache.clear();
    w = make();
    cache.set(id, w);
  }
  return w;
}

/** The local day containing `ms` in `zone`. */
export function dayWindow(ms: number, zone: string): CalendarWindow {
  const key = dayKey(ms, zone);
  return remember(`${zone} d ${key}`, () => {
    const next = nextDayKey(key);
    return { first: key, last: key, startMs: startOfDay(key, zone), endMs: startOfDay(next, zone) };
  });
}

/** The local month containing `ms` in `zone`. */
export function monthWindow(ms: number, zone: string): CalendarWindow {
  const key = dayKey(ms, zone).slice(0, 7);
  return remember(`${zone} m ${key}`, () => {
    const year = Number(key.slice(0, 4));
    const month = Number(key.slice(5, 7));
    const nextKey = isoTime(Date.UTC(year, month, 1)).slice(0, 10);
    return {
      first: `${key}-01`,
      last: dayKeyMinus(nextKey, 1),
      startMs: startOfDay(`${key}-01`, zone),
      endMs: startOfDay(nextKey, zone),
    };
  });
}
