import type { Pool } from "pg";
import type { GatewayRecord, GatewayRegistry } from "../port.js";
import { inTransaction, type PgSettings } from "./connection.js";
import { quoted } from "./migrations.js";

/**
 * The gateways sharing the database, each with its heartbeat and lease. Times are the
 * database's (`now()`), so gateways whose clocks disagree still agree on who is gone.
 */
export class PgGateways implements GatewayRegistry {
  readonly #pool: () => Promise<Pool>;
  readonly #s: PgSettings;
  readonly #q: string;

  constructor(pool: () => Promise<Pool>, settings: PgSettings) {
    this.#pool = pool;
    this.#s = settings;
    this.#q = quoted(settings.schema);
  }

  async heartbeat(g: {
    id: string;
    label: string;
    kind: "plugin" | "cli";
    leaseSeconds: number;
  }): Promise<void> {
    await inTransaction(await this.#pool(), this.#s, "BEGIN", (c) =>
      c.query(
        `INSERT INTO ${this.#q}.gateways (id, label, kind, lease_seconds) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, kind = EXCLUDED.kind,
           lease_seconds = EXCLUDED.lease_seconds, heartbeat_at = now()`,
        [g.id, g.label, g.kind, Math.round(g.leaseSeconds)],
      ),
    );
  }

  async lost(): Promise<Set<string>> {
    const rows = await inTransaction(await this.#pool(), this.#s, "BEGIN READ ONLY", (c) =>
      c.query<{ id: string }>(
        `SELECT id FROM ${this.#q}.gateways WHERE heartbeat_at < now() - make_interval(secs => lease_seconds)`,
      ),
    );
    return new Set(rows.rows.map((r) => r.id));
  }

  async list(): Promise<GatewayRecord[]> {
    const rows = await inTransaction(await this.#pool(), this.#s, "BEGIN READ ONLY", (c) =>
      c.query<{
        id: string;
        label: string;
        kind: "plugin" | "cli";
        started_at: Date;
        heartbeat_at: Date;
        lease_seconds: number;
        lost: boolean;
      }>(
        `SELECT id, label, kind, started_at, heartbeat_at, lease_seconds,
           heartbeat_at < now() - make_interval(secs => lease_seconds) AS lost
         FROM ${this.#q}.gateways ORDER BY id`,
      ),
    );
    return rows.rows.map((r) => ({
      id: r.id,
      label: r.label,
      kind: r.kind,
      started_at: r.started_at.toISOString(),
      heartbeat_at: r.heartbeat_at.toISOString(),
      lease_seconds: r.lease_seconds,
      lost: r.lost,
    }));
  }
}
