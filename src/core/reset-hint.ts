/**
 * When a rate limit ends, read from the failure's own text. Hosts pass the provider's error
 * through: OpenClaw and Clawdbot write e.g. `429 rate limited; Retry-After: 0.001 seconds` or
 * `⚠️ rate limited; Retry-After: 0.001 seconds`; providers say "Please try again in 1m30.5s"
 * (OpenAI), "retryDelay": "39s" (Gemini), "resets at 2026-…Z" / reset headers (Anthropic),
 * "usage limit reached|<epoch>" (Claude subscriptions). Every hint found counts and the latest
 * end wins: waiting a little long costs less than a probe that hits the limit again.
 */

const SECOND = 1000;
const UNIT_MS: ReadonlyArray<[RegExp, number]> = [
  [/^(?:ms|msecs?|milliseconds?)$/i, 1],
  [/^(?:s|secs?|seconds?)$/i, SECOND],
  [/^(?:m|mins?|minutes?)$/i, 60 * SECOND],
  [/^(?:h|hrs?|hours?)$/i, 3600 * SECOND],
  [/^(?:d|days?)$/i, 86_400 * SECOND],
];
const UNIT = "milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d";
/** One "<number> <unit>" (or "a minute", "an hour"), optionally after a separator; sticky. */
const DURATION_PART = new RegExp(
  `[ \\t]*(?:,[ \\t]*|and[ \\t]+)?(?:(\\d+(?:\\.\\d+)?)[ \\t]*|(an?)[ \\t]+)(${UNIT})(?![a-z])`,
  "iy",
);
const BARE_NUMBER = /[ \t]*"?(\d+(?:\.\d+)?)(?![\d.]|[ \t]*[a-z])/iy;
const ISO_DATE_TIME =
  /[ \t]*"?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?/iy;
const HTTP_DATE =
  /[ \t]*((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)/y;
const EPOCH = /[ \t]*"?(\d{10}|\d{13})(?![\d.])/y;
const CLOCK = /[ \t]*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?[ \t]*(am|pm)?[ \t]*(utc|gmt|z\b)?/iy;

const unitMs = (unit: string): number => UNIT_MS.find(([re]) => re.test(unit))![1];

/** A duration such as "1h 2m 30s", "1m30.5s", "20s", "5 minutes", "a minute"; in ms. */
function durationAt(text: string, from: number, bareUnitMs: number | null): number | null {
  let total = 0;
  let parts = 0;
  let pos = from;
  for (;;) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(text);
    if (!m) break;
    total += (m[1] !== undefined ? Number(m[1]) : 1) * unitMs(m[3]!);
    parts += 1;
    pos = DURATION_PART.lastIndex;
  }
  if (parts > 0) return total;
  if (bareUnitMs === null) return null;
  BARE_NUMBER.lastIndex = from;
  const bare = BARE_NUMBER.exec(text);
  return bare ? Number(bare[1]) * bareUnitMs : null;
}

/** Offset of the host's local time from UTC, in minutes, at a given instant (east positive). */
export type ZoneOffset = (atMs: number) => number;

function isoAt(text: string, from: number, zone: ZoneOffset): number | null {
  ISO_DATE_TIME.lastIndex = from;
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return null;
  const time = m[2]!.length === 5 ? `${m[2]}:00` : m[2]!;
  const designator =
    m[3] === undefined
      ? "Z"
      : m[3].toUpperCase() === "Z"
        ? "Z"
        : m[3].includes(":")
          ? m[3]
          : `${m[3].slice(0, 3)}:${m[3].slice(3)}`;
  const asUtc = Date.parse(`${m[1]}T${time}${designator}`);
  if (!Number.isFinite(asUtc)) return null;
  // Without a zone the time is the host's local time, as a person would read it.
  return m[3] === undefined ? asUtc - zone(asUtc) * 60_000 : asUtc;
}

function epochAt(text: string, from: number): number | null {
  EPOCH.lastIndex = from;
  const m = EPOCH.exec(text);
  if (!m) return null;
  return m[1]!.length === 13 ? Number(m[1]) : Number(m[1]) * SECOND;
}

function httpDateAt(text: string, from: number): number | null {
  HTTP_DATE.lastIndex = from;
  const m = HTTP_DATE.exec(text);
  const ms = m ? Date.parse(m[1]!) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

/** "14:30", "3pm", "3:30 PM UTC": the next time the clock shows it (today, else tomorrow). */
function clockAt(text: string, from: number, nowMs: number, zone: ZoneOffset): number | null {
  CLOCK.lastIndex = from;
  const m = CLOCK.exec(text);
  if (!m || (m[2] === undefined && m[4] === undefined)) return null;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  const meridiem = m[4]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offsetMs = m[5] === undefined ? zone(nowMs) * 60_000 : 0;
  const localNow = nowMs + offsetMs;
  const dayStart = localNow - (((localNow % 86_400_000) + 86_400_000) % 86_400_000);
  let at = dayStart + ((hour * 60 + minute) * 60 + second) * SECOND - offsetMs;
  if (at <= nowMs) at += 86_400_000;
  return at;
}

interface Anchor {
  pattern: RegExp;
  /** The end time the text after the anchor gives, or null when it gives none. */
  read(text: string, from: number, nowMs: number, zone: ZoneOffset): number | null;
}

const after = (ms: number | null, nowMs: number): number | null =>
  ms === null ? null : nowMs + ms;

const ANCHORS: readonly Anchor[] = [
  // retry-after-ms: 1500 (the OpenAI SDK's header), also as a JSON key: "retry-after-ms":"1500"
  {
    pattern: /retry[-_ ]after[-_ ]ms"?[ \t]*[:=]?[ \t]*/gi,
    read: (t, i, now) => after(durationAt(t, i, 1), now),
  },
  // Retry-After: 30 | 0.001 seconds | Wed, 21 Oct 2026 07:28:00 GMT
  {
    pattern: /retry[-_ ]after(?![-_ ]?ms)"?[ \t]*[:=]?[ \t]*(?:in[ \t]+)?/gi,
    read: (t, i, now) => httpDateAt(t, i) ?? after(durationAt(t, i, SECOND), now),
  },
  // try again in 1h 2m 30s | retry in 39.4s | resets in 4h 59m | available again in 5 minutes
  {
    pattern:
      /\b(?:try(?:ing)? again|retry(?:ing)?|resets?|resetting|available(?: again)?)[ \t]+(?:in|after)[ \t]+/gi,
    read: (t, i, now) => after(durationAt(t, i, null), now),
  },
  // "retryDelay": "39s" (Gemini's RetryInfo)
  {
    pattern: /retry_?delay"?[ \t]*[:=][ \t]*"?/gi,
    read: (t, i, now) => after(durationAt(t, i, SECOND), now),
  },
  // resets at 2026-11-25T15:00:00Z | resets at 14:30 | resets 3pm | reset at 1764082800
  {
    pattern: /\bresets?[ \t]+(?:at[ \t]+)?/gi,
    read: (t, i, now, zone) => isoAt(t, i, zone) ?? epochAt(t, i) ?? clockAt(t, i, now, zone),
  },
  // x-ratelimit-reset-tokens: 6m0s | anthropic-ratelimit-requests-reset: 2026-…Z | x-ratelimit-reset: 1764082800
  {
    pattern: /\breset[-_a-z]*[ \t]*[:=][ \t]*/gi,
    read: (t, i, now, zone) =>
      isoAt(t, i, zone) ?? epochAt(t, i) ?? after(durationAt(t, i, SECOND), now),
  },
  // Claude subscriptions: "usage limit reached|1764082800"
  { pattern: /limit reached\|/gi, read: (t, i) => epochAt(t, i) },
];

/**
 * The time a rate limit ends, as the failure's text says it (epoch ms), or null when it says
 * nothing usable. Pure: `nowMs` anchors relative hints; `zone` reads clock times written
 * without a zone as the host's local time (default UTC).
 */
export function resetTimeFromMessage(
  message: string,
  nowMs: number,
  zone: ZoneOffset = () => 0,
): number | null {
  // Error bodies can be long; the hints are near the start, and a bound keeps this cheap.
  const text = message.length > 8192 ? message.slice(0, 8192) : message;
  let latest: number | null = null;
  for (const anchor of ANCHORS) {
    anchor.pattern.lastIndex = 0;
    for (const m of text.matchAll(anchor.pattern)) {
      const at = anchor.read(text, m.index + m[0].length, nowMs, zone);
      if (at !== null && Number.isFinite(at) && (latest === null || at > latest)) latest = at;
    }
  }
  return latest;
}
