import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Who may talk to the status page.
 * - `host`: the host already authenticated the request (a route behind the host's own auth).
 * - `token`: a random key of our own (`task-manager serve`, or the page in a gateway), from
 *   `Authorization: Bearer`, the `?token=` query (the printed URL, the Control UI tab's frame),
 *   or the cookie a top-level visit trades the query for.
 */
export type StatusAuth = { kind: "host" } | { kind: "token"; token: string; cookieName: string };

/** The header every action must carry. A cross-origin page cannot send it without a CORS preflight, which is never granted. */
export const ACTION_HEADER = "x-task-manager-action";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Compares in constant time (over digests, so lengths do not leak either). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** Where a presented token came from; `query` on a top-level visit means: trade it for a cookie. */
export type TokenVia = "host" | "header" | "cookie" | "query";
export type TokenCheck = { ok: true; via: TokenVia } | { ok: false };

/**
 * A request that carries the key itself (header or query) cannot be forged by another site: a
 * browser never attaches either on its own, so whoever sent it knew the key. Only the cookie (and
 * the host's own auth, which may be a cookie or network identity) is ambient.
 */
export const carriesKey = (via: TokenVia): boolean => via === "header" || via === "query";

export function checkToken(req: IncomingMessage, url: URL, auth: StatusAuth): TokenCheck {
  if (auth.kind === "host") return { ok: true, via: "host" };
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ") && sameSecret(header.slice(7).trim(), auth.token))
    return { ok: true, via: "header" };
  const fromCookie = cookie(req, auth.cookieName);
  if (fromCookie !== null && sameSecret(fromCookie, auth.token)) return { ok: true, via: "cookie" };
  const fromQuery = url.searchParams.get("token");
  if (fromQuery !== null && sameSecret(fromQuery, auth.token)) return { ok: true, via: "query" };
  return { ok: false };
}

/**
 * A request's Host must be one we serve under (defeats DNS rebinding: a hostile name resolved to
 * 127.0.0.1 arrives with that name as its Host). Null: any host (the gateway checks its own).
 */
export function hostAllowed(req: IncomingMessage, allowedHosts: readonly string[] | null): boolean {
  if (allowedHosts === null) return true;
  const host = (req.headers.host ?? "").toLowerCase();
  return allowedHosts.includes(host);
}

/**
 * Why a state-changing request is refused as possibly cross-site, or null when it may go ahead.
 * Browsers mark every request with Sec-Fetch-Site and Origin; a script on another origin can make
 * a browser send a POST (a form, or fetch in no-cors mode) and the browser adds cookies, but it
 * cannot add a custom header without a preflight. So an action needs: the custom header, a JSON
 * body, and — when the credential was ambient (cookie, host auth) and the browser says where the
 * request came from — this very origin. A request that carries the key itself is exempt from the
 * origin check: the Control UI runs the page in a sandboxed frame whose origin is opaque
 * (`Origin: null`, `Sec-Fetch-Site: cross-site`), and the key is the proof.
 */
export function crossSiteRefusal(req: IncomingMessage, via: TokenVia): string | null {
  if (req.headers[ACTION_HEADER] !== "1")
    return `actions need the header ${ACTION_HEADER}: 1 (sent by the status page itself)`;
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json")
    return "actions take a JSON body (Content-Type: application/json)";
  if (carriesKey(via)) return null;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `request came from another site (Sec-Fetch-Site: ${String(site)})`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      return `unreadable Origin "${origin}"`;
    }
    // Behind a reverse proxy the Host may be rewritten; the proxy's X-Forwarded-Host names the
    // public one. A cross-site page cannot set either on a request that gets this far (the
    // custom header above already forced a preflight).
    const served = [req.headers.host, req.headers["x-forwarded-host"]]
      .flatMap((h) => (typeof h === "string" ? h.split(",") : []))
      .map((h) => h.trim().toLowerCase());
    if (!served.includes(originHost)) return `request came from another origin (${origin})`;
  }
  return null;
}
