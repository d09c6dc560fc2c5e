import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContext } from "../../src/runtime/context.js";
import { createPageHandler, type PageHandler } from "../../src/page/handler.js";
import { cliJson, tempDir } from "../helpers/cli.js";

const TOKEN = "test-token-0123456789";
const COOKIE = "task_manager_token_test";
const quiet = { info() {}, warn() {}, error() {} };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let t: { dir: string; cleanup: () => void };
let server: Server;
let handler: PageHandler;
let base: string;
let host: string;
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });
const queueFile = (): string => path.join(t.dir, "ws", "memory", "pending_tasks.json");
const readQueue = (): {
  revision: number;
  paused: boolean;
  tasks: Array<{ id: string; state: string; priority: number; prompt: string; source: string }>;
} => JSON.parse(readFileSync(queueFile(), "utf8"));
const cli = <T = Record<string, unknown>>(args: string[]): T =>
  cliJson<T>([...args, "-w", path.join(t.dir, "ws"), "--json"], { env: env() }).body;

function ask(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${pathAndQuery}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const action = { ...auth, "X-Task-Manager-Action": "1", "Content-Type": "application/json" };
const post = (
  p: string,
  body: unknown = {},
  headers: Record<string, string> = action,
): Promise<Answer> => ask("POST", p, headers, JSON.stringify(body));

beforeEach(async () => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "ws"));
  mkdirSync(path.join(t.dir, "home"));
  const ctx = await createContext({
    workspace: path.join(t.dir, "ws"),
    deps: { env: env(), logger: quiet },
  });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  base = `http://${host}`;
  handler = createPageHandler({
    context: async () => ctx,
    auth: { kind: "token", token: TOKEN, cookieName: COOKIE },
    allowedHosts: [host],
    logger: quiet,
  });
  server.on(
    "request",
    (req, res) =>
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      }),
  );
});

afterEach(async () => {
  handler.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.cleanup();
});

describe("status handler: who may ask", () => {
  it("401 without the token, on the page, the API and the event stream", async () => {
    for (const p of ["/task-manager/", "/task-manager/api/view", "/task-manager/api/events"]) {
      const r = await ask("GET", p);
      expect(r.status, p).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ code: "E_UNAUTHORIZED" });
    }
    expect(
      (await ask("GET", "/task-manager/api/view", { Authorization: "Bearer wrong" })).status,
    ).toBe(401);
  });

  it("the printed URL's ?token= is traded for an HttpOnly SameSite cookie and dropped from the address", async () => {
    const r = await ask("GET", `/task-manager/?token=${TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe("/task-manager/");
    const cookie = String(r.headers["set-cookie"]);
    expect(cookie).toContain(`${COOKIE}=${TOKEN}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await ask("GET", "/task-manager/", { Cookie: `${COOKIE}=${TOKEN}` });
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body).toContain("<title>task-manager</title>");
  });

  it("the script and stylesheet are the package's static code: served without the token (a sandboxed frame's requests carry none)", async () => {
    for (const [p, type] of [
      ["/task-manager/app.js", "text/javascript"],
      ["/task-manager/style.css", "text/css"],
    ] as const) {
      const r = await ask("GET", p);
      expect(r.status, p).toBe(200);
      expect(r.headers["content-type"]).toContain(type);
      expect(r.body).not.toContain(TOKEN);
    }
    expect((await ask("POST", "/task-manager/app.js")).status).toBe(405);
  });

  it("a frame that loads the page with ?token= keeps it (no cookie, no redirect); a top-level visit trades it", async () => {
    const framed = await ask("GET", `/task-manager/?token=${TOKEN}`, {
      "Sec-Fetch-Dest": "iframe",
    });
    expect(framed.status).toBe(200);
    expect(framed.headers["set-cookie"]).toBeUndefined();
    expect(framed.body).toContain("<title>task-manager</title>");
    expect(
      (await ask("GET", `/task-manager/?token=${TOKEN}`, { "Sec-Fetch-Dest": "document" })).status,
    ).toBe(303);
    expect(
      (await ask("GET", `/task-manager/?token=wrong`, { "Sec-Fetch-Dest": "iframe" })).status,
    ).toBe(401);
  });

  it("the API answers any origin that presents the key (CORS), never with credentials; preflights are answered", async () => {
    const r = await ask("GET", "/task-manager/api/view", { ...auth, Origin: "null" });
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe("*");
    expect(r.headers["access-control-allow-credentials"]).toBeUndefined();
    const denied = await ask("GET", "/task-manager/api/view", { Origin: "null" });
    expect([denied.status, denied.headers["access-control-allow-origin"]]).toEqual([401, "*"]);
    const preflight = await ask("OPTIONS", "/task-manager/api/tasks/t_abc/retry", {
      Origin: "null",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization,content-type,x-task-manager-action",
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-headers"]).toBe(
      "authorization, content-type, x-task-manager-action",
    );
    expect(preflight.headers["access-control-allow-credentials"]).toBeUndefined();
    // The page itself is not an API: no CORS there.
    expect(
      (await ask("GET", "/task-manager/", auth)).headers["access-control-allow-origin"],
    ).toBeUndefined();
  });

  it("a Host other than the one it serves under is refused (DNS rebinding), token or not", async () => {
    expect(
      (await ask("GET", "/task-manager/api/view", { ...auth, Host: "evil.example" })).status,
    ).toBe(421);
  });

  it("paths outside the prefix are left to the host", async () => {
    expect((await ask("GET", "/elsewhere")).status).toBe(418);
  });
});

describe("status handler: GET never changes anything; actions are guarded POSTs", () => {
  it("reading the status leaves the queue file untouched", async () => {
    cli(["add", "one"]);
    const before = statSync(queueFile(), { bigint: true });
    const r = await ask("GET", "/task-manager/api/view", auth);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ counts: { pending: 1 }, total: 1 });
    const after = statSync(queueFile(), { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
  });

  it("a POST without the action header, or from another origin or site with the cookie, is refused and changes nothing", async () => {
    cli(["add", "one"]);
    const revision = readQueue().revision;
    // The cookie is the ambient credential a cross-site page can make the browser send.
    const cookie = { Cookie: `${COOKIE}=${TOKEN}` };
    const withCookie = {
      ...cookie,
      "X-Task-Manager-Action": "1",
      "Content-Type": "application/json",
    };
    const refusals = [
      { ...cookie, "Content-Type": "application/json" }, // no custom header: what a cross-site form or no-cors fetch sends
      { ...cookie, "X-Task-Manager-Action": "1", "Content-Type": "text/plain" },
      { ...auth, "Content-Type": "application/json" }, // the key does not excuse a missing header or body type
      { ...withCookie, Origin: "http://evil.example" },
      { ...withCookie, Origin: "http://localhost:1" },
      { ...withCookie, Origin: "null" },
      { ...withCookie, "Sec-Fetch-Site": "cross-site" },
      { ...withCookie, "Sec-Fetch-Site": "same-site" },
    ];
    for (const headers of refusals) {
      const r = await post("/task-manager/api/pause", {}, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ code: "E_CROSS_SITE" });
    }
    expect((await ask("GET", "/task-manager/api/pause", auth)).status).toBe(405);
    expect(readQueue()).toMatchObject({ revision, paused: false });
    // Behind a proxy that rewrote Host, the public name it forwards is this origin too.
    const proxied = await post(
      "/task-manager/api/pause",
      {},
      { ...withCookie, Origin: "https://box.example", "X-Forwarded-Host": "box.example" },
    );
    expect(proxied.status).toBe(200);
    expect(readQueue().paused).toBe(true);
  });

  it("a request that carries the key itself may act from an opaque origin (the Control UI's sandboxed frame)", async () => {
    const framed = { ...action, Origin: "null", "Sec-Fetch-Site": "cross-site" };
    expect((await post("/task-manager/api/pause", {}, framed)).status).toBe(200);
    expect(readQueue().paused).toBe(true);
    const byQuery = {
      "X-Task-Manager-Action": "1",
      "Content-Type": "application/json",
      Origin: "null",
      "Sec-Fetch-Site": "cross-site",
    };
    expect((await post(`/task-manager/api/resume?token=${TOKEN}`, {}, byQuery)).status).toBe(200);
    expect(readQueue().paused).toBe(false);
    expect((await post("/task-manager/api/pause?token=wrong", {}, byQuery)).status).toBe(401);
  });

  it("the page's own POST (same origin) pauses, resumes, adds, reprioritises, retries and removes — in the queue file", async () => {
    const same = { ...action, Origin: base, "Sec-Fetch-Site": "same-origin" };
    expect(JSON.parse((await post("/task-manager/api/pause", {}, same)).body)).toEqual({
      status: "OK",
      paused: true,
    });
    expect(readQueue().paused).toBe(true);
    await post("/task-manager/api/resume", {}, same);
    expect(readQueue().paused).toBe(false);

    const added = JSON.parse(
      (await post("/task-manager/api/tasks", { prompt: "from the page", priority: 4 }, same)).body,
    ) as { status: string; task: { id: string } };
    expect(added.status).toBe("ADDED");
    expect(readQueue().tasks.find((x) => x.id === added.task.id)).toMatchObject({
      prompt: "from the page",
      priority: 4,
      source: "status-page",
      state: "pending",
    });
    await post(`/task-manager/api/tasks/${added.task.id}/priority`, { priority: 1 }, same);
    expect(readQueue().tasks.find((x) => x.id === added.task.id)?.priority).toBe(1);

    const dead = cli<{ task: { id: string } }>(["add", "doomed"]).task.id;
    for (let i = 0; i < 3; i++) cli(["fail", dead, "--error", "boom"]);
    expect(readQueue().tasks.find((x) => x.id === dead)?.state).toBe("dead");
    expect((await post(`/task-manager/api/tasks/${dead}/retry`, {}, same)).status).toBe(200);
    expect(readQueue().tasks.find((x) => x.id === dead)?.state).toBe("pending");

    await post(`/task-manager/api/tasks/${dead}/remove`, {}, same);
    expect(readQueue().tasks.some((x) => x.id === dead)).toBe(false);
  });

  it("a refused operation answers with the queue's own stable code and a matching HTTP status", async () => {
    const id = cli<{ task: { id: string } }>(["add", "pending one"]).task.id;
    const cases: Array<[string, unknown, number, string]> = [
      [`/task-manager/api/tasks/${id}/retry`, {}, 409, "E_INVALID_STATE"],
      ["/task-manager/api/tasks/t_nope/remove", {}, 404, "E_TASK_NOT_FOUND"],
      [`/task-manager/api/tasks/${id}/priority`, { priority: "high" }, 400, "E_INVALID_INPUT"],
      ["/task-manager/api/tasks", { prompt: "" }, 400, "E_INVALID_INPUT"],
      ["/task-manager/api/tasks", { prompt: "x".repeat(70 * 1024) }, 413, "E_PROMPT_TOO_LARGE"],
    ];
    for (const [p, body, status, code] of cases) {
      const r = await post(p, body);
      expect([r.status, JSON.parse(r.body).code], p).toEqual([status, code]);
    }
    const notJson = await ask("POST", "/task-manager/api/pause", action, "{nope");
    expect([notJson.status, JSON.parse(notJson.body).code]).toEqual([400, "E_INVALID_INPUT"]);
  });
});

describe("status handler: no secret reaches the page", () => {
  it("the gateway token and provider keys in the host config never appear in anything served", async () => {
    const state = path.join(t.dir, "home", ".clawdbot");
    mkdirSync(state, { recursive: true });
    writeFileSync(
      path.join(state, "clawdbot.json"),
      JSON.stringify({
        gateway: { auth: { token: "SECRET-GATEWAY-TOKEN" } },
        models: {
          providers: {
            fake: {
              apiKey: "SECRET-PROVIDER-KEY",
              baseUrl: "http://127.0.0.1:1/v1",
              models: [{ id: "big", cost: { input: 15, output: 75 } }],
            },
          },
        },
        agents: { defaults: { model: { primary: "fake/big" } } },
      }),
    );
    handler.close();
    const ctx = await createContext({ workspace: path.join(t.dir, "ws"), deps: { env: env() } });
    handler = createPageHandler({
      context: async () => ctx,
      auth: { kind: "token", token: TOKEN, cookieName: COOKIE },
      allowedHosts: [host],
      logger: quiet,
    });
    cli(["add", "one"]);
    const served = await Promise.all(
      ["/task-manager/api/view", "/task-manager/", "/task-manager/app.js"].map((p) =>
        ask("GET", p, auth),
      ),
    );
    const view = JSON.parse(served[0]!.body) as { history: { spend: { main_model: string } } };
    expect(view.history.spend.main_model).toBe("fake/big"); // the config was read…
    for (const r of served) {
      expect(r.status).toBe(200);
      expect(r.body).not.toContain("SECRET-GATEWAY-TOKEN"); // …and nothing secret left it
      expect(r.body).not.toContain("SECRET-PROVIDER-KEY");
    }
  });
});
