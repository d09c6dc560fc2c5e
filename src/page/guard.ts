import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Who may talk to the status page.
 * - `token`: a random key of our own — what both shipped mounts use (`task-manager serve`, and
 *   the page in a gateway: page-mount.ts says why not the gateway's auth) — from
 *   `Authorization: Bearer`, the `?token=` query (the printed URL, the Control UI tab's frame),
 *   or the cookie a top-level visit trades the query for.
 * - `host`: the host already authenticated the request (for a mount behind a host's own auth;
 *   no shipped mount is).
 */
export type PageAuth = { kind: "host" } | { kind: "token"; token: string; cookieName: string };

/**
 * The header every action must carry. A page on another origin can send it only after a CORS
 * preflight. With our own key (`token` auth) the handler grants that preflight — the Control UI's
 * sandboxed frame needs it — but without credentials, so such a request carries no cookie and
 * must present the key itself (header or query). With the host's auth no preflight is granted.
 */
export const ACTION_HEADER = "x-task-manager-action";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Compares in constant time (over digests, so lengths do not leak either). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Every value of the cookie `name`, decoded. Any program on 127.0.0.1 may set cookies for it
 * (cookies do not keep ports apart), so there may be several of that name, and some not ours:
 * each is tried, and one that does not decode (`%E0%A4%A`) is passed over, not an error.
 */
function cookieValues(req: IncomingMessage, name: string): string[] {
  const values: string[] = [];
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      values.push(decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // malformed: not one we set (we set encodeURIComponent of our key)
    }
  }
  return values;
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

export function checkToken(req: IncomingMessage, url: URL, auth: PageAuth): TokenCheck {
  if (auth.kind === "host") return { ok: true, via: "host" };
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ") && sameSecret(header.slice(7).trim(), auth.token))
    return { ok: true, via: "header" };
  if (cookieValues(req, auth.cookieName).some((value) => sameSecret(value, auth.token)))
    return { ok: true, via: "cookie" };
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
    // public one. It is trusted for this comparison only — the Origin of a request whose
    // credential was ambient (the cookie, the host's auth) — never for the Host check against DNS
    // rebinding (hostAllowed), for building URLs, or as a credential. That is safe because a
    // browser page cannot set it: it is not among the headers a preflight allows, and a
    // cross-origin request that carries the cookie cannot be sent at all (the preflight grants no
    // credentials). A non-browser client can set it, but such a client is no cross-site attacker:
    // it has the cookie or key itself, or it gets 401 before this point.
    const served = [req.headers.host, req.headers["x-forwarded-host"]]
      .flatMap((h) => (typeof h === "string" ? h.split(",") : []))
      .map((h) => h.trim().toLowerCase());
    if (!served.includes(originHost)) return `request came from another origin (${origin})`;
  }
  return null;
}
