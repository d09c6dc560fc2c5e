import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorCode } from "../base/errors.js";
import { toErrorStatus } from "../runtime/error-status.js";

/** Refusals of the HTTP layer itself (the queue's own codes come from TaskManagerError). */
export type HttpErrorCode =
  | "E_UNAUTHORIZED"
  | "E_CROSS_SITE"
  | "E_NOT_FOUND"
  | "E_METHOD_NOT_ALLOWED"
  | "E_BAD_HOST"
  | "E_BUSY";

/** Headers every answer carries: nothing is cached, nothing is sniffed, no Referer leaves (a URL may hold the token). */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: HttpErrorCode | ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { status: "ERROR", code, message }, headers);
}

/** HTTP status for a queue operation's failure: the code decides, never the message. */
const STATUS_FOR: Partial<Record<ErrorCode, number>> = {
  E_TASK_NOT_FOUND: 404,
  E_INVALID_STATE: 409,
  E_INVALID_INPUT: 400,
  E_PROMPT_TOO_LARGE: 413,
  E_QUEUE_TOO_LARGE: 507,
  E_LOCKED: 503,
  E_STALE_WRITE: 503,
  E_LOCK_COMPROMISED: 503,
};

export function sendFailure(res: ServerResponse, err: unknown): void {
  const status = toErrorStatus(err);
  sendJson(res, STATUS_FOR[status.code] ?? 500, status);
}

/** Largest request body read: a 64 KiB prompt, JSON-escaped, fits. */
export const MAX_BODY_BYTES = 512 * 1024;

export class BodyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Reads a JSON object body, refusing anything larger than MAX_BODY_BYTES without reading the rest. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new BodyError("E_PROMPT_TOO_LARGE", `Request body over ${MAX_BODY_BYTES} bytes.`, 413);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BodyError("E_INVALID_INPUT", "Request body is not JSON.", 400);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new BodyError("E_INVALID_INPUT", "Request body must be a JSON object.", 400);
  return value as Record<string, unknown>;
}
