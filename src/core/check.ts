import type { Policy } from "../policy/schema.js";
import { budgetId, budgetLimits, budgetStates, raiseBudgetAlerts } from "./budget.js";
import { countActive, decide, type Decision, type Observation } from "./decide.js";
import { expireStaleTasks } from "./expiry.js";
import { holdView, startProbe, type HoldView } from "./holds.js";
import { limitsSummary } from "./limits.js";
import { recordStart } from "./pacing.js";
import type { Queue, Task } from "./queue-model.js";
import type { ZoneOffset } from "./reset-hint.js";
import type { RunOutcome } from "./run-outcome.js";
import { settleRunning } from "./settle.js";
import { defaultSpendEnv, newHistoryEntries, recordSpend, type SpendEnv } from "./spend.js";
import { type HostInfo, PROMPT_IS, type SettledInfo, type StatusObject } from "./status.js";
import { claimTask, expireLeases } from "./tasks.js";
import { isoTime } from "./time.js";

export type { RunFacts, RunOutcome, RunUsage } from "./run-outcome.js";
export { runKey, settleRunning } from "./settle.js";

export interface CheckInput {
  queue: Queue;
  policy: Policy;
  observation: Observation;
  /** Outcomes of running tasks, by `runKey(task)`, read from their transcripts before the lock. */
  outcomes: ReadonlyMap<string, RunOutcome>;
  nowMs: number;
  random: () => number;
  newToken: () => string;
  host: HostInfo;
  workspace: string;
  /** The spawner may not start runs (the host forbids it): a task that would be READY waits. */
  startBlocked?: boolean;
  /** The host's UTC offset, for reset times written as a clock time; default UTC. */
  zone?: ZoneOffset;
  /** This gateway, on a store several gateways share (claims carry it; see settle.ts). */
  self?: string;
  /** Gateways past their lease: their running tasks are settled as interrupted. */
  lostOwners?: ReadonlySet<string>;
}

export interface CheckResult {
  queue: Queue;
  status: StatusObject;
  /** False when nothing needs writing (the common idle tick). */
  changed: boolean;
  decision: Decision;
}

/**
 * One heartbeat check as a pure transform: expire leases, settle finished runs (their spend goes
 * to the budget ledger), decide, and claim the chosen task under a lease (a start pacing
 * counts). Undelivered alerts ride along once and are cleared.
 */
export function runCheckTransform(input: CheckInput): CheckResult {
  const { policy, observation: obs, nowMs } = input;
  const env = obs.spend ?? defaultSpendEnv(policy);
  const leases = expireLeases(input.queue, nowMs);
  const settledRun = settleRunning({ ...input, queue: leases.queue });
  const ran = newHistoryEntries(leases.queue.history, settledRun.queue.history);
  // Stale work is taken out before anything is chosen: a task past its maximum age never starts.
  const stale = expireStaleTasks(recordSpend(settledRun.queue, ran, env, nowMs), policy, nowMs);
  let queue = stale.queue;
  const settled: SettledInfo[] = [
    ...leases.expired.map((t) => ({ id: t.id, outcome: "lease_expired" as const })),
    ...settledRun.settled,
    ...stale.expired.map((t) => ({
      id: t.id,
      outcome: "expired" as const,
      reason: "max_age" as const,
    })),
  ];
  const decided = decide(queue, policy, obs, nowMs);
  const decision: Decision =
    decided.kind === "READY" && input.startBlocked
      ? { kind: "DEFERRED", reason: "host_setup", retryAtMs: null }
      : decided;
  let claimed: { task: Task; token: string } | null = null;
  if (decision.kind === "READY") {
    const token = input.newToken();
    const result = claimTask(
      queue,
      decision.task,
      {
        token,
        model: decision.model,
        leaseSeconds: policy.leaseSeconds,
        ...(input.self !== undefined ? { owner: input.self } : {}),
      },
      nowMs,
    );
    queue = startProbe(result.queue, decision.probes, result.task.id, nowMs);
    queue = recordStart(queue, policy, decision.model, nowMs);
    claimed = { task: result.task, token };
  }
  queue = budgetAlerts(queue, policy, env, decision, ran.at(-1)?.task_id, nowMs);
  const limits = limitsSummary(queue, policy, env, nowMs);
  const alerts = queue.alerts;
  if (alerts.length > 0) queue = { ...queue, alerts: [] };
  const common = {
    pending_count: queue.tasks.filter((t) => t.state === "pending").length,
    active_sessions: countActive(queue, obs) - (claimed ? 1 : 0),
    load: Math.round(obs.loadPerCore * 100) / 100,
    host: input.host,
    workspace: input.workspace,
    ...(alerts.length > 0 ? { alerts } : {}),
    ...(settled.length > 0 ? { settled } : {}),
    ...(limits ? { limits } : {}),
  };
  const probed =
    decision.kind === "READY" && decision.probes.length > 0
      ? holdView(decision.probes[0]!, queue.holds![decision.probes[0]!]!, nowMs)
      : null;
  return {
    queue,
    changed: queue !== input.queue,
    decision,
    status: toStatus(decision, claimed, probed, policy, common),
  };
}

/** Budget alerts due after this check's spend and decision (a start the budget stopped is "used up"). */
function budgetAlerts(
  queue: Queue,
  policy: Policy,
  env: SpendEnv,
  decision: Decision,
  taskId: string | undefined,
  nowMs: number,
): Queue {
  if (budgetLimits(policy).length === 0) return queue;
  const exhausted =
    decision.kind === "DEFERRED" && decision.budget ? budgetId(decision.budget) : undefined;
  return raiseBudgetAlerts(queue, policy, budgetStates(queue, policy, env, nowMs), nowMs, {
    exhausted,
    taskId,
  });
}

function toStatus(
  decision: Decision,
  claimed: { task: Task; token: string } | null,
  probed: HoldView | null,
  policy: Policy,
  common: Omit<StatusObject & { status: "NO_TASKS" }, "status">,
): StatusObject {
  if (decision.kind === "NO_TASKS") return { status: "NO_TASKS", ...common };
  if (decision.kind === "DEFERRED") {
    return {
      status: "DEFERRED",
      reason: decision.reason,
      retry_at: decision.retryAtMs === null ? null : isoTime(decision.retryAtMs),
      ...(decision.hold ? { hold: decision.hold } : {}),
      ...(decision.budget ? { budget: decision.budget } : {}),
      ...(decision.pacing ? { pacing: decision.pacing } : {}),
      ...common,
    };
  }
  const task = claimed!.task;
  const lease = task.lease!;
  return {
    status: "READY",
    // Before the text, so an agent reads what the text is before it reads the text.
    prompt_is: PROMPT_IS,
    task: {
      id: task.id,
      prompt: task.prompt,
      priority: task.priority,
      attempt: lease.attempt,
      source: task.source,
    },
    recommendation: {
      prompt: task.prompt,
      model: decision.model,
      label: `task-manager:${task.id}`,
      runTimeoutSeconds: Math.round(policy.taskTimeoutMinutes * 60),
    },
    lease: { token: lease.token, expires_at: lease.expires_at },
    // This run goes first after a quota hold ended; the others on that provider wait for it.
    ...(probed ? { hold: probed } : {}),
    ...common,
  };
}
