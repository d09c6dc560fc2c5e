/**
 * Knows whether the main session is mid-run, from the host's agent hooks: before_agent_start
 * marks it busy, agent_end frees it. A run whose agent_end never fires (the host skips it when
 * the model call failed) is forgotten after `staleMs`, so the queue cannot stall forever.
 */
export class MainActivity {
  readonly #mainKey: string;
  readonly #staleMs: number;
  readonly #now: () => number;
  #busySince: number | null = null;
  readonly #idleListeners = new Set<() => void>();

  constructor(mainKey: string, staleMs: number, now: () => number = Date.now) {
    this.#mainKey = mainKey;
    this.#staleMs = staleMs;
    this.#now = now;
  }

  get mainKey(): string {
    return this.#mainKey;
  }

  started(sessionKey: string | undefined): void {
    if (sessionKey === this.#mainKey) this.#busySince = this.#now();
  }

  ended(sessionKey: string | undefined): void {
    if (sessionKey !== this.#mainKey) return;
    const wasBusy = this.#busySince !== null;
    this.#busySince = null;
    if (wasBusy) for (const listener of this.#idleListeners) listener();
  }

  /** Calls `listener` each time the main session goes from busy to idle; returns the unsubscribe. */
  onIdle(listener: () => void): () => void {
    this.#idleListeners.add(listener);
    return () => this.#idleListeners.delete(listener);
  }

  busy(): boolean {
    if (this.#busySince === null) return false;
    if (this.#now() - this.#busySince > this.#staleMs) this.#busySince = null;
    return this.#busySince !== null;
  }
}

/** The host's main session key: agent:<agentId>:<session.mainKey, default "main">. */
export function mainSessionKey(hostConfig: Record<string, unknown>, agentId: string): string {
  const session = hostConfig.session as { scope?: string; mainKey?: string } | undefined;
  if (session?.scope === "global") return "global";
  const mainKey = (session?.mainKey ?? "main").trim().toLowerCase() || "main";
  return `agent:${agentId}:${mainKey}`;
}
