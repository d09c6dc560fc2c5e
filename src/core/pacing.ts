import type { Policy } from "../policy/schema.js";
import { providerOf } from "./holds.js";
import { inFlightTasks } from "./order.js";
import type { Queue } from "./queue-model.js";
import { isoTime } from "./time.js";

/**
 * Pacing: at most N runs started per sliding window (a minute, an hour, 5 hours, a day — the
 * windows providers limit by) and at most M out at once, per provider and per model. Start
 * times live in the queue (`starts`), so a restart does not reset a window.
 *
 * Spreading: up to half of a window's allowance may go at once; once half of it is used, starts
 * are spaced at least window/N apart, so a backlog drains at the limit's steady rate instead of
 * N starts at every window edge.
 *
 * Ramp: when a quota hold is lifted (its probe ran without hitting the limit), the limits over
 * that provider or model space starts by window/N from the first start after it, for one
 * window — the steady rate without the half-window burst — and only then allow a burst again.
 */

export const PACE_WINDOW_MS = {
  minute: 60_000,
  hour: 3_600_000,
  "5h": 18_000_000,
  day: 86_400_000,
} as const;
export type PaceWindow = keyof typeof PACE_WINDOW_MS | "concurrent";

export interface PaceLimit {
  /** "provider|google|hour", "model|google/gemini-2.5-flash|concurrent". */
  id: string;
  scope: "provider" | "model";
  key: string;
  window: PaceWindow;
  limit: number;
}

const FIELDS = [
  ["perMinute", "minute"],
  ["perHour", "hour"],
  ["per5Hours", "5h"],
  ["perDay", "day"],
  ["maxConcurrent", "concurrent"],
] as const;

const memo = new WeakMap<object, PaceLimit[]>();

/** Every pacing limit the policy sets. Empty when pacing is off (the default). */
export function paceLimits(policy: Policy): PaceLimit[] {
  const p = policy.pacing;
  let limits = memo.get(p);
  if (limits !== undefined) return limits;
  limits = [];
  for (const [scope, table] of [
    ["provider", p.providers],
    ["model", p.models],
  ] as const)
    for (const [key, l] of Object.entries(table))
      for (const [field, window] of FIELDS) {
        const limit = l[field];
        if (limit !== null)
          limits.push({ id: `${scope}|${key}|${window}`, scope, key, window, limit });
      }
  memo.set(p, limits);
  return limits;
}

const covers = (l: PaceLimit, model: string): boolean =>
  l.scope === "provider" ? providerOf(model) === l.key : model === l.key;

/** Start times (ms, ascending) of the models `l` covers, after `fromMs`. */
function startsUnder(queue: Queue, l: PaceLimit, fromMs: number): number[] {
  const out: number[] = [];
  for (const model in queue.starts ?? {}) {
    if (!covers(l, model)) continue;
    for (const at of queue.starts![model]!) {
      const ms = Date.parse(at);
      if (ms > fromMs) out.push(ms);
    }
  }
  return out.sort((a, b) => a - b);
}

const modelOf = (t: Queue["tasks"][number]): string | null =>
  t.run?.model ?? t.lease?.model ?? null;

/** Whether a hold over what `l` covers was lifted less than `windowMs` ago. */
function ramping(queue: Queue, l: PaceLimit, windowMs: number, nowMs: number): boolean {
  for (const key in queue.ramps ?? {}) {
    const covered =
      l.scope === "provider"
        ? key === l.key || providerOf(key) === l.key
        : key === l.key || key === providerOf(l.key);
    if (covered && nowMs - Date.parse(queue.ramps![key]!) < windowMs) return true;
  }
  return false;
}

/** A pacing limit as the status object, `stats` and the page show it. */
export interface PaceView {
  scope: "provider" | "model";
  key: string;
  window: PaceWindow;
  limit: number;
  /** Starts in the window (or runs out, for `concurrent`). */
  used: number;
  /** When the oldest start in a full window leaves it; null when not full (or concurrent). */
  frees_at: string | null;
  /** The spacing rule's earliest next start, when it applies now. */
  next_start_at: string | null;
  /** Within a window after a quota hold was lifted: spaced from the first start. */
  ramping: boolean;
}

interface Eval {
  view: PaceView;
  /** Blocked until then; null when a slot frees only as runs end (concurrent). */
  retryAtMs: number | null;
  blocked: boolean;
}

function evaluate(queue: Queue, l: PaceLimit, nowMs: number): Eval {
  const base = { scope: l.scope, key: l.key, window: l.window, limit: l.limit };
  if (l.window === "concurrent") {
    const used = inFlightTasks(queue).filter((t) => {
      const m = modelOf(t);
      return m !== null && covers(l, m);
    }).length;
    return {
      view: { ...base, used, frees_at: null, next_start_at: null, ramping: false },
      retryAtMs: null,
      blocked: used >= l.limit,
    };
  }
  const windowMs = PACE_WINDOW_MS[l.window];
  const starts = startsUnder(queue, l, nowMs - windowMs);
  const used = starts.length;
  const ramp = ramping(queue, l, windowMs, nowMs);
  const freesAt = used >= l.limit ? starts[used - l.limit]! + windowMs : null;
  const spaced = used >= l.limit / 2 || (ramp && used >= 1);
  const nextAt = spaced ? starts[used - 1]! + windowMs / l.limit : null;
  const retryAtMs = Math.max(freesAt ?? 0, nextAt !== null && nextAt > nowMs ? nextAt : 0);
  return {
    view: {
      ...base,
      used,
      frees_at: freesAt === null ? null : isoTime(freesAt),
      next_start_at: nextAt !== null && nextAt > nowMs ? isoTime(nextAt) : null,
      ramping: ramp,
    },
    retryAtMs: retryAtMs > nowMs ? Math.ceil(retryAtMs) : null,
    blocked: retryAtMs > nowMs,
  };
}

/** Every pacing limit's use now. */
export function paceStates(queue: Queue, policy: Policy, nowMs: number): PaceView[] {
  return paceLimits(policy).map((l) => evaluate(queue, l, nowMs).view);
}

/**
 * Whether a run may start on `model` now under every pacing limit covering it; when not, the
 * limit that frees last and when (null: when a run out ends).
 */
export function paceBlock(
  queue: Queue,
  policy: Policy,
  model: string,
  nowMs: number,
): { retryAtMs: number | null; view: PaceView } | null {
  let worst: Eval | null = null;
  for (const l of paceLimits(policy)) {
    if (!covers(l, model)) continue;
    const e = evaluate(queue, l, nowMs);
    if (!e.blocked) continue;
    if (worst === null || (e.retryAtMs ?? nowMs) > (worst.retryAtMs ?? nowMs)) worst = e;
  }
  return worst === null ? null : { retryAtMs: worst.retryAtMs, view: worst.view };
}

/**
 * A run was claimed on `model` at `nowMs`: remember it for the limits that count starts, and
 * forget starts no limit's window still holds (each model keeps at most its largest limit).
 */
export function recordStart(queue: Queue, policy: Policy, model: string, nowMs: number): Queue {
  const counting = paceLimits(policy).filter((l) => l.window !== "concurrent");
  if (counting.length === 0 && queue.starts === undefined) return queue;
  const starts: Record<string, string[]> = {};
  const keep = (name: string, times: readonly string[]): void => {
    const over = counting.filter((l) => covers(l, name));
    if (over.length === 0) return;
    const windowMs = Math.max(
      ...over.map((l) => PACE_WINDOW_MS[l.window as keyof typeof PACE_WINDOW_MS]),
    );
    const most = Math.max(...over.map((l) => l.limit));
    const recent = times.filter((at) => Date.parse(at) > nowMs - windowMs).slice(-most);
    if (recent.length > 0) starts[name] = recent;
  };
  for (const name in queue.starts ?? {}) if (name !== model) keep(name, queue.starts![name]!);
  keep(model, [...(queue.starts?.[model] ?? []), isoTime(nowMs)]);
  return { ...queue, starts };
}
