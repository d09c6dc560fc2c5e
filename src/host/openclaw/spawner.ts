import { TaskManagerError } from "../../base/errors.js";
import type { SpawnRequest, Spawner } from "../port.js";

/** The part of OpenClaw's plugin runtime this spawner uses (api.runtime.subagent.run). */
export type SubagentRun = (params: {
  sessionKey: string;
  message: string;
  provider: string;
  model: string;
  deliver: boolean;
  idempotencyKey: string;
}) => Promise<{ runId?: string }>;

/**
 * Starts task runs inside the gateway with OpenClaw's own sub-agent API — no WebSocket, no
 * token. Provider and model are pinned on every run; OpenClaw accepts that override only with
 * the operator's `subagent.allowModelOverride` opt-in, and `ready()` says so before anything is
 * claimed, so a task is never started on the host's default model. The task text is passed as a
 * string argument: no shell anywhere.
 */
export class SubagentSpawner implements Spawner {
  readonly #run: SubagentRun;
  readonly #permitted: () => { ok: true } | { ok: false; message: string };

  constructor(run: SubagentRun, permitted: () => { ok: true } | { ok: false; message: string }) {
    this.#run = run;
    this.#permitted = permitted;
  }

  ready(): { ok: true } | { ok: false; message: string } {
    return this.#permitted();
  }

  async spawn(req: SpawnRequest): Promise<{ runId: string | null }> {
    const slash = req.model.indexOf("/");
    if (slash <= 0)
      throw new TaskManagerError(
        "E_MODEL_UNAVAILABLE",
        `Model "${req.model}" has no provider part; expected "provider/model".`,
        { model: req.model },
      );
    const result = await this.#run({
      sessionKey: req.sessionKey,
      message: req.prompt,
      provider: req.model.slice(0, slash),
      model: req.model.slice(slash + 1),
      deliver: false,
      idempotencyKey: req.idempotencyKey,
    });
    return { runId: typeof result?.runId === "string" ? result.runId : null };
  }
}
