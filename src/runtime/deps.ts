import { escapeControlChars } from "../base/terminal.js";
import { observeSystem, type SystemLoad } from "../host/system.js";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Everything impure the runtime uses, built in one place so tests can pass fakes. */
export interface Deps {
  now(): number;
  random(): number;
  newId(): string;
  newToken(): string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  observeSystem(): SystemLoad;
}

/**
 * node:crypto is fetched when first needed: most heartbeat checks create no id and no token,
 * and loading it costs every check a few milliseconds of a ~25 ms process start.
 */
const randomHex = (bytes: number): string =>
  process.getBuiltinModule("node:crypto").randomBytes(bytes).toString("hex");

let lastIdMs = -1;
let sameMsCount = 0;

/**
 * Task ids sort by creation time and stay short: t_<time36><seq36 ×2><random>. Ties between
 * tasks of the same priority added in the same millisecond are broken by id, so the sequence
 * keeps one process's adds in the order it made them (first in, first out).
 */
export function newTaskId(nowMs: number): string {
  sameMsCount = nowMs === lastIdMs ? Math.min(sameMsCount + 1, 36 * 36 - 1) : 0;
  lastIdMs = nowMs;
  return `t_${nowMs.toString(36)}${sameMsCount.toString(36).padStart(2, "0")}${randomHex(4)}`;
}

/**
 * The machine's UTC offset in minutes (east positive) at an instant: a failure that says
 * "resets at 14:30" means the host's local time. Called only when such a text is read, since
 * asking loads the time zone (about 0.2 ms).
 */
export const localZone = (atMs: number): number => -new Date(atMs).getTimezoneOffset();

/** Logs go to stderr (control characters escaped: a log line may carry task text); stdout is reserved for results. */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`task-manager: ${escapeControlChars(m)}\n`),
  warn: (m) => process.stderr.write(`task-manager: warning: ${escapeControlChars(m)}\n`),
  error: (m) => process.stderr.write(`task-manager: error: ${escapeControlChars(m)}\n`),
};

export function defaultDeps(overrides: Partial<Deps> = {}): Deps {
  const now = overrides.now ?? Date.now;
  return {
    now,
    random: Math.random,
    newId: () => newTaskId(now()),
    newToken: () => randomHex(12),
    env: process.env,
    cwd: process.cwd(),
    logger: stderrLogger,
    observeSystem,
    ...overrides,
  };
}
