import { runCheckTransform, runKey, type CheckResult, type RunOutcome } from "../core/check.js";
import type { Observation } from "../core/decide.js";
import { isTaskManagerError } from "../base/errors.js";
import { inFlightTasks } from "../core/order.js";
import type { Queue } from "../core/queue-model.js";
import type { StatusObject } from "../core/status.js";
import { isoTime } from "../core/time.js";
import type { Context } from "./context.js";
import { dispatchScope } from "../core/views.js";
import type { StateCounts } from "../store/port.js";
import { toErrorStatus } from "./error-status.js";
import { localZone } from "./deps.js";
import { type GatewayKind, heartbeat, owners } from "./gateway.js";
import { spendEnvFor } from "./spend-env.js";

/** How long before its timeout a running task's tool calls are counted (see observe). */
const TOOL_CALLS_MARGIN_MS = 60_000;

export interface CheckOptions {
  /** Plugin mode knows when the main session is mid-run; a skill-mode check IS the main turn. */
  mainBusy?: boolean;
  /** How long a check waits for the queue lock before answering DEFERRED/locked. */
  lockWaitMs?: number;
  /** The spawner cannot start runs (the host forbids it): settle, but claim nothing. */
  startBlocked?: boolean;
  /** Who runs this check, for a shared store's heartbeat: the CLI (default) or a gateway's dispatcher. */
  gatewayKind?: GatewayKind;
  /** Plugin mode, several agents: the other agents' runs and the gateway-wide cap. */
  gateway?: Observation["gateway"];
}

interface Seen {
  observation: Observation;
  outcomes: Map<string, RunOutcome>;
  startBlocked: boolean;
  /** This gateway and the gateways gone past their lease, on a shared store. */
  self?: string;
  lostOwners?: ReadonlySet<string>;
}

/** What the probes see right now, plus the outcome of every running task. */
export async function observe(ctx: Context, queue: Queue, opts: CheckOptions): Promise<Seen> {
  const nowMs = ctx.deps.now();
  const view = ctx.host.view();
  // On a shared store another gateway's run is on another host: only its gateway can read it.
  const self = ctx.gateway?.id;
  const running = queue.tasks.filter(
    (t) =>
      t.state === "running" &&
      t.run?.session_key &&
      (t.run.owner === undefined || t.run.owner === self),
  );
  const timeoutMs = ctx.policy.taskTimeoutMinutes * 60_000;
  const [activeKeys, outcomeList] = await Promise.all([
    view.busySubagents(nowMs, ctx.policy.activeWindowMinutes * 60_000),
    Promise.all(
      running.map(async (t) => {
        // Whether a run acted matters once it is past its time (review instead of a blind retry).
        // Asked a little early: the timeout is judged a moment after this observation.
        const nearTimeout =
          nowMs - Date.parse(t.run!.started_at) > timeoutMs - TOOL_CALLS_MARGIN_MS;
        return [
          runKey(t),
          await view.runOutcome({
            sessionKey: t.run!.session_key!,
            runId: t.run!.run_id,
            wantToolCalls: nearTimeout,
          }),
        ] as const;
      }),
    ),
  ]);
  const system = ctx.deps.observeSystem();
  return {
    observation: {
      activeSessionKeys: activeKeys,
      mainBusy: opts.mainBusy ?? false,
      loadPerCore: system.loadPerCore,
      freeMemoryMB: system.freeMemoryMB,
      spend: spendEnvFor(ctx),
      ...(opts.gateway ? { gateway: opts.gateway } : {}),
    },
    outcomes: new Map(outcomeList),
    startBlocked: opts.startBlocked ?? false,
  };
}

/**
 * Background runs that count against this queue's slots once its finished runs are settled:
 * the host's busy sub-agent sessions (ours and others') plus our own claims and runs, counted
 * once, leaving out runs of ours the host shows ended (the next check settles them). What
 * `decide` would count after that check — for the gateway-wide cap, read by the other agents.
 */
export async function activeRuns(ctx: Context): Promise<number> {
  const { queue } = await ctx.store.read(dispatchScope(ctx.policy));
  const { observation, outcomes } = await observe(ctx, queue, {});
  const keys = new Set(observation.activeSessionKeys);
  let claims = 0;
  for (const task of inFlightTasks(queue)) {
    const key = task.run?.session_key;
    if (!key) claims += 1;
    else if (!ENDED.has(outcomes.get(runKey(task))?.status ?? "unknown")) keys.add(key);
  }
  return keys.size + claims;
}

/** Outcomes after which a run holds no slot. */
const ENDED: ReadonlySet<string> = new Set(["done", "failed", "interrupted", "rejected"]);

function transform(ctx: Context, queue: Queue, seen: Seen): CheckResult {
  return runCheckTransform({
    ...(seen.self !== undefined ? { self: seen.self } : {}),
    ...(seen.lostOwners !== undefined ? { lostOwners: seen.lostOwners } : {}),
    queue,
    policy: ctx.policy,
    observation: seen.observation,
    outcomes: seen.outcomes,
    nowMs: ctx.deps.now(),
    random: ctx.deps.random,
    newToken: ctx.deps.newToken,
    host: ctx.host.info,
    workspace: ctx.workspace.dir,
    startBlocked: seen.startBlocked,
    zone: localZone,
  });
}

/**
 * The check saw only the tasks it needs (a store's dispatch view); the queue's own counts say
 * how many wait in all.
 */
function withCounts(status: StatusObject, counts: StateCounts): StatusObject {
  return status.status === "ERROR" ? status : { ...status, pending_count: counts.pending };
}

/**
 * One heartbeat check: observe → (lock → read → decide → write → release) → status object.
 * An idle tick reads the file once and takes no lock. Never throws.
 */
export async function runCheck(ctx: Context, opts: CheckOptions = {}): Promise<StatusObject> {
  // What the lock-free read saw: a `locked` answer reports it rather than zeros.
  let seenQueue: Queue | null = null;
  let seenPending = 0;
  let seenLoad = 0;
  const scope = dispatchScope(ctx.policy);
  try {
    await heartbeat(ctx, opts.gatewayKind ?? "cli");
    const snapshot = await ctx.store.read(scope);
    const seen: Seen = { ...(await observe(ctx, snapshot.queue, opts)), ...(await owners(ctx)) };
    const dry = transform(ctx, snapshot.queue, seen);
    if (!dry.changed) return withCounts(dry.status, snapshot.counts);
    seenQueue = snapshot.queue;
    seenPending = snapshot.counts.pending;
    seenLoad = Math.round(seen.observation.loadPerCore * 100) / 100;
    const { result, counts } = await ctx.store.mutate(
      scope,
      (queue) => {
        const r = transform(ctx, queue, seen);
        return { queue: r.queue, result: r.status };
      },
      { waitMs: opts.lockWaitMs ?? 2000 },
    );
    return withCounts(result, counts);
  } catch (err) {
    if (
      isTaskManagerError(err) &&
      (err.code === "E_LOCKED" || err.code === "E_STALE_WRITE" || err.code === "E_LOCK_COMPROMISED")
    ) {
      return {
        status: "DEFERRED",
        reason: "locked",
        retry_at: isoTime(ctx.deps.now() + 5000),
        pending_count: seenPending,
        active_sessions: seenQueue ? inFlightTasks(seenQueue).length : 0,
        load: seenLoad,
        host: ctx.host.info,
        workspace: ctx.workspace.dir,
      };
    }
    return toErrorStatus(err);
  }
}
