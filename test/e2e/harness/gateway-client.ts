/**
 * A minimal client for the gateway's WebSocket protocol (v3), as the host's own
 * dist/gateway/client.js speaks it, minus device identity: a loopback client that presents the
 * shared token may skip the device block (message-handler.js, "canSkipDevice").
 *
 * Frames: {type:"req",id,method,params} → {type:"res",id,ok,payload|error}; server pushes
 * {type:"event",event,payload,seq}. The first request must be `connect`.
 * Uses Node 22's global WebSocket, so the package needs no `ws` dependency.
 */
import { randomUUID } from "node:crypto";

export interface GatewayEvent {
  event: string;
  payload: unknown;
  at: number;
}

interface Pending {
  resolve(payload: unknown): void;
  reject(err: Error): void;
  expectFinal: boolean;
}

interface ResFrame {
  type: "res";
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string };
}

interface EventFrame {
  type: "event";
  event: string;
  payload?: unknown;
}

export const PROTOCOL_VERSION = 3;

export class GatewayClient {
  readonly events: GatewayEvent[] = [];
  private readonly pending = new Map<string, Pending>();
  private ws: WebSocket | undefined;

  private constructor(private readonly url: string) {}

  /** Opens the socket and completes the `connect` handshake. */
  static async connect(url: string, token: string): Promise<GatewayClient> {
    const client = new GatewayClient(url);
    await client.open();
    await client.request("connect", {
      minProtocol: PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      // "test"/"test" are ids the protocol schema accepts (gateway/protocol/client-info.js).
      client: { id: "test", version: "e2e", platform: process.platform, mode: "test" },
      role: "operator",
      scopes: ["operator.admin"],
      auth: { token },
    });
    return client;
  }

  /**
   * Sends a request. Resolves with the first `res` payload, except with `expectFinal` where an
   * `{status:"accepted"}` ack is skipped (the `agent` method answers twice on one id).
   */
  request<T = unknown>(method: string, params: unknown = {}, opts: { expectFinal?: boolean } = {}): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`gateway not connected (${this.url})`));
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (p) => resolve(p as T), reject, expectFinal: opts.expectFinal === true });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  close(): void {
    this.ws?.close();
    this.ws = undefined;
    this.failPending(new Error("gateway client closed"));
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`cannot connect to ${this.url}`)), { once: true });
      ws.addEventListener("message", (ev: MessageEvent) => this.onMessage(String(ev.data)));
      ws.addEventListener("close", (ev) => this.failPending(new Error(`gateway closed (${ev.code}): ${ev.reason}`)));
    });
  }

  private onMessage(raw: string): void {
    const frame = JSON.parse(raw) as ResFrame | EventFrame;
    if (frame.type === "event") {
      this.events.push({ event: frame.event, payload: frame.payload, at: Date.now() });
      return;
    }
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    if (pending.expectFinal && isAccepted(frame.payload)) return;
    this.pending.delete(frame.id);
    if (frame.ok) pending.resolve(frame.payload);
    else pending.reject(new Error(`${frame.error?.code ?? "ERROR"}: ${frame.error?.message ?? "unknown error"}`));
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

function isAccepted(payload: unknown): boolean {
  return typeof payload === "object" && payload !== null && (payload as { status?: unknown }).status === "accepted";
}
