import { isDue } from "../core/order.js";
import type { Queue } from "../core/queue-model.js";
import { deferralWake, earlierWake, nextWake, type Wake } from "../core/wake.js";
import type { Policy } from "../policy/schema.js";
import type { LaneResult } from "./lane-tick.js";

/**
 * When a lane that has just run needs its next look: the earliest due moment of its queue
 * (core/wake.ts), or earlier when what the tick answered says so — slots filled with due work
 * left, or a deferral with a stated end.
 */
export function laneWake(
  queue: Queue,
  policy: Policy,
  results: readonly LaneResult[],
  now: number,
): Wake | null {
  let wake = nextWake(queue, policy, now);
  // Slots filled this tick with due work left: the next start waits for a slot, like a
  // concurrency deferral (our runs' ends wake at once; someone else's do not).
  if (
    results.at(-1)?.status === "READY" &&
    queue.tasks.some((t) => t.state === "pending" && isDue(t, now))
  )
    wake = earlierWake(wake, deferralWake({ reason: "concurrency_limit", retryAtMs: null }, now));
  for (const r of results)
    if (r.status === "DEFERRED")
      wake = earlierWake(
        wake,
        deferralWake(
          { reason: r.reason, retryAtMs: r.retry_at === null ? null : Date.parse(r.retry_at) },
          now,
        ),
      );
  return wake;
}
