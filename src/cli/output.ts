import type { StatusObject } from "../core/status.js";
import { toErrorStatus } from "../runtime/errors.js";

/** Results go to stdout as exactly one document; logs go to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Exit codes: 0 READY/DEFERRED/NO_TASKS and successful commands, 1 ERROR, 2 usage errors. */
export function exitCodeFor(status: StatusObject): number {
  return status.status === "ERROR" ? 1 : 0;
}

/** Reports a failed command: JSON on stdout with --json, a readable line on stderr otherwise. */
export function reportFailure(err: unknown, json: boolean): number {
  const status = toErrorStatus(err);
  if (json) printJson(status);
  else process.stderr.write(`task-manager: ${status.code}: ${status.message}\n`);
  return 1;
}
