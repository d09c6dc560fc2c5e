import type { LaneResult } from "./lane-tick.js";

/**
 * What a tick says in the gateway's log: a start, a wait with its detail, an error — the same
 * error of one agent's queue once, not at every wake, until that agent answers otherwise.
 */
export class TickLog {
  readonly #log: (message: string) => void;
  readonly #several: boolean;
  readonly #laneErrors = new Map<string, string>();

  constructor(log: (message: string) => void, agents: number) {
    this.#log = log;
    this.#several = agents > 1;
  }

  results(results: readonly LaneResult[]): void {
    const who = (r: LaneResult): string => (this.#several ? `${r.agent}: ` : "");
    const erred = new Set<string>();
    for (const r of results) {
      if (r.status === "ERROR") {
        erred.add(r.agent);
        if (this.#laneErrors.get(r.agent) === r.message) continue;
        this.#laneErrors.set(r.agent, r.message);
        this.#log(`tick: ${who(r)}${r.code}: ${r.message}`);
      } else if (r.status === "DEFERRED" && r.detail)
        this.#log(`tick: ${who(r)}waiting (${r.reason}): ${r.detail}`);
      else if (r.dispatched)
        this.#log(
          `tick: ${who(r)}started ${r.dispatched.task_id} on ${r.dispatched.model}${r.dispatched.reused ? " (existing run recorded)" : ""}`,
        );
    }
    for (const agent of this.#laneErrors.keys())
      if (!erred.has(agent) && results.some((r) => r.agent === agent))
        this.#laneErrors.delete(agent);
  }
}

/** One result in a few words, for the debug log: agent, status, reason, what it started and settled. */
export function summary(r: LaneResult): string {
  const settled =
    r.status !== "ERROR" && r.settled?.length
      ? ` settled ${r.settled.map((s) => `${s.id}:${s.outcome}`).join(",")}`
      : "";
  const started = r.status === "READY" && r.dispatched ? ` started ${r.dispatched.task_id}` : "";
  return `${r.agent}:${r.status}${r.status === "DEFERRED" ? `/${r.reason}` : ""}${started}${settled}`;
}
