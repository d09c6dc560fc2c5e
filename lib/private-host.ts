import { createServer } from "node:net";

/**
 * The environment of a private OpenClaw host, shared by the bench's gateway and the e2e
 * harness: its own state and config, the gateway token, and nothing the host would start
 * around a gateway that a throwaway one must not (a respawning supervisor, chat channels,
 * Bonjour adverts, a snapshot of the user's shell for the exec tool).
 */
export function privateOpenclawEnv(
  stateDir: string,
  configPath: string,
  token: string,
): Record<string, string> {
  return {
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_GATEWAY_TOKEN: token,
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_SKIP_CHANNELS: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_EXEC_SHELL_SNAPSHOT: "0",
  };
}

/** A loopback port free right now, for a private gateway (the bench's and the e2e harness's). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
