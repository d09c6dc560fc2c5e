import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TaskManagerError } from "../base/errors.js";
import type { Context } from "../runtime/context.js";
import type { Logger } from "../runtime/deps.js";
import { createPageHandler, DEFAULT_BASE_PATH, type PageHandler } from "./handler.js";

/** Addresses `serve` binds to: loopback only. The page changes the queue; it is not for the network. */
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * A client that sends its request slowly (slowloris) holds a socket, not the queue: its headers
 * must arrive within 10 s and its whole request (a body included) within 30 s, else Node answers
 * 408 and closes it. Node's own defaults are 60 s and 300 s, checked every 30 s; this page's
 * requests are small and local. An open event stream is a response, not a request: unaffected.
 */
export const SLOW_CLIENT_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
} as const;

export interface ServeOptions {
  context: Context;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  logger: Logger;
}

export interface Serving {
  url: string;
  server: Server;
  handler: PageHandler;
  close(): Promise<void>;
}

/**
 * The status page on loopback behind a random token, for hosts or modes without plugin routes.
 * The token travels in the printed URL once; the page trades it for an HttpOnly cookie.
 */
export async function servePage(opts: ServeOptions): Promise<Serving> {
  const host = opts.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) {
    throw new TaskManagerError(
      "E_INVALID_INPUT",
      `serve binds to loopback only (127.0.0.1, ::1 or localhost), not "${host}": the page can change the queue.`,
      { host },
    );
  }
  const token = randomBytes(24).toString("base64url");
  const server = createServer(SLOW_CLIENT_LIMITS);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new TaskManagerError(
          "E_INVALID_INPUT",
          `Cannot listen on ${host}:${opts.port ?? 0}: ${err.code ?? err.message}.`,
          { host, port: opts.port ?? 0 },
        ),
      ),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "::1" ? "[::1]" : host;
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const handler = createPageHandler({
    context: () => Promise.resolve(opts.context),
    // Cookies ignore ports: the name keeps two serve processes on one machine apart.
    auth: { kind: "token", token, cookieName: `task_manager_token_${port}` },
    allowedHosts,
    logger: opts.logger,
  });
  server.on("request", (req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(302, { Location: `${DEFAULT_BASE_PATH}/`, "Cache-Control": "no-store" });
        res.end();
      }
    });
  });
  return {
    url: `http://${urlHost}:${port}${DEFAULT_BASE_PATH}/?token=${token}`,
    server,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
