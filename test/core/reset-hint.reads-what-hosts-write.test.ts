import { describe, expect, it } from "vitest";
import { DEFAULT_QUOTA_COOLDOWN_MS, holdEnd } from "../../src/core/holds.js";
import { resetTimeFromMessage } from "../../src/core/reset-hint.js";
import { policy, T0 } from "../helpers/fixtures.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const at = (message: string, zone?: (ms: number) => number): number | null =>
  resetTimeFromMessage(message, T0, zone);

describe("reset times read from a rate-limit failure's text", () => {
  it("what the real hosts write: OpenClaw's and Clawdbot's 429 text with Retry-After in seconds", () => {
    expect(at("429 rate limited; Retry-After: 0.001 seconds")).toBe(T0 + 1);
    expect(at("⚠️ rate limited; Retry-After: 0.001 seconds")).toBe(T0 + 1);
    expect(at("429 Too Many Requests; Retry-After: 30 seconds")).toBe(T0 + 30 * S);
  });

  it("retry-after headers: bare seconds, an HTTP date, and retry-after-ms", () => {
    expect(at("retry-after: 120")).toBe(T0 + 120 * S);
    expect(at("Retry-After: Wed, 25 Nov 2026 13:00:00 GMT")).toBe(
      Date.parse("2026-11-25T13:00:00Z"),
    );
    expect(at("retry-after-ms: 1500")).toBe(T0 + 1500);
    expect(at('{"headers":{"retry-after-ms":"2500"}}')).toBe(T0 + 2500);
    expect(at('{"retry-after": "45"}')).toBe(T0 + 45 * S);
    expect(at("retry-after-ms=2500")).toBe(T0 + 2500);
  });

  it('"try again in …" durations, compound and spelled out', () => {
    expect(at("Rate limit reached. Please try again in 1h 2m 30s.")).toBe(T0 + H + 2 * M + 30 * S);
    expect(at("Please try again in 20s")).toBe(T0 + 20 * S);
    expect(at("try again in 5 minutes")).toBe(T0 + 5 * M);
    expect(at("Please try again in 1m30.5s. Visit …")).toBe(T0 + 90_500);
    expect(at("Please try again in 6ms.")).toBe(T0 + 6);
    expect(at("try again in a minute")).toBe(T0 + M);
    expect(at("usage limit; resets in 4h 59m")).toBe(T0 + 4 * H + 59 * M);
    expect(at('"retryDelay": "39s"')).toBe(T0 + 39 * S);
  });

  it('"resets at" an ISO time, a clock time (next occurrence), or an epoch; reset headers', () => {
    expect(at("quota exceeded, resets at 2026-11-25T18:00:00Z")).toBe(
      Date.parse("2026-11-25T18:00:00Z"),
    );
    expect(at("resets at 2026-11-25T18:00:00+02:00")).toBe(Date.parse("2026-11-25T16:00:00Z"));
    // T0 is 12:00 UTC: 14:30 is later today, 09:15 is tomorrow.
    expect(at("limit reached, resets at 14:30 UTC")).toBe(Date.parse("2026-11-25T14:30:00Z"));
    expect(at("limit reached, resets at 09:15 UTC")).toBe(Date.parse("2026-11-26T09:15:00Z"));
    expect(at("5-hour limit reached ∙ resets 3pm")).toBe(Date.parse("2026-11-25T15:00:00Z"));
    // A clock time without a zone is the host's local time: at UTC+2, 14:30 local is 12:30 UTC.
    expect(at("resets at 14:30", () => 120)).toBe(Date.parse("2026-11-25T12:30:00Z"));
    expect(at("Claude AI usage limit reached|1764090000")).toBe(1764090000 * S);
    expect(at("x-ratelimit-reset-tokens: 6m0s")).toBe(T0 + 6 * M);
    expect(at("anthropic-ratelimit-requests-reset: 2026-11-25T12:05:00Z")).toBe(T0 + 5 * M);
  });

  it("several hints: the latest end wins", () => {
    expect(at("x-ratelimit-reset-requests: 1s; x-ratelimit-reset-tokens: 6m0s")).toBe(T0 + 6 * M);
    expect(at("Retry-After: 10 seconds … please try again in 2 minutes")).toBe(T0 + 2 * M);
  });

  it("text that names no time gives none", () => {
    for (const message of [
      "429 rate limited",
      "The AI service is temporarily rate-limited. Please try again in a moment.",
      "try again in a few minutes",
      "resets soon",
      "retry-after: soon",
      "resets at 25:99",
      "resets 13pm",
      "",
    ]) {
      expect(at(message), message).toBe(null);
    }
  });
});

describe("a hold's end: the provider's hint in the text, else the host's record, else the built-in cooldown — clamped", () => {
  const retry = policy().retry;

  it("the provider's hint in the text wins over the host's recorded resume time", () => {
    expect(
      holdEnd({ message: "Retry-After: 600 seconds", resetAtMs: T0 + 2 * H }, retry, T0),
    ).toEqual({ untilMs: T0 + 10 * M, source: "message" });
  });

  it("the host's recorded resume time, when the text has no hint", () => {
    expect(holdEnd({ message: "429 rate limited", resetAtMs: T0 + 2 * H }, retry, T0)).toEqual({
      untilMs: T0 + 2 * H,
      source: "host",
    });
    expect(holdEnd({ message: "please try again in 30 minutes" }, retry, T0)).toEqual({
      untilMs: T0 + 30 * M,
      source: "message",
    });
  });

  it("the built-in cooldown when neither says (and none is configured)", () => {
    expect(holdEnd({ message: "429 rate limited" }, retry, T0)).toEqual({
      untilMs: T0 + DEFAULT_QUOTA_COOLDOWN_MS,
      source: "default",
    });
  });

  it("clamped: a 1 ms hint waits the minimum, a week waits the maximum, a time in the past the minimum", () => {
    expect(holdEnd({ message: "429 rate limited; Retry-After: 0.001 seconds" }, retry, T0)).toEqual(
      { untilMs: T0 + retry.quotaHoldMinMs, source: "message" },
    );
    expect(holdEnd({ message: "weekly limit, try again in 7 days" }, retry, T0)).toEqual({
      untilMs: T0 + retry.quotaHoldMaxMs,
      source: "message",
    });
    expect(holdEnd({ message: "x", resetAtMs: T0 - H }, retry, T0)).toEqual({
      untilMs: T0 + retry.quotaHoldMinMs,
      source: "host",
    });
    const tight = policy({ retry: { quotaHoldMinMs: 5 * M, quotaHoldMaxMs: 10 * M } }).retry;
    expect(holdEnd({ message: "429 rate limited" }, tight, T0).untilMs).toBe(T0 + 10 * M);
  });
});
