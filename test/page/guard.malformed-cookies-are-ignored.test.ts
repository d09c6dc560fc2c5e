import { mkdirSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPageHandler, type PageHandler } from "../../src/page/handler.js";
import { createContext } from "../../src/runtime/context.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 6: any program on 127.0.0.1 can set cookies for it (cookies do not keep ports
 * apart). A malformed `task_manager_*` cookie made decodeURIComponent throw and the page answer
 * 500 E_INTERNAL; and only the first cookie of the name was tried. Now a malformed one is
 * passed over and each one of the name is tried.
 */
const TOKEN = "cookie-test-token-0123456789";
const COOKIE = "task_manager_gateway_18789";
const quiet = { info() {}, warn() {}, error() {} };
let t: ReturnType<typeof tempDir>;
let server: Server;
let handler: PageHandler;
let host: string;

beforeAll(async () => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "home"));
  const ctx = await createContext({
    workspace: t.dir,
    deps: { env: { HOME: path.join(t.dir, "home") }, logger: quiet },
  });
  handler = createPageHandler({
    context: async () => ctx,
    auth: { kind: "token", token: TOKEN, cookieName: COOKIE },
    logger: quiet,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  handler.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.cleanup();
});

const get = (cookie: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      `http://${host}/task-manager/api/view`,
      { headers: { Cookie: cookie } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });

describe("a planted cookie cannot break the page", () => {
  it("a malformed cookie of our name alone: 401 (not signed in), never a 500", async () => {
    for (const bad of ["%E0%A4%A", "%", "%ZZ", "%uD800"]) {
      const r = await get(`${COOKIE}=${bad}`);
      expect(r.status, bad).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ code: "E_UNAUTHORIZED" });
    }
  });

  it("a malformed or wrong cookie before ours does not hide ours: every cookie of the name is tried", async () => {
    expect((await get(`${COOKIE}=%E0%A4%A; ${COOKIE}=${TOKEN}`)).status).toBe(200);
    expect((await get(`${COOKIE}=not-the-key; other=1; ${COOKIE}=${TOKEN}`)).status).toBe(200);
    expect((await get(`${COOKIE}=${encodeURIComponent(TOKEN)}`)).status).toBe(200);
  });
});
