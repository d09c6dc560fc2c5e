import path from "node:path";
import type { Hold } from "../core/queue-model.js";
import type { HeartbeatAsked, StatusObject } from "../core/status.js";
import { isoTime } from "../core/time.js";
import { NO_TASKS } from "../core/views.js";
import { parseDuration } from "../policy/schedule.js";
import type { Context } from "./context.js";
import { PACKAGE_ROOT } from "./workspace.js";

/** The hosts' default heartbeat, when the config names none. */
const DEFAULT_EVERY_MS = 30 * 60_000;
/** A turn a moment after the hold's end, so the check it runs finds the hold over. */
const AFTER_END_MS = 2000;

/** Holds placed since the check began (by the check itself: it held the lock to place them). */
function placedSince(
  holds: Record<string, Hold> | undefined,
  sinceMs: number,
): Array<[string, Hold]> {
  return Object.entries(holds ?? {}).filter(([, h]) => Date.parse(h.since) >= sinceMs);
}

/** Where this skill sits, as the agent's exec tool reaches it from the workspace. */
function skillDir(workspace: string): string {
  const rel = path.relative(workspace, PACKAGE_ROOT);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : PACKAGE_ROOT;
}

/** The system event the turn starts with: what to do, in the host's words for it, no task text. */
export function holdEndText(hold: string, workspace: string): string {
  const dir = skillDir(workspace);
  return `task-manager: the quota hold on ${hold} has ended, so queued tasks may start now. Do the task-manager part of your heartbeat instructions now (the steps are in ${dir}/HEARTBEAT.md): run \`${dir}/skill/task-manager check\` with your exec tool and follow its answer.`;
}

/**
 * Skill mode under `wake: "due"`: a check that has just placed a quota hold which ends before
 * the next heartbeat is due asks the host for one main-session turn right after it ends
 * (host/heartbeat-request.ts), instead of leaving the queue idle until the next heartbeat. Done
 * once per hold (only by the check that placed it), never for a hold that outlasts the
 * heartbeat interval (the heartbeat comes first anyway), and never fatal: a gateway that cannot
 * be reached leaves the heartbeat as it was, and the status object says why.
 */
export async function askForHeartbeatAtHoldEnd(
  ctx: Context,
  status: StatusObject,
  checkStartedMs: number,
): Promise<HeartbeatAsked | null> {
  const kind = ctx.hostLocation.kind;
  if (ctx.policy.wake !== "due" || kind === null || status.status !== "DEFERRED") return null;
  if (status.reason !== "quota_cooldown") return null;
  const nowMs = ctx.deps.now();
  const { queue } = await ctx.store.read(NO_TASKS);
  const placed = placedSince(queue.holds, checkStartedMs).sort(
    (a, b) => Date.parse(a[1].until) - Date.parse(b[1].until),
  );
  const first = placed[0];
  if (!first) return null;
  const [key, hold] = first;
  let everyMs = DEFAULT_EVERY_MS;
  try {
    const every = ctx.host.config?.heartbeatEvery;
    if (every) everyMs = parseDuration(every) * 1000 || DEFAULT_EVERY_MS;
  } catch {
    everyMs = DEFAULT_EVERY_MS;
  }
  const atMs = Date.parse(hold.until) + AFTER_END_MS;
  if (atMs - nowMs >= everyMs) return null;
  const at = isoTime(atMs);
  const { gatewayAddress, requestHeartbeat } = await import("../host/heartbeat-request.js");
  const address = gatewayAddress(kind, ctx.deps.env, ctx.host.config);
  if (!address) return { at, hold: key, error: "no gateway token in the env or the host config" };
  try {
    const job = await requestHeartbeat(address, {
      kind,
      agentId: ctx.policy.agentId,
      atMs,
      text: holdEndText(key, ctx.workspace.dir),
    });
    return { at, hold: key, job };
  } catch (err) {
    return { at, hold: key, error: (err as Error).message };
  }
}
