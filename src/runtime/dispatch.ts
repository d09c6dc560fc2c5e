import { isTaskManagerError, TaskManagerError } from "../base/errors.js";
import type { ReadyStatus, StatusObject } from "../core/status.js";
import * as tasks from "../core/tasks.js";
import { isoTime } from "../core/time.js";
import type { SpawnRequest, Spawner } from "../host/port.js";
import { runCheck, type CheckOptions } from "./run-check.js";
import type { Context } from "./context.js";
import { byIds } from "../core/views.js";
import { toErrorStatus } from "./error-status.js";
import { crashPoint } from "../base/faults.js";

export type { SpawnRequest, Spawner } from "../host/port.js";

export type DispatchResult = StatusObject & {
  dispatched?: {
    task_id: string;
    run_id: string | null;
    session_key: string;
    model: string;
    reused: boolean;
  };
};

/** Session key and idempotency key for an attempt: deterministic, so recovery can find the run. */
export function spawnRequestFor(ctx: Context, ready: ReadyStatus): SpawnRequest {
  const { id, attempt } = ready.task;
  return {
    taskId: id,
    attempt,
    prompt: ready.recommendation.prompt,
    model: ready.recommendation.model,
    label: ready.recommendation.label,
    sessionKey: `agent:${ctx.policy.agentId}:subagent:task-manager-${id.slice(2)}-${attempt}`,
    idempotencyKey: `task-manager:${id}:${attempt}`,
    runTimeoutSeconds: ready.recommendation.runTimeoutSeconds,
  };
}

/**
 * A check that also starts the recommended task: claim (under a lease) → spawn → record the
 * run. A crash between any two steps is safe: an unrecorded claim expires and is claimed again
 * with the same attempt number, so the same session and idempotency key are used, and a run
 * that already exists is recorded instead of started twice.
 */
export async function dispatchOnce(
  ctx: Context,
  spawner: Spawner,
  opts: CheckOptions = {},
): Promise<DispatchResult> {
  const ready = spawner.ready?.() ?? { ok: true };
  const status = await runCheck(ctx, { ...opts, startBlocked: !ready.ok });
  if (status.status === "DEFERRED" && status.reason === "host_setup" && !ready.ok)
    return { ...status, detail: ready.message };
  if (status.status !== "READY") return status;
  crashPoint("after_claim");
  const request = spawnRequestFor(ctx, status);
  const token = status.lease.token;
  const owner = ctx.gateway?.id;
  try {
    if (owner !== undefined) await confirmClaim(ctx, request.taskId, token);
    // An earlier process may have spawned this attempt and died before recording it; the
    // gateway's idempotency cache does not survive a restart, so this is what prevents a second run.
    const reused = await ctx.host.view().hasRun(request.sessionKey);
    const { runId } = reused ? { runId: null } : await spawner.spawn(request);
    crashPoint("after_spawn");
    await ctx.store.mutate(byIds(request.taskId), (queue) => {
      const r = tasks.ackTask(
        queue,
        request.taskId,
        {
          runId,
          sessionKey: request.sessionKey,
          model: request.model,
          ...(owner !== undefined ? { owner, token } : {}),
        },
        ctx.deps.now(),
      );
      return { queue: r.queue, result: r.task };
    });
    return {
      ...status,
      dispatched: {
        task_id: request.taskId,
        run_id: runId,
        session_key: request.sessionKey,
        model: request.model,
        reused,
      },
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.deps.logger.warn(`dispatch of ${request.taskId} failed: ${message}`);
    // Another gateway holds the task now: its claim is not ours to release.
    if (isTaskManagerError(err) && err.code === "E_LEASE_LOST") return toErrorStatus(err);
    const unavailable =
      isTaskManagerError(err) && err.code === "E_MODEL_UNAVAILABLE" ? request.model : null;
    await releaseAfterFailedSpawn(ctx, request.taskId, token, message, unavailable);
    return toErrorStatus(
      isTaskManagerError(err)
        ? err
        : new TaskManagerError(
            "E_SPAWN_FAILED",
            `Could not start task ${request.taskId}: ${message}. It stays queued and will be retried.`,
            { id: request.taskId },
          ),
    );
  }
}

/**
 * On a store several gateways share, right before spawning: is the claim still this one, with
 * time left? A gateway frozen past its lease (a laptop asleep, SIGSTOP) wakes to find the task
 * claimed by another, and starts nothing. Time left matters because the other gateway may
 * claim the task the moment the lease ends.
 */
export const CLAIM_MARGIN_MS = 30_000;

async function confirmClaim(ctx: Context, id: string, token: string): Promise<void> {
  const { queue } = await ctx.store.read(byIds(id));
  const task = queue.tasks.find((t) => t.id === id);
  const left = task?.lease ? Date.parse(task.lease.expires_at) - ctx.deps.now() : 0;
  // Never more than half the claim: a lease shorter than the margin would refuse every claim.
  const margin = Math.min(CLAIM_MARGIN_MS, (ctx.policy.leaseSeconds * 1000) / 2);
  if (task?.state === "claimed" && task.lease?.token === token && left >= margin) return;
  throw new TaskManagerError(
    "E_LEASE_LOST",
    `The claim on ${id} lapsed before its run started (${task ? `the task is ${task.state}` : "the task is gone"}); nothing was started.`,
    { id },
  );
}

/** How long a model the gateway cannot run is skipped (the next whitelisted model is used). */
const UNAVAILABLE_MODEL_REST_MS = 3_600_000;

async function releaseAfterFailedSpawn(
  ctx: Context,
  id: string,
  token: string,
  message: string,
  unavailableModel: string | null,
): Promise<void> {
  try {
    await ctx.store.mutate(byIds(id), (queue) => {
      const task = queue.tasks.find((t) => t.id === id);
      if (task?.state !== "claimed" || task.lease?.token !== token) return { queue, result: null };
      const now = ctx.deps.now();
      const released = tasks.releaseClaim(
        queue,
        id,
        `spawn failed: ${message}`,
        now,
        unavailableModel ? now : now + 60_000,
      ).queue;
      if (!unavailableModel) return { queue: released, result: null };
      const until = isoTime(now + UNAVAILABLE_MODEL_REST_MS);
      return {
        queue: { ...released, cooldowns: { ...released.cooldowns, [unavailableModel]: until } },
        result: null,
      };
    });
  } catch (err) {
    // The lease will expire on its own; the task is not lost either way.
    ctx.deps.logger.warn(`could not release claim on ${id}: ${(err as Error).message}`);
  }
}
