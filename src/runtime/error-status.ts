import { isTaskManagerError } from "../base/errors.js";
import type { ErrorStatus } from "../core/status.js";

/** Any failure as an ERROR status object: nothing thrown ever reaches the caller or the host. */
export function toErrorStatus(err: unknown): ErrorStatus {
  if (isTaskManagerError(err)) {
    return {
      status: "ERROR",
      code: err.code,
      message: err.message,
      ...(Object.keys(err.details).length > 0 ? { details: err.details } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: "ERROR",
    code: "E_INTERNAL",
    message: `Unexpected failure: ${message}. Run \`task-manager doctor\` and report this with its output.`,
  };
}
