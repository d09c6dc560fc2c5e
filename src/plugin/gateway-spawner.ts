import { GatewayClient, type GatewayAddress } from "../host/gateway-client.js";
import type { SpawnRequest, Spawner } from "../runtime/dispatch.js";

/**
 * Starts task runs through the gateway itself, the way the host's own sessions_spawn tool does:
 * `sessions.patch {key, model}` pins the cheap model on the child session, then
 * `agent {message, sessionKey, lane:"subagent", deliver:false, idempotencyKey, label}`.
 * The task text travels as a JSON string in a WebSocket frame — never through a shell.
 */
export class GatewaySpawner implements Spawner {
  readonly #address: () => GatewayAddress;
  #client: GatewayClient | undefined;

  constructor(address: () => GatewayAddress) {
    this.#address = address;
  }

  async spawn(req: SpawnRequest): Promise<{ runId: string | null }> {
    const client = await this.#connected();
    const patched = await client.request<{ ok?: boolean; entry?: { model?: string } }>("sessions.patch", { key: req.sessionKey, model: req.model });
    if (patched && patched.ok === false) throw new Error(`sessions.patch refused model ${req.model}`);
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
  }

  async #connected(): Promise<GatewayClient> {
    if (this.#client?.connected) return this.#client;
    this.#client?.close();
    this.#client = await GatewayClient.connect(this.#address());
    return this.#client;
  }
}
