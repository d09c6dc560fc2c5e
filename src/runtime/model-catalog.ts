import { field, isObject } from "../base/json.js";
import type { ModelCatalog, ModelCost } from "../core/cost.js";

/**
 * The model catalog from a host config (Clawdbot and OpenClaw write the same shape):
 * `models.providers.<id>.models[] = {id, cost: {input, output, cacheRead, cacheWrite}}` in USD
 * per million tokens, and the main model at `agents.defaults.model.primary` (or
 * `agents.defaults.model` as a plain string). Host adapters may supply a catalog instead.
 */
export function catalogFromHostConfig(
  raw: Record<string, unknown> | null | undefined,
): ModelCatalog {
  const costs = new Map<string, ModelCost>();
  const providers = field(field(raw, "models"), "providers");
  if (isObject(providers)) {
    for (const [providerId, provider] of Object.entries(providers)) {
      const models = field(provider, "models");
      if (!Array.isArray(models)) continue;
      for (const model of models) {
        const id = field(model, "id");
        const cost = priceOf(field(model, "cost"));
        if (typeof id === "string" && id !== "" && cost !== null)
          costs.set(`${providerId}/${id}`, cost);
      }
    }
  }
  const model = field(field(field(raw, "agents"), "defaults"), "model");
  const primary = typeof model === "string" ? model : field(model, "primary");
  return {
    mainModel: typeof primary === "string" && primary !== "" ? primary : null,
    costOf: (m) => costs.get(m) ?? null,
  };
}

/** A price with every part a non-negative number; a missing cache price counts as 0. */
function priceOf(v: unknown): ModelCost | null {
  const part = (key: string, required: boolean): number | null => {
    const n = field(v, key);
    if (n === undefined && !required) return 0;
    return typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : null;
  };
  const input = part("input", true);
  const output = part("output", true);
  const cacheRead = part("cacheRead", false);
  const cacheWrite = part("cacheWrite", false);
  if (input === null || output === null || cacheRead === null || cacheWrite === null) return null;
  return { input, output, cacheRead, cacheWrite };
}
