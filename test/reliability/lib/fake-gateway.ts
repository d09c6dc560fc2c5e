import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import type { SpawnRequest, Spawner } from "../../../dist/runtime/dispatch.js";

/**
 * A recording stand-in for the gateway's `sessions.patch` + `agent` pair, close enough to the
 * real one for crash tests: every call is appended to spawns.log (O_APPEND, one line, so a
 * SIGKILL never leaves half a record), a repeated idempotency key starts no second run (as the
 * real gateway), and a started run gets a sessions.json entry and a finished transcript, so
 * task-manager's "already spawned?" check and its settle step see what they would see on a host.
 * One writer at a time per state dir (the crash tests dispatch serially per workspace).
 */
export class FakeGateway implements Spawner {
  readonly #sessionsDir: string;
  readonly #root: string;
  readonly #finish: boolean;

  /** `finish: false`: runs start and never answer (a run still going when its gateway froze). */
  constructor(stateDir: string, agentId = "main", finish = true) {
    this.#finish = finish;
    this.#root = path.join(stateDir, "fake-gateway");
    this.#sessionsDir = path.join(stateDir, "agents", agentId, "sessions");
    mkdirSync(path.join(this.#root, "runs"), { recursive: true });
    mkdirSync(this.#sessionsDir, { recursive: true });
  }

  async spawn(request: SpawnRequest): Promise<{ runId: string | null }> {
    appendLine(
      path.join(this.#root, "spawns.log"),
      JSON.stringify({ ...request, prompt: undefined, pid: process.pid, at: Date.now() }),
    );
    const runId = `run-${request.idempotencyKey.replace(/[^a-z0-9]/gi, "_")}`;
    const marker = path.join(this.#root, "runs", runId);
    createExclusive(
      marker,
      JSON.stringify({ taskId: request.taskId, model: request.model, prompt: request.prompt }),
    );
    // A run exists once its marker does; like a real run it (re)writes its session as it goes,
    // so a process killed between marker and transcript still leaves a finished run behind.
    const sessionId = `s-${runId}`;
    const transcript = [
      { type: "message", message: { role: "user", content: request.prompt } },
      ...(this.#finish
        ? [{ type: "message", message: { role: "assistant", content: "done", stopReason: "stop" } }]
        : []),
    ];
    writeFileSync(
      path.join(this.#sessionsDir, `${sessionId}.jsonl`),
      `${transcript.map((l) => JSON.stringify(l)).join("\n")}\n`,
    );
    this.#patchStore(request.sessionKey, {
      sessionId,
      updatedAt: Date.now(),
      model: request.model,
      label: request.label,
    });
    return { runId };
  }

  #patchStore(key: string, entry: Record<string, unknown>): void {
    const file = path.join(this.#sessionsDir, "sessions.json");
    const store = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
      : {};
    store[key] = entry;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(store));
    renameSync(tmp, file);
  }
}

export interface GatewayRecord {
  /** Calls of spawn(), including repeats the gateway deduplicated. */
  calls: {
    taskId: string;
    attempt: number;
    idempotencyKey: string;
    model: string;
    pid: number;
    at: number;
  }[];
  /** Runs really started, one per idempotency key. */
  runs: { runId: string; taskId: string; model: string; prompt: string }[];
}

export function readGatewayRecord(stateDir: string): GatewayRecord {
  const root = path.join(stateDir, "fake-gateway");
  const log = path.join(root, "spawns.log");
  const calls = existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as GatewayRecord["calls"][number])
    : [];
  const runsDir = path.join(root, "runs");
  const runs = existsSync(runsDir)
    ? readdirSync(runsDir)
        .filter((n) => !n.endsWith(".tmp"))
        .map((runId) => ({
          runId,
          ...(JSON.parse(readFileSync(path.join(runsDir, runId), "utf8")) as Omit<
            GatewayRecord["runs"][number],
            "runId"
          >),
        }))
    : [];
  return { calls, runs };
}

export function appendLine(file: string, line: string): void {
  const fd = openSync(file, "a");
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Creates `file` with its content in one step (link fails if it exists), so a kill never leaves it empty. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
