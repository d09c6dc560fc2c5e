import { parseDuration } from "../policy/schedule.js";
import type { Context } from "./context.js";

/** A host whose heartbeat runs the CLI (skill mode), or a gateway's own dispatcher. */
export type GatewayKind = "plugin" | "cli";

/** The hosts' default heartbeat, in seconds. */
const DEFAULT_HEARTBEAT_S = 30 * 60;

/**
 * How long this host may stay silent before another gateway recovers its runs. A gateway's
 * dispatcher heartbeats on a timer (`store.gatewayLeaseSeconds`); a skill-mode host speaks
 * only when its heartbeat runs a check, so its lease covers two heartbeats and five minutes.
 */
export function leaseSeconds(ctx: Context, kind: GatewayKind): number {
  const lease = ctx.policy.store.gatewayLeaseSeconds;
  if (kind === "plugin") return lease;
  let every = DEFAULT_HEARTBEAT_S;
  try {
    const configured = ctx.host.config?.heartbeatEvery;
    if (configured) every = parseDuration(configured);
  } catch {
    every = DEFAULT_HEARTBEAT_S;
  }
  return Math.max(lease, 2 * every + 300);
}

/** Says "alive" to a shared store (nothing on the file store). */
export async function heartbeat(ctx: Context, kind: GatewayKind): Promise<void> {
  if (!ctx.store.gateways || !ctx.gateway) return;
  await ctx.store.gateways.heartbeat({
    ...ctx.gateway,
    kind,
    leaseSeconds: leaseSeconds(ctx, kind),
  });
}

/** Who this check is, and which other gateways are gone (their runs are ours to settle). */
export async function owners(
  ctx: Context,
): Promise<{ self?: string; lostOwners?: ReadonlySet<string> }> {
  if (!ctx.store.gateways || !ctx.gateway) return {};
  const lost = await ctx.store.gateways.lost();
  lost.delete(ctx.gateway.id);
  return { self: ctx.gateway.id, lostOwners: lost };
}

/**
 * The dispatcher's heartbeat: a timer at a third of the lease, so one late beat on a busy
 * machine does not make the gateway look gone. Unref'd; `stop` releases it (a reload must find
 * nothing held).
 */
export class GatewayHeartbeat {
  #timer: NodeJS.Timeout | null = null;

  start(context: () => Promise<Context>, log: (message: string) => void): void {
    this.stop();
    let said: string | null = null;
    const beat = async (): Promise<number> => {
      try {
        const ctx = await context();
        await heartbeat(ctx, "plugin");
        said = null;
        return ctx.store.gateways ? ctx.policy.store.gatewayLeaseSeconds : 0;
      } catch (err) {
        const message = (err as Error).message;
        if (message !== said) log(`gateway heartbeat: ${message}`);
        said = message;
        return 30;
      }
    };
    const loop = async (): Promise<void> => {
      const lease = await beat();
      if (lease === 0 || this.#timer === null) return;
      this.#timer = setTimeout(() => void loop(), Math.max(3, lease / 3) * 1000);
      this.#timer.unref();
    };
    this.#timer = setTimeout(() => void loop(), 0);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
