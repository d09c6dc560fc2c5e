import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "../runtime/context.js";
import { stderrLogger, type Logger } from "../runtime/deps.js";
import { type AgentTab, buildPageView, type PageViewOptions } from "../runtime/page-view.js";
import { parseAction, runAction } from "./actions.js";
import { isAssetPath, loadAssets, PAGE_CSP, type AssetPath } from "./assets.js";
import { QueueEvents } from "./events.js";
import {
  ACTION_HEADER,
  checkToken,
  crossSiteRefusal,
  hostAllowed,
  type PageAuth,
  type TokenVia,
} from "./guard.js";
import {
  BASE_HEADERS,
  BodyError,
  readJsonObject,
  sendError,
  sendFailure,
  sendJson,
} from "./http.js";

export interface PageHandlerOptions extends Pick<PageViewOptions, "nextCheckAt"> {
  /**
   * The context for a request, for the agent it names (`?agent=`; none: the primary one): the
   * plugin builds one per call (config may change), serve keeps one.
   */
  context: (agent?: string) => Promise<Context>;
  /** The gateway's agents, each with its counts (plugin mode: one queue per agent); serve has none. */
  agents?: () => Promise<AgentTab[]>;
  /** Whether that agent's main session is mid-run (plugin mode); elsewhere not observed. */
  mainBusy?: (agent?: string) => boolean;
  /**
   * Who may ask: our own key (`token`: `serve`, and the page in a gateway — see page-mount.ts
   * for why not the gateway's auth), or `host` for a mount behind a host's own auth (none ships).
   */
  auth: PageAuth;
  /** URL prefix the handler answers under; other paths are left to the host (false). Default "/task-manager". */
  basePath?: string;
  /** Host header values accepted (serve: its loopback address); null = any (the gateway decides). */
  allowedHosts?: readonly string[] | null;
  /** What a 401 tells the reader to do (where the URL with the key is found). */
  unauthorizedHint?: string;
  logger?: Logger;
}

/** A plain node:http handler: true when it answered, false when the path is not ours. */
export interface PageHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends open event streams and stops watching the queue. */
  close(): void;
}

export const DEFAULT_BASE_PATH = "/task-manager";

/** An agent id as both hosts write them (the `agent` query parameter). */
const AGENT_ID = /^[a-z0-9_-]{1,64}$/i;

/**
 * What a page on another origin may send with the key (the Control UI's sandboxed frame has an
 * opaque origin). Never Access-Control-Allow-Credentials: the cookie stays same-origin only.
 */
const CORS_PREFLIGHT: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Methods": "GET, POST",
  "Access-Control-Allow-Headers": `authorization, content-type, ${ACTION_HEADER}`,
  "Access-Control-Max-Age": "600",
};

/** A top-level visit (address bar, link); a frame or a script says otherwise in Sec-Fetch-Dest. */
const topLevel = (req: IncomingMessage): boolean =>
  (req.headers["sec-fetch-dest"] ?? "document") === "document";

/**
 * The status page and its API, host-agnostic: mount it on a gateway's HTTP server (see
 * src/plugin/page-mount.ts) or on `task-manager serve`'s loopback server. GET never changes
 * anything; every change is a POST that passes the cross-site guard and runs the CLI's own
 * operation under the queue lock. With a key of our own (`token` auth), the API also answers
 * pages on other origins that present the key (CORS, without credentials): the Control UI shows
 * the page in a sandboxed frame whose origin is opaque and which carries no cookie.
 */
export function createPageHandler(options: PageHandlerOptions): PageHandler {
  const base = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, "");
  const log = options.logger ?? stderrLogger;
  const assets = loadAssets();
  // One event feed per agent's queue, each watching only while a page of that agent is open.
  const events = new Map<string, QueueEvents>();
  let closed = false;
  const eventsFor = (agent: string, ctx: Context): QueueEvents => {
    let feed = events.get(agent);
    if (!feed) {
      feed = new QueueEvents({ watch: (onChange) => ctx.store.watch(onChange) });
      events.set(agent, feed);
    }
    return feed;
  };

  function sendAsset(req: IncomingMessage, res: ServerResponse, rest: AssetPath): void {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      sendError(res, 405, "E_METHOD_NOT_ALLOWED", "Pages are GET only.", { Allow: "GET, HEAD" });
      return;
    }
    const asset = assets.get(rest)!;
    res.writeHead(200, {
      ...BASE_HEADERS,
      "Content-Type": asset.type,
      "Content-Length": String(asset.body.length),
      "Content-Security-Policy": PAGE_CSP,
    });
    res.end(method === "HEAD" ? undefined : asset.body);
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    via: TokenVia,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const rest = url.pathname.slice(base.length + 1); // after "<base>/"
    if (!rest.startsWith("api/")) {
      if (!isAssetPath(rest))
        return sendError(res, 404, "E_NOT_FOUND", `No page at ${url.pathname}.`);
      return sendAsset(req, res, rest);
    }
    const api = rest.slice(4);
    const agent = url.searchParams.get("agent") ?? undefined;
    if (agent !== undefined && !AGENT_ID.test(agent))
      return sendError(res, 400, "E_INVALID_INPUT", "agent must be an agent id such as main.");
    if (api === "view" || api === "events") {
      if (method !== "GET")
        return sendError(res, 405, "E_METHOD_NOT_ALLOWED", `${api} is GET only.`, { Allow: "GET" });
      const ctx = await options.context(agent);
      if (api === "events") {
        if (closed)
          sendError(
            res,
            503,
            "E_BUSY",
            "The status page is stopping (gateway stop or plugin reload); the page reconnects by itself.",
          );
        else if (!eventsFor(agent ?? "", ctx).attach(res))
          sendError(res, 503, "E_BUSY", "Too many open status pages; close one.");
        return;
      }
      const limit = Number(url.searchParams.get("limit") ?? "") || undefined;
      return sendJson(
        res,
        200,
        await buildPageView(ctx, {
          ...(limit ? { limit } : {}),
          ...(options.mainBusy ? { mainBusy: () => options.mainBusy!(agent) } : {}),
          ...(options.nextCheckAt ? { nextCheckAt: options.nextCheckAt } : {}),
          ...(options.agents ? { agents: await options.agents() } : {}),
        }),
      );
    }
    const action = parseAction(api);
    if (!action) return sendError(res, 404, "E_NOT_FOUND", `No API at ${url.pathname}.`);
    if (method !== "POST")
      return sendError(res, 405, "E_METHOD_NOT_ALLOWED", "Actions are POST only.", {
        Allow: "POST",
      });
    const refusal = crossSiteRefusal(req, via);
    if (refusal) {
      log.warn(`status page: refused ${method} ${url.pathname}: ${refusal}`);
      return sendError(res, 403, "E_CROSS_SITE", `Refused: ${refusal}.`);
    }
    const body = await readJsonObject(req);
    const ctx = await options.context(agent);
    sendJson(res, 200, await runAction(ctx, action, body));
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://status.invalid");
    if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;
    try {
      if (!hostAllowed(req, options.allowedHosts ?? null)) {
        sendError(
          res,
          421,
          "E_BAD_HOST",
          `This server does not answer for host "${req.headers.host ?? ""}".`,
        );
        return true;
      }
      const rest = url.pathname.slice(base.length + 1);
      const isApi = rest.startsWith("api/");
      if (options.auth.kind === "token") {
        // Only our own key authenticates here (no ambient network identity), so any origin may
        // read an answer — it needs the key to get one. Credentials are never allowed.
        if (isApi) res.setHeader("Access-Control-Allow-Origin", "*");
        if (isApi && req.method === "OPTIONS") {
          res.writeHead(204, { ...BASE_HEADERS, ...CORS_PREFLIGHT });
          res.end();
          return true;
        }
        // The script and stylesheet are the package's own static code, no data: a sandboxed
        // frame's requests for them carry no key, so they are served to anyone who reaches us.
        if (rest !== "" && isAssetPath(rest)) {
          sendAsset(req, res, rest);
          return true;
        }
      }
      const auth = checkToken(req, url, options.auth);
      if (!auth.ok) {
        sendError(
          res,
          401,
          "E_UNAUTHORIZED",
          options.unauthorizedHint ??
            "Open the URL that `task-manager serve` printed (it carries the token).",
          { "WWW-Authenticate": "Bearer" },
        );
        return true;
      }
      // A top-level visit trades the key in the URL for a cookie and drops it from the address bar
      // and history. A frame keeps it: the page reads it from its own URL and sends it as a header.
      if (
        auth.via === "query" &&
        (req.method === "GET" || req.method === "HEAD") &&
        !isApi &&
        options.auth.kind === "token" &&
        topLevel(req)
      ) {
        url.searchParams.delete("token");
        res.writeHead(303, {
          ...BASE_HEADERS,
          Location: `${url.pathname === base ? `${base}/` : url.pathname}${url.search}`,
          "Set-Cookie": `${options.auth.cookieName}=${encodeURIComponent(options.auth.token)}; Path=${base}/; HttpOnly; SameSite=Strict`,
        });
        res.end();
        return true;
      }
      if (url.pathname === base) {
        res.writeHead(308, { ...BASE_HEADERS, Location: `${base}/${url.search}` });
        res.end();
        return true;
      }
      await route(req, res, url, auth.via);
    } catch (err) {
      if (res.headersSent) res.end();
      else if (err instanceof BodyError)
        // A body refused as too large is left unread on the socket: a kept-alive connection
        // would hand its rest to the next request, which then hangs. Close it after the answer.
        sendError(
          res,
          err.status,
          err.code,
          err.message,
          err.status === 413 ? { Connection: "close" } : {},
        );
      else sendFailure(res, err);
    }
    return true;
  };
  return Object.assign(handler, {
    close: () => {
      closed = true;
      for (const feed of events.values()) feed.close();
      events.clear();
    },
  });
}
