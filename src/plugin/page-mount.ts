import { randomBytes } from "node:crypto";
import type { Context } from "../runtime/context.js";
import { NO_TASKS } from "../core/views.js";
import type { AgentTab } from "../runtime/page-view.js";
import { createPageHandler, DEFAULT_BASE_PATH, type PageHandler } from "../page/handler.js";
import { gatewayPort } from "./gateway-port.js";
import type { GatewayMethodOptions, PluginApi } from "./host-api.js";
import { processState } from "./process-state.js";

/** The Control UI address of the tab (`/<slug>`): one segment, not a native route, not our own route. */
export const TAB_SLUG = "task-queue";

/**
 * The page's key: random, one per gateway process (OpenClaw registers the plugin several times
 * per process; a reload keeps it), never derived from or shown next to the gateway token.
 */
function pageKey(): string {
  const state = processState();
  state.pageKey ??= randomBytes(24).toString("base64url");
  return state.pageKey;
}

export interface PageDeps {
  kind: "openclaw" | "clawdbot";
  /** One agent's queue (none named: the primary agent's). */
  context(agent?: string): Promise<Context>;
  /** The agents served, in the gateway's order. */
  agents(): string[];
  mainBusy(agent?: string): boolean;
  nextCheckAt(): number | null;
}

/** Each served agent with its counts, for the page's agent filter. */
async function agentTabs(deps: PageDeps): Promise<AgentTab[]> {
  return Promise.all(
    deps.agents().map(async (id) => {
      try {
        const { counts } = await (await deps.context(id)).store.read(NO_TASKS);
        return { id, counts, error: null };
      } catch (err) {
        return { id, counts: null, error: (err as Error).message };
      }
    }),
  );
}

export interface MountedPage {
  /** The direct URL, key included (returned only to an authenticated gateway client). */
  url(): string;
  /** Ends open event streams and stops watching the queue (service stop, plugin reload). */
  close(): void;
}

/**
 * The status page on the gateway's own HTTP server, behind a key of ours rather than the
 * gateway's auth. Why (seen on OpenClaw 2026.9.6 with Chromium 156; INTEGRATION.md "Status page"):
 * a browser navigation carries no `Authorization`, so an `auth: "gateway"` route answers a person
 * 401; in the Control UI such a tab gets a cookie grant that is GET/HEAD-only (no retry, no pause),
 * and the tab's sandboxed frame has an opaque origin whose own requests (script, stylesheet,
 * fetch, event stream) carry no cookie under the browser's default third-party-cookie policy.
 * So on OpenClaw the route is `auth: "plugin"` and the tab's path carries the key; the tab is
 * shown only to connections with operator.write, which may run agents anyway. Clawdbot has no
 * route auth at all (its handlers see every request unauthenticated) and no tabs.
 */
export function mountPage(api: PluginApi, deps: PageDeps): MountedPage | null {
  const key = pageKey();
  const port = gatewayPort(deps.kind, api.config);
  const cli = deps.kind === "openclaw" ? "openclaw" : "clawdbot";
  const handler: PageHandler = createPageHandler({
    context: deps.context,
    // Cookies ignore ports: the name keeps this gateway's apart from serve's and other gateways'.
    auth: { kind: "token", token: key, cookieName: `task_manager_gateway_${port}` },
    agents: () => agentTabs(deps),
    mainBusy: deps.mainBusy,
    nextCheckAt: deps.nextCheckAt,
    unauthorizedHint:
      deps.kind === "openclaw"
        ? `Open the Task queue tab in the Control UI (/${TAB_SLUG}), or the URL \`${cli} gateway call task-manager.page\` prints.`
        : `Open the URL \`${cli} gateway call task-manager.page\` prints.`,
    logger: api.logger,
  });
  if (deps.kind === "openclaw" && api.registerHttpRoute) {
    api.registerHttpRoute({ path: DEFAULT_BASE_PATH, auth: "plugin", match: "prefix", handler });
    api.session?.controls?.registerControlUiDescriptor?.({
      surface: "tab",
      id: "task-manager",
      label: "Task queue",
      description:
        "task-manager: what waits and why, what runs, history and spend; retry, pause, add.",
      icon: "list",
      group: "control",
      path: `${DEFAULT_BASE_PATH}/?token=${key}`,
      slug: TAB_SLUG,
      requiredScopes: ["operator.write"],
    });
  } else if (deps.kind === "clawdbot" && api.registerHttpHandler) {
    // Its registerHttpRoute matches one exact path; the page is several, so a handler that
    // answers only under /task-manager and leaves every other request to the gateway.
    api.registerHttpHandler(handler);
  } else {
    handler.close();
    return null;
  }
  return {
    url: () => `http://127.0.0.1:${port}${DEFAULT_BASE_PATH}/?token=${key}`,
    close: () => handler.close(),
  };
}

/** `task-manager.page`: the page's direct URL, for an operator whose browser is not in the Control UI. */
export function pageMethod(page: MountedPage | null) {
  return ({ respond }: GatewayMethodOptions): void => {
    if (page)
      respond(true, {
        url: page.url(),
        note: "The key in this URL opens the queue's page and its actions; treat it like the gateway token.",
      });
    else
      respond(false, undefined, {
        code: "E_NOT_SERVED",
        message: "This host offers plugins no HTTP routes; run `task-manager serve` for the page.",
      });
  };
}
