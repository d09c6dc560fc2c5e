/**
 * What the host's records say about one run — the port every host adapter answers through
 * (src/host/<host>/). Core decides what each answer means for the task; adapters only report.
 */

/** Token counts and cost the host recorded for a run (summed over its model calls). */
export interface RunUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** In USD, from the host's model catalog costs; null when the host recorded none. */
  costUsd: number | null;
}

/** Facts an adapter may know about any run it has seen start. */
export interface RunFacts {
  /** The model the host says really ran ("provider/model"). */
  model?: string;
  usage?: RunUsage;
  /** Tool calls the run made (its transcript shows them): a run that acted may have side effects. */
  toolCalls?: number;
}

export type RunOutcome =
  | ({ status: "done" } & RunFacts)
  | ({
      status: "failed";
      message: string;
      /** When the host recorded the end of a quota hold (epoch ms), e.g. OpenClaw's quotaSuspension. */
      resetAtMs?: number;
    } & RunFacts)
  /** Still going (the host has no terminal record yet). */
  | ({ status: "running" } & RunFacts)
  /** The run's gateway died mid-run; the host will not resume it. */
  | ({ status: "interrupted" } & RunFacts)
  /**
   * The host refused to start this run and made no model call — e.g. OpenClaw, after a restart,
   * records a repeated idempotency key as a failed run. Not the task's fault: no attempt is burned.
   */
  | { status: "rejected"; message: string }
  /** No record of the run (yet). */
  | { status: "unknown" };
