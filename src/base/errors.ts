/** Stable error codes: scripts match on these, never on message text. */
export const ERROR_CODES = [
  "E_CONFIG_INVALID",
  "E_CONFIG_UNREADABLE",
  "E_CONFIG_CODE",
  "E_QUEUE_CORRUPT",
  "E_QUEUE_TOO_LARGE",
  "E_LOCKED",
  "E_LOCK_COMPROMISED",
  "E_STALE_WRITE",
  "E_WRITE_FAILED",
  "E_WOULD_CORRUPT",
  "E_PERMISSION",
  "E_READ_ONLY",
  "E_DISK_FULL",
  "E_UNSAFE_PATH",
  "E_TASK_NOT_FOUND",
  "E_INVALID_STATE",
  "E_INVALID_INPUT",
  "E_PROMPT_TOO_LARGE",
  "E_METADATA_TOO_LARGE",
  "E_WORKSPACE",
  "E_SPAWN_FAILED",
  "E_MODEL_UNAVAILABLE",
  "E_NODE_VERSION",
  "E_HOST_UNSUPPORTED",
  "E_LEASE_LOST",
  "E_STORE_UNAVAILABLE",
  "E_STORE_NOT_EMPTY",
  "E_STORE_SCHEMA",
  "E_INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure with a stable code and a message that says what, where and what to do. */
export class TaskManagerError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "TaskManagerError";
    this.code = code;
    this.details = details;
  }
}

/**
 * Checked by shape, not by class: a host may load a lazily imported module (a host adapter)
 * through a different loader than the one that loaded this file, and then the same error
 * class exists twice and `instanceof` says no to an error of our own.
 */
export function isTaskManagerError(err: unknown): err is TaskManagerError {
  if (err instanceof TaskManagerError) return true;
  if (!(err instanceof Error) || err.name !== "TaskManagerError") return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}
