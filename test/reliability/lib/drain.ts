import { createContext } from "../../../dist/runtime/context.js";
import { dispatchOnce } from "../../../dist/runtime/dispatch.js";
import { FakeGateway } from "./fake-gateway.ts";
import type { Sandbox } from "./env.ts";
import { STEP_MS } from "./lane.ts";
import { EVERYTHING } from "../../../dist/core/views.js";

/**
 * Recovery after the crashes: checks (each a step later on the clock, so every orphaned claim
 * has expired) dispatch until nothing is pending and every run is settled from its transcript.
 */
export async function drain(s: Sandbox, startOffsetMs: number, maxSteps: number): Promise<number> {
  let offset = startOffsetMs;
  const gateway = new FakeGateway(s.stateDir);
  for (let i = 0; i < maxSteps; i++) {
    offset += STEP_MS;
    const clock = offset;
    const ctx = await createContext({
      workspace: s.workspace,
      deps: { now: () => Date.now() + clock, env: s.env },
    });
    const status = await dispatchOnce(ctx, gateway, { lockWaitMs: 10_000 });
    if (status.status === "ERROR") throw new Error(`drain: ${status.code} ${status.message}`);
    const running = (await ctx.store.read(EVERYTHING)).queue.tasks.some((t) => t.state !== "done");
    if (status.status === "NO_TASKS" && !running) return i + 1;
  }
  throw new Error(`drain did not finish in ${maxSteps} steps`);
}
