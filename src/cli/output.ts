import { writeSync } from "node:fs";
import { escapeControlChars } from "../base/terminal.js";
import type { StatusObject } from "../core/status.js";
import { toErrorStatus } from "../runtime/error-status.js";

/**
 * Results go to stdout as exactly one document; logs go to stderr. Whatever a task, a host or a
 * config put in the text (ESC, BEL, C1: terminal escapes) is shown escaped, never sent raw: the
 * output may land on a terminal. JSON stays the same JSON.
 */
export function printJson(value: unknown): void {
  writeStdout(`${escapeControlChars(JSON.stringify(value))}\n`);
}

export function printLine(text: string): void {
  writeStdout(`${escapeControlChars(text)}\n`);
}

/**
 * Writes to fd 1 directly. Merely touching process.stdout builds a stream (for a pipe: net,
 * streams and their helpers), about 2 ms of a 30 ms heartbeat check. On Linux process.stdout is
 * synchronous for files, pipes and terminals, so output order is the same either way. A
 * non-blocking stdout inherited from the parent can refuse a write (EAGAIN); the rest then goes
 * through process.stdout, which waits for the reader.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The reader went away (`| head`): nobody is left to tell, so no stack trace either.
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw err;
    process.stdout.write(bytes.subarray(offset));
  }
}

/** Exit codes: 0 READY/DEFERRED/NO_TASKS and successful commands, 1 ERROR, 2 usage errors. */
export function exitCodeFor(status: StatusObject): number {
  return status.status === "ERROR" ? 1 : 0;
}

/** Reports a failed command: JSON on stdout with --json, a readable line on stderr otherwise. */
export function reportFailure(err: unknown, json: boolean): number {
  const status = toErrorStatus(err);
  if (json) printJson(status);
  else
    process.stderr.write(`task-manager: ${status.code}: ${escapeControlChars(status.message)}\n`);
  return 1;
}
