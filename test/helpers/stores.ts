import { randomBytes } from "node:crypto";
import type { PolicyInput } from "../../src/policy/schema.js";
import { createContext, type Context } from "../../src/runtime/context.js";
import type { Deps } from "../../src/runtime/deps.js";
import { closeStores } from "../../src/runtime/store.js";
import { postgresAvailable, type PgServer, startPostgres } from "../../lib/postgres-server.js";
import { tempDir } from "./cli.js";
import { policy, RELAXED_POLICY } from "./fixtures.js";

export type StoreKind = "file" | "postgres";
export const STORE_KINDS: readonly StoreKind[] = ["file", "postgres"];

/**
 * Skipped only on a machine without PostgreSQL; where the machine must be complete
 * (TASK_MANAGER_REQUIRE_HOST=1, as in CI) a missing server fails the suite instead.
 */
export const noPostgres =
  postgresAvailable() === null && process.env.TASK_MANAGER_REQUIRE_HOST !== "1";

/** A real PostgreSQL for a test file, and contexts on either store, each on a queue of its own. */
export class StoreRig {
  server: PgServer | null = null;
  readonly #cleanups: Array<() => void> = [];

  async start(): Promise<void> {
    this.server = await startPostgres();
  }

  /**
   * A context on a fresh workspace: the file store there, or a fresh queue in the database
   * (named by `queue`, so several contexts can share one).
   */
  async context(
    kind: StoreKind,
    opts: {
      input?: PolicyInput;
      queue?: string;
      deps?: Partial<Deps>;
      workspace?: string;
      gatewayId?: string;
    } = {},
  ): Promise<Context> {
    let workspace = opts.workspace;
    if (workspace === undefined) {
      const t = tempDir(`tm-store-${kind}-`);
      this.#cleanups.push(t.cleanup);
      workspace = t.dir;
    }
    const queue = opts.queue ?? `q_${randomBytes(5).toString("hex")}`;
    const store = kind === "postgres" ? { kind, queue } : { kind };
    const env: NodeJS.ProcessEnv = {
      HOME: workspace,
      ...(kind === "postgres" ? { TASK_MANAGER_DATABASE_URL: this.server!.url } : {}),
      ...(opts.gatewayId ? { TASK_MANAGER_GATEWAY_ID: opts.gatewayId } : {}),
    };
    return createContext({
      workspace,
      policy: policy({
        ...RELAXED_POLICY,
        ...opts.input,
        store: { ...opts.input?.store, ...store },
      }),
      deps: { env, ...opts.deps },
    });
  }

  async stop(): Promise<void> {
    await closeStores();
    for (const c of this.#cleanups.splice(0)) c();
    await this.server?.stop();
  }
}
