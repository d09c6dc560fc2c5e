import { TaskManagerError } from "./errors.js";

const errno = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

const who = (): string => {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  return uid === undefined ? "this user" : `this user (uid ${uid})`;
};

/**
 * A permission, read-only or full-disk failure as its own code, naming the path and what to
 * do: each is the user's to fix, not a bug to report. Null for any other failure.
 * `what` says what the path is ("the queue"); the failing path (`err.path`) is named too.
 */
export function fsFailure(err: unknown, what: string, file: string): TaskManagerError | null {
  const code = errno(err);
  const failed = (err as { path?: unknown } | null)?.path;
  const at = typeof failed === "string" && failed !== file ? `${file} (at ${failed})` : file;
  const details = { file, errno: code, ...(typeof failed === "string" ? { path: failed } : {}) };
  switch (code) {
    case "EACCES":
    case "EPERM":
      return new TaskManagerError(
        "E_PERMISSION",
        `${who()} may not read or write ${what} ${at} (${code}). Run task-manager as the user who owns that folder, or give this user access to it (chown/chmod); nothing was changed.`,
        details,
      );
    case "EROFS":
      return new TaskManagerError(
        "E_READ_ONLY",
        `${what} ${at} is on a read-only filesystem (EROFS). Remount it read-write or point the workspace elsewhere; nothing was changed.`,
        details,
      );
    case "ENOSPC":
    case "EDQUOT":
      return new TaskManagerError(
        "E_DISK_FULL",
        `The disk (or quota) holding ${what} ${at} is full (${code}). Free some space and run the command again; the previous file was left as it was.`,
        details,
      );
    default:
      return null;
  }
}
