import type { Policy } from "../policy/schema.js";
import type { FailureKind } from "./queue-model.js";

const QUOTA_PATTERN =
  /\b429\b|rate[ _-]?limit|quota|too many requests|resource[ _-]?exhausted|overloaded/i;

/** A rate-limit or quota error is not the task's fault: it gets a cooldown, not a backoff. */
export function classifyError(message: string): FailureKind {
  return QUOTA_PATTERN.test(message) ? "quota" : "error";
}

/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so
 * retries spread out but never come sooner than half the nominal delay.
 */
export function backoffDelayMs(
  failures: number,
  retry: Policy["retry"],
  random: () => number,
): number {
  const exponent = Math.max(0, failures - 1);
  const nominal = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(exponent, 30));
  return Math.round(nominal / 2 + (nominal / 2) * random());
}
