import type { Policy } from "../policy/schema.js";
import type { Hold, Queue, Task } from "./queue-model.js";
import { resetTimeFromMessage, type ZoneOffset } from "./reset-hint.js";
import { isoTime } from "./time.js";

/**
 * Quota holds. A rate limit is a property of the provider account, not of one task or model:
 * after a 429 the whole provider (by default) waits for its reset, whitelisted models of other
 * providers carry on, and when the hold ends one task goes first (a probe). Only if that run
 * does not hit the limit again do the others follow.
 */

/** "google/gemini-2.5-flash" → "google". */
export function providerOf(model: string): string {
  const slash = model.indexOf("/");
  return slash > 0 ? model.slice(0, slash) : model;
}

export function holdKey(model: string, scope: Policy["retry"]["quotaScope"]): string {
  return scope === "provider" ? providerOf(model) : model;
}

/** How a hold looks in status objects and `stats`. */
export interface HoldView {
  scope: Hold["scope"];
  key: string;
  until: string;
  source: Hold["source"];
  /** waiting: before `until`; ready: ended, the next claim on it is the probe; probing: the probe's run is out. */
  state: "waiting" | "ready" | "probing";
  probe_task: string | null;
}

export function holdView(key: string, hold: Hold, nowMs: number): HoldView {
  const state = Date.parse(hold.until) > nowMs ? "waiting" : hold.probe ? "probing" : "ready";
  return {
    scope: hold.scope,
    key,
    until: hold.until,
    source: hold.source,
    state,
    probe_task: hold.probe?.task_id ?? null,
  };
}

/**
 * How long a quota hold lasts when nothing said (no reset time in the error, no
 * `retry.quotaCooldownMs` set, no resume time recorded by the host): 15 minutes. Here, not in
 * policy/defaults.ts, because it is the last step of holdEnd's order, not a config default.
 */
export const DEFAULT_QUOTA_COOLDOWN_MS = 900_000;

export interface HoldEnd {
  untilMs: number;
  source: Hold["source"];
}

/**
 * When a hold after this failure ends, first answer wins:
 * 1. a reset time the provider stated in the error text (source `message`);
 * 2. the user's `retry.quotaCooldownMs`, when they set it (source `config`);
 * 3. the host's recorded resume time (source `host`) — OpenClaw 2026.9.6 records
 *    `quotaSuspension.expectedResumeBy` as its suspension time plus 30 minutes whatever the
 *    provider said, a guess that must not override a policy the user wrote;
 * 4. the built-in DEFAULT_QUOTA_COOLDOWN_MS (source `default`);
 * clamped to [quotaHoldMinMs, quotaHoldMaxMs] from now.
 */
export function holdEnd(
  failure: { message: string; resetAtMs?: number },
  retry: Policy["retry"],
  nowMs: number,
  zone?: ZoneOffset,
): HoldEnd {
  let at: number;
  let source: Hold["source"];
  const fromText = resetTimeFromMessage(failure.message, nowMs, zone);
  if (fromText !== null) [at, source] = [fromText, "message"];
  else if (retry.quotaCooldownMs !== undefined)
    [at, source] = [nowMs + retry.quotaCooldownMs, "config"];
  else if (failure.resetAtMs !== undefined && Number.isFinite(failure.resetAtMs))
    [at, source] = [failure.resetAtMs, "host"];
  else [at, source] = [nowMs + DEFAULT_QUOTA_COOLDOWN_MS, "default"];
  return {
    untilMs: Math.min(nowMs + retry.quotaHoldMaxMs, Math.max(nowMs + retry.quotaHoldMinMs, at)),
    source,
  };
}

/**
 * A rate limit was hit on `model`: hold its provider (or the model) until `end`. A later end
 * already recorded is kept; any probe is over either way — the limit was hit again.
 */
export function placeHold(
  queue: Queue,
  model: string,
  scope: Policy["retry"]["quotaScope"],
  end: HoldEnd,
  nowMs: number,
): Queue {
  const key = holdKey(model, scope);
  const previous = queue.holds?.[key];
  const keepPrevious = previous !== undefined && Date.parse(previous.until) > end.untilMs;
  const hold: Hold = {
    scope,
    until: keepPrevious ? previous.until : isoTime(end.untilMs),
    source: keepPrevious ? previous.source : end.source,
    since: isoTime(nowMs),
    probe: null,
  };
  return { ...queue, holds: { ...queue.holds, [key]: hold } };
}

const isActive = (task: Task | undefined): boolean =>
  task !== undefined &&
  (task.state === "pending" || task.state === "claimed" || task.state === "running");

/** What quota holds say about running `taskId` on `model` now. */
export type Gate =
  | {
      open: true /** Holds this claim would probe (ended holds with no probe out). */;
      probes: string[];
    }
  | {
      open: false;
      key: string;
      hold: Hold /** null: a probe is out, look again soon. */;
      retryAtMs: number | null;
    };

export function gate(queue: Queue, model: string, taskId: string, nowMs: number): Gate {
  const holds = queue.holds;
  if (holds === undefined) return OPEN;
  const probes: string[] = [];
  // A scope change in the policy can leave holds of both kinds: both apply.
  for (const key of model.includes("/") ? [providerOf(model), model] : [model]) {
    const hold = holds[key];
    if (hold === undefined) continue;
    if (hold.scope !== (key === model ? "model" : "provider")) continue;
    const untilMs = Date.parse(hold.until);
    if (untilMs > nowMs) return { open: false, key, hold, retryAtMs: untilMs };
    const probe = hold.probe;
    if (probe !== null && probe.task_id === taskId) continue;
    if (probe !== null && isActive(queue.tasks.find((t) => t.id === probe.task_id)))
      return { open: false, key, hold, retryAtMs: null };
    probes.push(key);
  }
  return probes.length === 0 ? OPEN : { open: true, probes };
}

const OPEN: Gate = { open: true, probes: [] };

/** The claim of `taskId` is the probe for these holds. */
export function startProbe(
  queue: Queue,
  keys: readonly string[],
  taskId: string,
  nowMs: number,
): Queue {
  if (keys.length === 0 || queue.holds === undefined) return queue;
  const holds = { ...queue.holds };
  for (const key of keys) {
    const hold = holds[key];
    if (hold) holds[key] = { ...hold, probe: { task_id: taskId, since: isoTime(nowMs) } };
  }
  return { ...queue, holds };
}

/**
 * The probe's run ended without hitting the limit: its holds are lifted and the rest follow.
 * With `nowMs`, the lift is remembered in `ramps` for a day, so pacing limits over that provider
 * ramp up again rather than burst (see pacing.ts).
 */
export function liftProbedHolds(queue: Queue, taskId: string, nowMs?: number): Queue {
  const holds = queue.holds;
  if (holds === undefined) return queue;
  let kept: Record<string, Hold> | null = null;
  const lifted: string[] = [];
  for (const key in holds) {
    if (holds[key]!.probe?.task_id !== taskId) continue;
    kept ??= { ...holds };
    delete kept[key];
    lifted.push(key);
  }
  if (kept === null) return queue;
  const out = { ...queue, holds: kept };
  return nowMs === undefined ? out : recordRamps(out, lifted, nowMs);
}

/** How long a lifted hold is remembered for pacing's ramp: the longest pacing window. */
const RAMP_MEMORY_MS = 86_400_000;

function recordRamps(queue: Queue, keys: readonly string[], nowMs: number): Queue {
  const ramps: Record<string, string> = {};
  for (const key in queue.ramps ?? {}) {
    const at = queue.ramps![key]!;
    if (nowMs - Date.parse(at) < RAMP_MEMORY_MS) ramps[key] = at;
  }
  for (const key of keys) ramps[key] = isoTime(nowMs);
  return { ...queue, ramps };
}

/** Pending tasks that are a hold's probe: only they may use what that hold covers. */
export function probeTaskIds(queue: Queue): string[] {
  const ids: string[] = [];
  for (const key in queue.holds ?? {}) {
    const probe = queue.holds![key]!.probe;
    if (probe !== null) ids.push(probe.task_id);
  }
  return ids;
}

/** Holds still waiting at `nowMs` (their end not reached), by key. */
export function waitingHolds(queue: Queue, nowMs: number): Array<[string, Hold]> {
  return Object.entries(queue.holds ?? {}).filter(([, h]) => Date.parse(h.until) > nowMs);
}

/**
 * Holds placed in another queue whose provider account this queue shares (another agent of the
 * same gateway): each is taken over unless this queue holds that key as long already. Taken over
 * with no probe: when it ends, this queue sends its own probe first. The same queue object comes
 * back when nothing changes, so a caller writes nothing.
 */
export function adoptHolds(
  queue: Queue,
  holds: ReadonlyArray<readonly [string, Hold]>,
  nowMs: number,
): Queue {
  let out: Record<string, Hold> | null = null;
  for (const [key, hold] of holds) {
    const untilMs = Date.parse(hold.until);
    if (!(untilMs > nowMs)) continue;
    const mine = (out ?? queue.holds)?.[key];
    if (mine !== undefined && Date.parse(mine.until) >= untilMs) continue;
    out ??= { ...queue.holds };
    out[key] = {
      scope: hold.scope,
      until: hold.until,
      source: hold.source,
      since: isoTime(nowMs),
      probe: null,
    };
  }
  return out === null ? queue : { ...queue, holds: out };
}
