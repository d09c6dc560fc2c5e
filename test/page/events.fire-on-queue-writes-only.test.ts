import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContext } from "../../src/runtime/context.js";
import { createPageHandler, type PageHandler } from "../../src/page/handler.js";
import { runCli, tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
let server: Server;
let handler: PageHandler;
let base: string;
const ws = (): string => path.join(t.dir, "ws");
const env = (): NodeJS.ProcessEnv => ({ HOME: path.join(t.dir, "home") });

beforeEach(async () => {
  t = tempDir();
  mkdirSync(ws());
  const ctx = await createContext({ workspace: ws(), deps: { env: env() } });
  handler = createPageHandler({ context: async () => ctx, auth: { kind: "host" } });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  handler.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.cleanup();
});

/** An open event stream and everything it has received so far. */
async function openStream(): Promise<{
  text: () => string;
  res: IncomingMessage;
  close: () => void;
}> {
  let text = "";
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    request(`${base}/task-manager/api/events`, resolve).on("error", reject).end(),
  );
  res.setEncoding("utf8");
  res.on("data", (c: string) => (text += c));
  await waitFor(() => text.includes(": connected"), 2000);
  return { text: () => text, res, close: () => res.destroy() };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

const changes = (text: string): number => text.split("event: change").length - 1;

describe("server-sent events: one per queue change, none otherwise", () => {
  it("a write by another process (the CLI) reaches an open page, even when the queue's folder did not exist yet", async () => {
    const stream = await openStream();
    expect(stream.res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(runCli(["add", "first", "-w", ws()], { env: env() }).code).toBe(0); // creates memory/ and the file
    expect(await waitFor(() => changes(stream.text()) === 1, 5000)).toBe(true);
    expect(runCli(["add", "second", "-w", ws()], { env: env() }).code).toBe(0);
    expect(await waitFor(() => changes(stream.text()) === 2, 5000)).toBe(true);
    stream.close();
  });

  it("other files in the queue's folder (the agent's memory notes) and reads of the queue send nothing", async () => {
    runCli(["add", "first", "-w", ws()], { env: env() });
    const stream = await openStream();
    writeFileSync(path.join(ws(), "memory", "2026-11-28.md"), "notes\n");
    runCli(["list", "-w", ws()], { env: env() });
    await new Promise((r) => setTimeout(r, 600));
    expect(changes(stream.text())).toBe(0);
    stream.close();
  });

  it("the stream is GET only", async () => {
    const status = await new Promise<number>((resolve) =>
      request(`${base}/task-manager/api/events`, { method: "POST" }, (r) =>
        resolve(r.statusCode ?? 0),
      ).end(),
    );
    expect(status).toBe(405);
  });
});
