import { TaskManagerError } from "../../base/errors.js";
import type { SpawnRequest, Spawner } from "../port.js";
import { GatewayClient, type GatewayAddress } from "../gateway-client.js";

/**
 * Starts task runs through the gateway itself, the way the host's own sessions_spawn tool does:
 * `sessions.patch {key, model}` pins the cheap model on the child session, then
 * `agent {message, sessionKey, lane:"subagent", deliver:false, idempotencyKey, label}`.
 * The task text travels as a JSON string in a WebSocket frame — never through a shell.
 */
export class GatewaySpawner implements Spawner {
  readonly #address: () => GatewayAddress;
  #client: GatewayClient | undefined;
  #catalog: Set<string> | null = null;

  constructor(address: () => GatewayAddress) {
    this.#address = address;
  }

  async spawn(req: SpawnRequest): Promise<{ runId: string | null }> {
    const client = await this.#connected();
    await this.#assertKnownModel(client, req.model);
    const patched = await client.request<{
      ok?: boolean;
      entry?: { providerOverride?: string; modelOverride?: string };
    }>("sessions.patch", { key: req.sessionKey, model: req.model });
    const pinned =
      patched?.entry?.providerOverride && patched.entry.modelOverride
        ? `${patched.entry.providerOverride}/${patched.entry.modelOverride}`
        : null;
    if (patched?.ok === false || (pinned !== null && pinned !== req.model)) {
      throw new TaskManagerError(
        "E_MODEL_UNAVAILABLE",
        `The gateway did not pin ${req.model} on ${req.sessionKey} (got ${pinned ?? "nothing"}); not starting the run.`,
        { model: req.model },
      );
    }
    const res = await client.request<{ runId?: string; status?: string }>("agent", {
      message: req.prompt,
      sessionKey: req.sessionKey,
      lane: "subagent",
      deliver: false,
      idempotencyKey: req.idempotencyKey,
      label: req.label,
      timeout: req.runTimeoutSeconds,
    });
    return { runId: typeof res?.runId === "string" ? res.runId : null };
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
    this.#catalog = null;
  }

  /**
   * The host accepts an unknown model in sessions.patch and then silently runs the session on
   * its default — usually the expensive one. So a model must be in the gateway's catalog
   * (`models.list`) before anything is started on it.
   */
  async #assertKnownModel(client: GatewayClient, model: string): Promise<void> {
    if (this.#catalog === null) {
      const res = await client.request<{ models?: Array<{ id?: string; provider?: string }> }>(
        "models.list",
        {},
      );
      this.#catalog = new Set((res?.models ?? []).map((m) => `${m.provider}/${m.id}`));
    }
    if (!this.#catalog.has(model)) {
      this.#catalog = null; // the host config may change; look again next time
      throw new TaskManagerError(
        "E_MODEL_UNAVAILABLE",
        `Model ${model} is not in the gateway's model catalog; it would run on the default model instead. Fix "models" in the task-manager config or add the model to the host.`,
        { model },
      );
    }
  }

  async #connected(): Promise<GatewayClient> {
    if (this.#client?.connected) return this.#client;
    this.#client?.close();
    this.#client = await GatewayClient.connect(this.#address());
    return this.#client;
  }
}
