import type { Policy } from "../policy/schema.js";
import { budgetLimits, budgetStates, budgetView, type BudgetView } from "./budget.js";
import { paceLimits, paceStates, type PaceView } from "./pacing.js";
import type { Queue } from "./queue-model.js";
import type { SpendEnv } from "./spend.js";

/** Budgets and pacing limits in one compact summary (status objects, `stats`, the page). */
export interface LimitsSummary {
  /** Where budget days and months begin. */
  time_zone: string;
  budgets: BudgetView[];
  pacing: PaceView[];
}

/** Whether the policy sets any budget or pacing limit (both are off by default). */
export const limitsConfigured = (policy: Policy): boolean =>
  budgetLimits(policy).length > 0 || paceLimits(policy).length > 0;

/** The summary, or null when neither budgets nor pacing are configured. */
export function limitsSummary(
  queue: Queue,
  policy: Policy,
  env: SpendEnv,
  nowMs: number,
): LimitsSummary | null {
  if (!limitsConfigured(policy)) return null;
  return {
    time_zone: env.timeZone,
    budgets: budgetStates(queue, policy, env, nowMs).map(budgetView),
    pacing: paceStates(queue, policy, nowMs),
  };
}
