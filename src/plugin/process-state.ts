import { MainActivity } from "./main-activity.js";
import type { TaskManagerService } from "./service.js";

/**
 * State shared by every registration of the plugin in one gateway process. OpenClaw calls
 * register() several times per process ("full", "discovery", "tool-discovery"), and a run's
 * hooks are invoked on a different registration than the one whose service was started (seen on
 * 2026.9.6: before_agent_run arrived on the "discovery" instance while the "full" one ticked).
 * What hooks learn and what ticks do must therefore be process-wide; kept on globalThis so even
 * a second copy of this module shares it.
 */
interface ProcessState {
  mains: Map<string, MainActivity>;
  /** The started service, if any: the one schedule and tick chain of this process. */
  live: TaskManagerService | null;
  /** The status page's key in this gateway process (page-mount.ts). */
  pageKey?: string;
}

const KEY = Symbol.for("task-manager.plugin.process-state");

export function processState(): ProcessState {
  const holder = globalThis as { [KEY]?: ProcessState };
  holder[KEY] ??= { mains: new Map(), live: null };
  return holder[KEY];
}

/** The one MainActivity for a main session key in this process. */
export function sharedMainActivity(mainKey: string, staleMs: number): MainActivity {
  const { mains } = processState();
  let main = mains.get(mainKey);
  if (!main) {
    main = new MainActivity(mainKey, staleMs);
    mains.set(mainKey, main);
  }
  return main;
}
