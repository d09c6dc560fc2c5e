import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../src/runtime/context.js";
import { SLOW_CLIENT_LIMITS, servePage, type Serving } from "../../src/page/server.js";
import { tempDir } from "../helpers/cli.js";

/**
 * A program on loopback that opens connections to `serve` and sends its request a byte at a
 * time (slowloris) is cut off once the header limit passes, with 408; the page keeps answering
 * others meanwhile. Real `servePage`, real sockets.
 */
const quiet = { info() {}, warn() {}, error() {} };
let t: { dir: string; cleanup: () => void };
let serving: Serving;

beforeAll(async () => {
  t = tempDir();
  mkdirSync(path.join(t.dir, "ws"));
  const context = await createContext({
    workspace: path.join(t.dir, "ws"),
    deps: { env: { HOME: t.dir }, logger: quiet },
  });
  serving = await servePage({ context, logger: quiet });
});

afterAll(async () => {
  await serving?.close();
  t?.cleanup();
});

/** Opens a socket that sends the start of a request, then one header byte a second until closed. */
function trickle(port: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => {
      socket.write("GET /task-manager/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    });
    const drip = setInterval(() => socket.write("a"), 1000);
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(drip);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
    setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error("the slow client was still connected after 40 s"));
    }, 40_000);
  });
}

describe("serve: slow clients", () => {
  it("a request whose headers never finish is answered 408 and closed after the header limit", async () => {
    const port = Number(new URL(serving.url).port);
    const slow = Promise.all([trickle(port), trickle(port), trickle(port)]);
    // Others are served while the slow ones hang on.
    const url = new URL(serving.url);
    const res = await fetch(`${url.origin}/task-manager/api/view`, {
      headers: { Authorization: `Bearer ${url.searchParams.get("token")}` },
    });
    expect(res.status).toBe(200);
    for (const { closedAfterMs, answer } of await slow) {
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(closedAfterMs).toBeGreaterThanOrEqual(SLOW_CLIENT_LIMITS.headersTimeout - 100);
    }
  }, 60_000);
});
