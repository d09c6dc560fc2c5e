import { randomUUID } from "node:crypto";

/**
 * A minimal client for the gateway's WebSocket protocol, as the hosts' own clients speak it:
 * {type:"req",id,method,params} → {type:"res",id,ok,payload|error}; the first request is
 * `connect`. A loopback client presenting the shared token may skip the device-identity block.
 * Clawdbot 2026.1 speaks protocol 3; OpenClaw 2026.9 requires 4 and refuses 3 ("protocol
 * mismatch"). Uses Node's global WebSocket: no `ws` dependency.
 */
export const PROTOCOL = { clawdbot: 3, openclaw: 4 } as const;

interface Pending {
  resolve(payload: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  expectFinal: boolean;
}

/** A server-pushed event frame. */
export interface GatewayEvent {
  event: string;
  payload: unknown;
  at: number;
}

export interface ConnectOptions {
  timeoutMs?: number;
  /** The host's protocol version (PROTOCOL.clawdbot or PROTOCOL.openclaw); default Clawdbot's. */
  protocol?: number;
  /** Called for every pushed event (the gateway pushes all of them to every client). */
  onEvent?: (event: GatewayEvent) => void;
}

export interface RequestOptions {
  timeoutMs?: number;
  /**
   * Wait for the final answer: `agent` answers `{status:"accepted"}` at once and, on the same
   * request id, again when the run is completely over.
   */
  expectFinal?: boolean;
}

interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  payload?: unknown;
  error?: { code?: string; message?: string };
}

export interface GatewayAddress {
  url: string;
  token: string | null;
}

export class GatewayClient {
  readonly #pending = new Map<string, Pending>();
  readonly #url: string;
  readonly #onEvent: ((event: GatewayEvent) => void) | undefined;
  #ws: WebSocket | undefined;

  private constructor(url: string, onEvent: ((event: GatewayEvent) => void) | undefined) {
    this.#url = url;
    this.#onEvent = onEvent;
  }

  static async connect(address: GatewayAddress, opts: ConnectOptions = {}): Promise<GatewayClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const client = new GatewayClient(address.url, opts.onEvent);
    await client.#open(timeoutMs);
    await client.request(
      "connect",
      {
        minProtocol: opts.protocol ?? PROTOCOL.clawdbot,
        maxProtocol: opts.protocol ?? PROTOCOL.clawdbot,
        client: {
          id: "gateway-client",
          version: "task-manager",
          platform: process.platform,
          mode: "backend",
        },
        role: "operator",
        scopes: ["operator.admin"],
        ...(address.token ? { auth: { token: address.token } } : {}),
      },
      { timeoutMs },
    );
    return client;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** One request; the first `res` frame for its id settles it, unless `expectFinal`. */
  request<T = unknown>(
    method: string,
    params: unknown = {},
    opts: RequestOptions = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new Error(`gateway not connected (${this.#url})`));
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`gateway ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (p) => resolve(p as T),
        reject,
        timer,
        expectFinal: opts.expectFinal === true,
      });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  close(): void {
    this.#ws?.close();
    this.#ws = undefined;
    this.#failAll(new Error("gateway client closed"));
  }

  #open(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.#url);
      this.#ws = ws;
      const timer = setTimeout(
        () => reject(new Error(`cannot connect to ${this.#url} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      ws.addEventListener(
        "open",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      ws.addEventListener(
        "error",
        () => {
          clearTimeout(timer);
          reject(new Error(`cannot connect to ${this.#url}`));
        },
        { once: true },
      );
      ws.addEventListener("message", (ev: MessageEvent) => this.#onMessage(String(ev.data)));
      ws.addEventListener("close", () =>
        this.#failAll(new Error(`gateway connection closed (${this.#url})`)),
      );
    });
  }

  #onMessage(raw: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      return;
    }
    if (frame.type === "event" && frame.event) {
      this.#onEvent?.({ event: frame.event, payload: frame.payload, at: Date.now() });
      return;
    }
    if (frame.type !== "res" || !frame.id) return;
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    if (
      pending.expectFinal &&
      (frame.payload as { status?: unknown } | undefined)?.status === "accepted"
    )
      return;
    this.#pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.payload);
    else
      pending.reject(
        new Error(
          `${frame.error?.code ?? "ERROR"}: ${frame.error?.message ?? "unknown gateway error"}`,
        ),
      );
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
