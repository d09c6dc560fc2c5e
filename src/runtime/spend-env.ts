import { field } from "../base/json.js";
import { isTimeZone } from "../base/time-zone.js";
import { budgetLimits, covers } from "../core/budget.js";
import { isRealPrice, type ModelCatalog } from "../core/cost.js";
import { paceLimits } from "../core/pacing.js";
import { policyPrices, type SpendEnv } from "../core/spend.js";
import type { Policy } from "../policy/schema.js";
import type { Context } from "./context.js";
import { catalogFromHostConfig } from "./model-catalog.js";

/**
 * What budgets need from outside core: the time zone days begin in, and model prices. Both are
 * worked out only when first asked (most checks settle nothing and set no budget).
 */

export type ZoneSource = "policy" | "host" | "machine";

/**
 * The zone budget days and months begin in: `budget.timeZone`, else the host's
 * `agents.defaults.userTimezone` (OpenClaw and Clawdbot use it for the agent's own dates), else
 * the machine's zone — what OpenClaw itself falls back to.
 */
export function budgetZone(
  policy: Policy,
  hostRaw: Record<string, unknown> | null | undefined,
): { zone: string; source: ZoneSource; ignored?: string } {
  if (policy.budget.timeZone !== null) return { zone: policy.budget.timeZone, source: "policy" };
  const user = field(field(field(hostRaw, "agents"), "defaults"), "userTimezone");
  const machine = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  if (typeof user === "string" && user !== "") {
    if (isTimeZone(user)) return { zone: user, source: "host" };
    return { zone: machine, source: "machine", ignored: user };
  }
  return { zone: machine, source: "machine" };
}

/**
 * Prices for budgets and spend figures: the host catalog's (`models.providers.*.models[].cost`)
 * where it has a real one, else the policy's `budget.prices`. A host price of zero everywhere is
 * OpenClaw's placeholder for "unknown" and falls through to the policy's table.
 */
export function priceCatalog(
  policy: Policy,
  hostRaw: Record<string, unknown> | null | undefined,
): ModelCatalog {
  const host = catalogFromHostConfig(hostRaw);
  const own = policyPrices(policy);
  return {
    mainModel: host.mainModel,
    costOf: (model) => {
      const price = host.costOf(model);
      return price !== null && isRealPrice(price) ? price : own.costOf(model);
    },
  };
}

/** Where a price comes from, for `doctor`: the host catalog, the policy's table, or nowhere. */
export function priceSource(
  policy: Policy,
  hostRaw: Record<string, unknown> | null | undefined,
  model: string,
): "host" | "policy" | null {
  const host = catalogFromHostConfig(hostRaw).costOf(model);
  if (host !== null && isRealPrice(host)) return "host";
  return policyPrices(policy).costOf(model) === null ? null : "policy";
}

/** The spend env for one context, resolved lazily and once. */
export function spendEnvFor(
  ctx: Pick<Context, "policy" | "host">,
): SpendEnv & { readonly catalog: ModelCatalog } {
  let zone: string | undefined;
  let catalog: ModelCatalog | undefined;
  return {
    get timeZone(): string {
      zone ??= budgetZone(ctx.policy, ctx.host.config?.raw).zone;
      return zone;
    },
    get catalog(): ModelCatalog {
      catalog ??= priceCatalog(ctx.policy, ctx.host.config?.raw);
      return catalog;
    },
  };
}

/**
 * `doctor`'s budget section: the zone days begin in and why, where each whitelisted model's
 * price comes from, and a warning for each model a USD budget covers that has no price — its
 * runs would count their tokens only, so a USD cap could not stop them.
 */
export function budgetAdvice(
  policy: Policy,
  hostRaw: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const limits = budgetLimits(policy);
  const zone = budgetZone(policy, hostRaw);
  const prices = Object.fromEntries(
    policy.models.map((m) => [m, priceSource(policy, hostRaw, m)] as const),
  );
  const warnings: string[] = [];
  if (zone.ignored !== undefined)
    warnings.push(
      `agents.defaults.userTimezone ${JSON.stringify(zone.ignored)} is not a time zone Intl knows; budget days use the machine's zone ${zone.zone}. Set budget.timeZone to choose one.`,
    );
  for (const model of policy.models) {
    const usd = limits.filter((l) => l.unit === "usd" && covers(l, model));
    if (usd.length > 0 && prices[model] === null)
      warnings.push(
        `a USD budget covers ${model} but no price is known for it (the host's models.providers.*.models[].cost has none, or only zeros): its runs count their tokens only and are reported unpriced. Add it to budget.prices (USD per million tokens).`,
      );
  }
  return {
    on: limits.length > 0,
    pacing_on: paceLimits(policy).length > 0,
    time_zone: zone.zone,
    time_zone_source: zone.source,
    prices,
    warnings,
  };
}
