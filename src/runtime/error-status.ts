import { isTaskManagerError, type TaskManagerError } from "../base/errors.js";
import { fsFailure } from "../base/fs-errors.js";
import type { ErrorStatus } from "../core/status.js";

function asStatus(err: TaskManagerError): ErrorStatus {
  return {
    status: "ERROR",
    code: err.code,
    message: err.message,
    ...(Object.keys(err.details).length > 0 ? { details: err.details } : {}),
  };
}

/** Any failure as an ERROR status object: nothing thrown ever reaches the caller or the host. */
export function toErrorStatus(err: unknown): ErrorStatus {
  if (isTaskManagerError(err)) return asStatus(err);
  // A permission, read-only or full-disk failure that no caller named more precisely still
  // says which path and what to do: it is the user's to fix, not a bug to report.
  const path = (err as { path?: unknown } | null)?.path;
  const fs = fsFailure(err, "the path", typeof path === "string" ? path : "(unknown path)");
  if (fs) return asStatus(fs);
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: "ERROR",
    code: "E_INTERNAL",
    message: `Unexpected failure: ${message}. Run \`task-manager doctor\` and report this with its output.`,
  };
}
