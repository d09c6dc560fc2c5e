/**
 * A tiny OpenAI-compatible chat-completions server for end-to-end tests.
 *
 * The host talks to it as `models.providers.fake` (api "openai-completions"), so real agent turns
 * run with no network, every request is recorded (which model was asked for, with which
 * messages), and a test decides per request whether to answer, rate-limit (429) or fail (500).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  role: string;
  content: unknown;
  /** On an assistant message: the tool calls it made (OpenAI shape). */
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  /** On a tool message: which call this is the result of. */
  tool_call_id?: string;
}

export interface ProviderRequest {
  /** The model id as sent on the wire (without the `fake/` provider prefix). */
  model: string;
  messages: ChatMessage[];
  /** Names of the tools the host offered the model in this request. */
  tools: string[];
  stream: boolean;
  at: number;
  /** When its answer was sent in full (or the connection closed); unset while it is answered. */
  endedAt?: number;
}

/** A function call the model asks for (OpenAI `tool_calls`). */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type Reply =
  | { kind: "text"; text: string; delayMs?: number }
  | { kind: "tool"; calls: ToolCall[]; delayMs?: number }
  /** `headers` are sent as well (e.g. a `retry-after` in seconds); they replace the default retry-after-ms. */
  | { kind: "error"; status: number; message: string; headers?: Record<string, string> };

/** Decides the reply for one request; `index` counts requests since start (0-based). */
export type Behaviour = (req: ProviderRequest, index: number) => Reply;

export const answer =
  (text = "Done.", delayMs?: number): Behaviour =>
  () =>
    delayMs === undefined ? { kind: "text", text } : { kind: "text", text, delayMs };

/** Asks for tool calls; the host runs them and sends the results in the next request. */
export const callTools =
  (calls: ToolCall[], delayMs?: number): Behaviour =>
  () =>
    delayMs === undefined ? { kind: "tool", calls } : { kind: "tool", calls, delayMs };

/** Tool results the host sent back in this request (role "tool"), newest last. */
export function toolResults(req: ProviderRequest): string[] {
  return req.messages
    .filter((m) => m.role === "tool")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
}

export const fail =
  (status = 429): Behaviour =>
  () => ({
    kind: "error",
    status,
    message: status === 429 ? "rate limited" : "internal error",
  });

/**
 * A provider whose quota is spent until `resetAtMs`: 429 with the reset time named in the error
 * body, then `then`. Only the body carries it: a long `retry-after` header would make the SDK
 * inside the host sleep through it in-run.
 */
export const rateLimitedUntil =
  (resetAtMs: () => number, then: Behaviour = answer()): Behaviour =>
  (req, i) => {
    const at = resetAtMs();
    if (at <= Date.now()) return then(req, i);
    // A quota window, stated as its reset time: OpenClaw paces in-run retries by "try again in N"
    // hints (and would wait the reset out inside the run), not by a quota window's reset time.
    return {
      kind: "error",
      status: 429,
      message: `rate limited: your quota resets at ${new Date(at).toISOString()}`,
    };
  };

/** Fails the next `n` requests with `status`, then behaves like `then`. */
export function failNext(n: number, status = 429, then: Behaviour = answer()): Behaviour {
  let left = n;
  return (req, i) => (left-- > 0 ? fail(status)(req, i) : then(req, i));
}

/** Fails while `flag()` is true (e.g. "the provider is rate-limited right now"). */
export const failWhile =
  (flag: () => boolean, status = 429, then: Behaviour = answer()): Behaviour =>
  (req, i) =>
    flag() ? fail(status)(req, i) : then(req, i);

export interface FakeProvider {
  /** e.g. http://127.0.0.1:PORT/v1 — what `models.providers.fake.baseUrl` must be. */
  baseUrl: string;
  requests: ProviderRequest[];
  setBehaviour(b: Behaviour): void;
  close(): Promise<void>;
}

export interface FakeProviderOptions {
  behaviour?: Behaviour;
  /**
   * Sent as `retry-after-ms` on 429/500. The OpenAI SDK inside the host honours it (instead of its
   * 0.5–8 s back-off), so failure tests stay fast; set undefined to test the SDK's default waits.
   */
  retryAfterMs?: number;
}

export async function startFakeProvider(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  let behaviour = opts.behaviour ?? answer();
  const requests: ProviderRequest[] = [];
  const retryAfterMs = "retryAfterMs" in opts ? opts.retryAfterMs : 1;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await readBody(req)) as Partial<Omit<ProviderRequest, "tools">> & {
      tools?: Array<{ function?: { name?: string } }>;
    };
    const entry: ProviderRequest = {
      model: String(body.model),
      messages: body.messages ?? [],
      tools: (body.tools ?? []).map((t) => String(t.function?.name)),
      stream: body.stream === true,
      at: Date.now(),
    };
    requests.push(entry);
    res.once("close", () => {
      entry.endedAt = Date.now();
    });
    const reply = behaviour(entry, requests.length - 1);
    if (reply.kind === "error") {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (reply.headers) Object.assign(headers, reply.headers);
      else if (retryAfterMs !== undefined) headers["retry-after-ms"] = String(retryAfterMs);
      res.writeHead(reply.status, headers);
      res.end(
        JSON.stringify({
          error: { message: reply.message, type: "fake_error", code: reply.status },
        }),
      );
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    const message: AssistantMessage =
      reply.kind === "tool"
        ? toolMessage(reply.calls, requests.length)
        : { role: "assistant", content: reply.text };
    if (entry.stream) streamMessage(res, entry.model, message);
    else
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(completion(entry.model, message)));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    setBehaviour: (b) => {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: Array<{
    id: string;
    type: "function";
    function: { name: string; arguments: string };
  }>;
}

function toolMessage(calls: ToolCall[], n: number): AssistantMessage {
  return {
    role: "assistant",
    content: null,
    tool_calls: calls.map((c, i) => ({
      id: `call_${n}_${i}`,
      type: "function",
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    })),
  };
}

const finishReason = (m: AssistantMessage): string => (m.tool_calls ? "tool_calls" : "stop");

function completion(model: string, message: AssistantMessage): object {
  return {
    id: `chatcmpl-fake-${Date.now()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason(message) }],
    usage,
  };
}

/** SSE in the shape the OpenAI SDK parses: role+content (or tool calls) chunk, finish chunk, usage chunk, [DONE]. */
function streamMessage(res: ServerResponse, model: string, message: AssistantMessage): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const base = {
    id: `chatcmpl-fake-${Date.now()}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const send = (payload: object): boolean =>
    res.write(`data: ${JSON.stringify({ ...base, ...payload })}\n\n`);
  const delta = message.tool_calls
    ? {
        role: "assistant",
        content: null,
        tool_calls: message.tool_calls.map((c, index) => ({ index, ...c })),
      }
    : { role: "assistant", content: message.content };
  send({ choices: [{ index: 0, delta, finish_reason: null }] });
  send({ choices: [{ index: 0, delta: {}, finish_reason: finishReason(message) }] });
  send({ choices: [], usage });
  res.end("data: [DONE]\n\n");
}
