import { closeSync, constants, fstatSync, openSync, promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { isTaskManagerError, TaskManagerError } from "../../base/errors.js";
import { fsFailure } from "../../base/fs-errors.js";
import { crashPoint } from "../../base/faults.js";
import { contentHash, MAX_QUEUE_BYTES, revisionFromHead } from "./codec.js";

/** The file as read: bytes (null if missing) and the revision marker for the stale-write check. */
export interface RawQueueFile {
  bytes: Buffer | null;
  marker: number | "legacy" | "missing" | null;
}

/**
 * Reads the queue without following a symlink; refuses non-regular and oversized files.
 * Synchronous on purpose: a small local file, and a heartbeat check that never touches libuv's
 * thread pool never pays for starting it (a few ms of every check's wall time). O_NONBLOCK
 * keeps a FIFO planted at the path from hanging the open.
 */
export async function readRaw(file: string): Promise<RawQueueFile> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { bytes: null, marker: "missing" };
    if (code === "ELOOP")
      throw new TaskManagerError(
        "E_UNSAFE_PATH",
        `${file} is a symbolic link; task-manager refuses to follow it. Replace it with a regular file.`,
        { file },
      );
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new TaskManagerError("E_UNSAFE_PATH", `${file} is not a regular file; move it away.`, {
        file,
      });
    if (stat.size > MAX_QUEUE_BYTES) {
      throw new TaskManagerError(
        "E_QUEUE_TOO_LARGE",
        `Queue file ${file} is ${stat.size} bytes, above the ${MAX_QUEUE_BYTES}-byte limit. It was not read or changed; purge done/dead tasks or move it away.`,
        { file, size: stat.size },
      );
    }
    const bytes = readFileSync(fd);
    return { bytes, marker: revisionFromHead(bytes.subarray(0, 64).toString("utf8")) };
  } finally {
    closeSync(fd);
  }
}

async function currentMarker(file: string): Promise<RawQueueFile["marker"]> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    return revisionFromHead(head.subarray(0, bytesRead).toString("utf8"));
  } finally {
    await handle.close();
  }
}

export interface PublishGuard {
  /** The marker the writer read; the file must still carry it right before the rename. */
  expected: RawQueueFile["marker"];
  lockLost: () => boolean;
}

function lockLostError(file: string): TaskManagerError {
  return new TaskManagerError(
    "E_LOCK_COMPROMISED",
    `Lost the queue lock on ${file} while working (process paused?); the change was discarded, the queue is unchanged. Run the command again.`,
    { file },
  );
}

/**
 * write-file-atomic does not check how much each write wrote: on a full disk it "succeeds" with
 * a truncated file. Fewer bytes on disk than written is that full disk (or quota), so it is
 * named as one.
 */
function shortWrite(file: string, onDisk: number, written: number): TaskManagerError {
  return new TaskManagerError(
    "E_DISK_FULL",
    `The disk (or quota) holding the queue ${file} is full: a short write left ${onDisk} of ${written} bytes on disk. Free some space and run the command again; the previous queue file was left as it was.`,
    { file, errno: "short write" },
  );
}

export function stagingPrefix(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.staged-`);
}

/**
 * Publishes new queue bytes: write-file-atomic writes (and fsyncs) a staging file; we read it
 * back and compare every byte, because write-file-atomic does not check short writes (on a
 * full disk it "succeeds" with a truncated file). Then, right before the rename, the lock and
 * the on-disk revision are checked again, so a writer that lost the lock cannot overwrite newer
 * data. The previous file stays in place until the rename, so any failure leaves it intact.
 */
export async function publish(file: string, bytes: Buffer, guard: PublishGuard): Promise<void> {
  // A file over the read cap could never be read back: every later command, even `remove`,
  // would fail. Refuse the change instead and keep the queue usable.
  if (bytes.length > MAX_QUEUE_BYTES) {
    throw new TaskManagerError(
      "E_QUEUE_TOO_LARGE",
      `This change would make the queue ${file} ${bytes.length} bytes, above the ${MAX_QUEUE_BYTES}-byte limit; it was not written. Remove or purge done/dead tasks first.`,
      { file, size: bytes.length },
    );
  }
  const staged = `${stagingPrefix(file)}${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    try {
      // Loaded on first write: an idle heartbeat check writes nothing.
      const { default: writeFileAtomic } = await import("write-file-atomic");
      await writeFileAtomic(staged, bytes, { mode: 0o600, fsync: true });
      const back = await fs.readFile(staged);
      if (!back.equals(bytes)) throw shortWrite(file, back.length, bytes.length);
    } catch (err) {
      if (isTaskManagerError(err)) throw err;
      // Permission, read-only, full disk: each its own code, saying what to do.
      const named = fsFailure(err, "the queue", file);
      if (named) throw named;
      throw new TaskManagerError(
        "E_WRITE_FAILED",
        `Could not write the queue next to ${file}: ${(err as Error).message}. The previous queue file was left as it was; check the disk and retry.`,
        { file },
      );
    }
    crashPoint("after_stage");
    if (guard.lockLost()) throw lockLostError(file);
    const marker = await currentMarker(file);
    if (marker !== guard.expected) {
      throw new TaskManagerError(
        "E_STALE_WRITE",
        `Queue ${file} changed since it was read (revision ${String(guard.expected)} → ${String(marker)}); the change was discarded. Run the command again.`,
        { file },
      );
    }
    // Again, as late as possible: a holder frozen before the marker read may have lost the lock
    // to a process that has not written yet, so the marker alone cannot tell.
    if (guard.lockLost()) throw lockLostError(file);
    await fs.rename(staged, file);
  } finally {
    await fs.rm(staged, { force: true });
  }
  await fsyncDir(path.dirname(file));
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes staging files left by a crashed writer. Call only while holding the lock. */
export async function sweepStaged(file: string): Promise<number> {
  const prefix = path.basename(stagingPrefix(file));
  const dir = path.dirname(file);
  let removed = 0;
  for (const name of await fs.readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    await fs.rm(path.join(dir, name), { force: true });
    removed += 1;
  }
  return removed;
}

/** Keeps a copy of an unreadable queue beside it (named by content hash, so once per content). */
export async function quarantine(file: string, bytes: Buffer): Promise<string> {
  const copy = `${file}.corrupt-${contentHash(bytes)}`;
  try {
    await fs.writeFile(copy, bytes, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return copy;
}
