import { InvalidArgumentError } from "commander";
import { amount, budgetName } from "../core/budget.js";
import type { Stats } from "../core/stats.js";
import { MAX_COST_LIMIT_USD } from "../core/tasks.js";

/** `stats` lines for budgets and pacing: spent and left per budget, use per pacing limit. */
export function limitsLines(s: Stats): string[] {
  const limits = s.limits;
  if (limits === null) return [];
  const lines = limits.budgets.map((b) => {
    const unpriced = b.unpriced_runs > 0 ? `, ${b.unpriced_runs} unpriced run(s) not in USD` : "";
    return `budget: ${budgetName(b)}: ${amount(b.spent, b.unit)} of ${amount(b.cap, b.unit)} spent, ${amount(b.left, b.unit)} left${unpriced}; resets ${b.resets_at} (${limits.time_zone})`;
  });
  for (const p of limits.pacing) {
    const over = p.window === "concurrent" ? "out at once" : `started in the last ${p.window}`;
    const next = p.frees_at ?? p.next_start_at;
    lines.push(
      `pacing: ${p.scope} ${p.key}: ${p.used} of ${p.limit} ${over}${next ? `; next start ${next}` : ""}${p.ramping ? " (ramping up after a rate limit)" : ""}`,
    );
  }
  return lines;
}

/** `add --max-cost <usd>`: a positive number of USD. */
export function parseMaxCost(value: string): number {
  const usd = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(usd > 0) || usd > MAX_COST_LIMIT_USD)
    throw new InvalidArgumentError(
      `--max-cost must be a number of USD above 0 and at most ${MAX_COST_LIMIT_USD}, got "${value}".`,
    );
  return usd;
}
