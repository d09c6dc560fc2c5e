import { TaskManagerError } from "../base/errors.js";

/** A resolved schedule: a croner pattern, or a fixed interval when no pattern fits. */
export interface Schedule {
  pattern: string;
  intervalSeconds: number | null;
  source: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses the host's duration strings ("30m", "1h", "2h30m", "45s", bare minutes). */
export function parseDuration(text: string): number {
  const total = parseDurationOrZero(text);
  if (total <= 0)
    throw new TaskManagerError("E_CONFIG_INVALID", `Duration "${text}" must be positive.`, {
      value: text,
    });
  return total;
}

/** Like parseDuration, but "0m" (the hosts' way to switch the heartbeat off) is 0. */
function parseDurationOrZero(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 60;
  let total = 0;
  let rest = trimmed;
  const part = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/i;
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (!match)
      throw new TaskManagerError(
        "E_CONFIG_INVALID",
        `Cannot read duration "${text}" (expected e.g. "30m", "1h", "2h30m").`,
        { value: text },
      );
    const unit = match[2]!.toLowerCase();
    total += unit === "ms" ? Number(match[1]) / 1000 : Number(match[1]) * UNIT_SECONDS[unit]!;
    rest = rest.slice(match[0].length).trim();
  }
  return total;
}

/** A duration as a croner pattern (seconds field first) when it divides its unit evenly. */
export function durationToSchedule(seconds: number, source: string): Schedule {
  const s = Math.round(seconds);
  if (s < 60 && 60 % s === 0) return { pattern: `*/${s} * * * * *`, intervalSeconds: null, source };
  if (s % 60 === 0 && s < 3600 && 60 % (s / 60) === 0)
    return { pattern: `0 */${s / 60} * * * *`, intervalSeconds: null, source };
  if (s % 3600 === 0 && s < 86_400 && 24 % (s / 3600) === 0)
    return { pattern: `0 0 */${s / 3600} * * *`, intervalSeconds: null, source };
  return { pattern: "* * * * * *", intervalSeconds: s, source };
}

/**
 * Resolves the `schedule` key: "heartbeat" follows the host's agents.defaults.heartbeat.every
 * (default 30m; every 30m as well when the host's heartbeat is off); anything else is a croner
 * pattern, used as written.
 */
export function resolveSchedule(schedule: string, heartbeatEvery: string | null): Schedule {
  if (schedule !== "heartbeat")
    return { pattern: schedule, intervalSeconds: null, source: "config" };
  if (heartbeatEvery === null)
    return durationToSchedule(DEFAULT_HEARTBEAT_SECONDS, "heartbeat (host default 30m)");
  const seconds = parseDurationOrZero(heartbeatEvery);
  // A switched-off heartbeat must not switch task-manager off: queued work would wait forever.
  if (seconds === 0)
    return durationToSchedule(
      DEFAULT_HEARTBEAT_SECONDS,
      `every 30m: the host heartbeat is off ("${heartbeatEvery}")`,
    );
  return durationToSchedule(seconds, `heartbeat (${heartbeatEvery})`);
}

/** The hosts' default heartbeat, also used when theirs is switched off. */
const DEFAULT_HEARTBEAT_SECONDS = 30 * 60;
