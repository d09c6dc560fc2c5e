import type { Policy } from "./schema.js";

/**
 * The policy with every default, written out so the idle heartbeat check needs no zod. The
 * schema stays the truth: a test fails unless this equals `policySchema.parse({})`.
 */
export const DEFAULT_POLICY: Policy = Object.freeze({
  models: ["google/gemini-2.5-flash", "anthropic/claude-haiku-4-5"],
  maxConcurrent: 1,
  loadThreshold: 0.8,
  minFreeMemoryMB: 256,
  retry: {
    maxAttempts: 3,
    baseDelayMs: 60_000,
    maxDelayMs: 3_600_000,
    quotaScope: "provider",
    quotaHoldMinMs: 60_000,
    quotaHoldMaxMs: 86_400_000,
    maxQuotaRetries: 20,
  },
  maxAgeHours: 48,
  idempotentByDefault: false,
  taskTimeoutMinutes: 30,
  leaseSeconds: 300,
  activeWindowMinutes: 30,
  schedule: "heartbeat",
  queueFile: "memory/pending_tasks.json",
  agentId: "main",
  wake: "due",
  capture: { subagents: true, main: false },
  store: { schema: "task_manager", gatewayLeaseSeconds: 90, poolSize: 4 },
  budget: {
    daily: { usd: null, tokens: null },
    monthly: { usd: null, tokens: null },
    providers: {},
    models: {},
    alertAt: 0.8,
    timeZone: null,
    prices: {},
  },
  pacing: { providers: {}, models: {} },
}) as Policy;
