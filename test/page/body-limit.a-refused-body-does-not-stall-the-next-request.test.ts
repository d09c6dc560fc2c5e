import { mkdirSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPageHandler, type PageHandler } from "../../src/page/handler.js";
import { MAX_BODY_BYTES } from "../../src/page/http.js";
import { createContext } from "../../src/runtime/context.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Found by the page API fuzz test (issue 16): a body over the limit is refused before it is
 * read to the end, and its unread rest stayed on the kept-alive socket, so the client's next
 * request on that connection hung until the server's keep-alive timeout reset it.
 */
const TOKEN = "test-token-0123456789";
const quiet = { info() {}, warn() {}, error() {} };

let t: { dir: string; cleanup: () => void };
let server: Server;
let handler: PageHandler;
let base: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(body: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/task-manager/api/tasks`,
      {
        method: "POST",
        agent,
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "X-Task-Manager-Action": "1",
          "Content-Type": "application/json",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
        );
      },
    );
    req.setTimeout(4000, () => req.destroy(new Error("no answer within 4 s")));
    req.on("error", reject);
    req.end(body);
  });
}

beforeEach(async () => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "ws"));
  const ctx = await createContext({
    workspace: path.join(t.dir, "ws"),
    deps: { env: { HOME: t.dir }, logger: quiet },
  });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://${host}`;
  handler = createPageHandler({
    context: async () => ctx,
    auth: { kind: "token", token: TOKEN, cookieName: "task_manager_token_test" },
    allowedHosts: [host],
    logger: quiet,
  });
  server.on("request", (req, res) => void handler(req, res));
});

afterEach(async () => {
  handler.close();
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.cleanup();
});

describe("page API body limit", () => {
  it("a body over the limit is 413 with Connection: close, and the next request on the same agent is answered", async () => {
    const big = await post(JSON.stringify({ prompt: "y".repeat(4 * MAX_BODY_BYTES) }));
    const next = await post(JSON.stringify({ prompt: "after the big one" }));
    expect(next.status).toBe(200);
    expect(big).toEqual({ status: 413, connection: "close" });
  });
});
