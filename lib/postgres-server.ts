import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A throwaway, real PostgreSQL server for tests and the bench: initdb'ed in a temp folder, run as
 * the `postgres` OS user (the server refuses to run as root), listening on 127.0.0.1 only, with
 * its Unix socket inside its own folder so it never meets a system server. No fake engines: the
 * store's claims (durability across restarts and crashes, row locks between connections) are
 * only worth something against the real thing.
 */
export interface PgServer {
  /** postgres://tm_app:<pw>@127.0.0.1:<port>/taskmanager: a non-superuser, password (SCRAM) auth. */
  url: string;
  /** postgres://postgres:<pw>@127.0.0.1:<port>/postgres: the superuser, password auth over TCP too. */
  superuserUrl: string;
  port: number;
  dataDir: string;
  /** The server's stderr (appended across restarts): read it when something went wrong. */
  logFile: string;
  /** Fast shutdown (pg_ctl stop -m fast), then removes the folder (a log given outside it stays). */
  stop(): Promise<void>;
  /** Fast shutdown and start again on the same port, data kept. */
  restart(): Promise<void>;
  /** SIGKILLs the postmaster and its backends (a crash: no shutdown checkpoint); start() recovers. */
  kill(): Promise<void>;
  /** Starts the server again after kill() (crash recovery runs); no-op while it runs. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000; // the machine may be loaded (a 2-core box running other tests)
const NEEDED = ["initdb", "postgres", "pg_ctl", "psql", "pg_isready"];
const SOCKET_MAX = 107; // sun_path is 108 bytes on Linux, NUL included
const PREFIX = "tm-pg-";

/** The bin folder of the newest PostgreSQL found (pg_config --bindir first), or null. */
export function postgresAvailable(): string | null {
  const complete = (dir: string) =>
    NEEDED.every((b) => {
      try {
        accessSync(path.join(dir, b), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  try {
    const dir = execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (dir && complete(dir)) return dir;
  } catch {
    // no pg_config on PATH (it comes with libpq-dev, not with the server)
  }
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (complete(dir)) return dir;
    }
  } catch {
    // no Debian-style install
  }
  return null;
}

/** Who the server runs as: the `postgres` user when we are root, ourselves otherwise. */
interface Identity {
  uid?: number;
  gid?: number;
}

function serverIdentity(): Identity {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) =>
      Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: "pipe" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(
      "PostgreSQL refuses to run as root, and there is no `postgres` OS user to run it as. " +
        "Debian's postgresql package creates it (apt-get install -y postgresql); " +
        "or create one: useradd --system --user-group --home-dir /var/lib/postgresql postgres",
    );
  }
}

/** True when `dir` and every folder above it can be entered by uid/gid (else initdb fails). */
function traversable(dir: string, who: Identity): boolean {
  if (who.uid === undefined) return true;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = statSync(d);
    const ok =
      st.uid === who.uid ? st.mode & 0o100 : st.gid === who.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!ok) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** The folder to make ours in: os.tmpdir(), or /tmp when postgres can't reach it or the socket path would be too long. */
function baseDir(who: Identity): string {
  const tmp = os.tmpdir();
  // mkdtemp adds 6 characters; then /sock/.s.PGSQL.65535
  const fits = (b: string) => path.join(b, `${PREFIX}XXXXXX`, "sock", ".s.PGSQL.65535").length;
  if (fits(tmp) <= SOCKET_MAX && traversable(tmp, who)) return tmp;
  return "/tmp";
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The state letter of a pid (R, S, Z…) from /proc, or null when there is no such process. */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state = "", ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

/** A zombie counts as gone: PID 1 in these containers reaps orphans late, and a zombie holds no shared memory. */
function alive(pid: number): boolean {
  const st = procStat(pid);
  return st !== null && st.state !== "Z" && st.state !== "X";
}

/**
 * SIGKILLs a postmaster and the backends it forked, and returns their pids. Not a group kill:
 * every backend setsid()s into a process group of its own. The postmaster is SIGSTOPped first
 * so it cannot fork one we would miss; left behind, a backend keeps the shared memory attached
 * and a new postmaster refuses to start beside it.
 */
function killServer(pid: number): number[] {
  try {
    process.kill(pid, "SIGSTOP");
  } catch {
    return [];
  }
  const pids = [pid];
  for (const p of readdirSync("/proc")) {
    if (/^\d+$/.test(p) && procStat(Number(p))?.ppid === pid) pids.push(Number(p));
  }
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Servers this process started and has not stopped: SIGKILLed on exit, never left running. */
const live = new Map<number, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [pid, root] of live) {
      killServer(pid);
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    }
  });
}

/**
 * Removes servers left by a test process that died without its exit hook (SIGKILL, OOM): a
 * folder of ours whose owner pid is gone. Its postmaster is killed only if its command line
 * names that folder's data dir, so a reused pid is never hit.
 */
function reapOrphans(base: string): void {
  let entries: string[];
  try {
    entries = readdirSync(base).filter((e) => e.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const root = path.join(base, e);
    try {
      const owner = Number(readFileSync(path.join(root, "owner.pid"), "utf8"));
      if (!owner || alive(owner)) continue;
      const dataDir = path.join(root, "data");
      try {
        const pid = Number(
          readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0],
        );
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        if (cmd.includes(dataDir)) killServer(pid);
      } catch {
        // not running
      }
      rmSync(root, { recursive: true, force: true });
    } catch {
      // no owner file (being created right now by someone), or not ours to touch
    }
  }
}

function tail(file: string, from = 0): string {
  try {
    return readFileSync(file, "utf8").slice(from).split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts a fresh server (initdb + start + a `taskmanager` database and `tm_app` role). Takes
 * `port` (default: a free one, retried if another process grabs it first) and `log` (default:
 * inside the temp folder; give a path outside it to keep the log after stop()).
 */
export async function startPostgres(opts: { port?: number; log?: string } = {}): Promise<PgServer> {
  const bin = postgresAvailable();
  if (bin === null) {
    throw new Error(
      "PostgreSQL not found: no pg_config --bindir with initdb, and no /usr/lib/postgresql/*/bin " +
        "(install it: apt-get install -y postgresql)",
    );
  }
  const who = serverIdentity();
  const base = baseDir(who);
  reapOrphans(base);
  installExitHook();

  const root = mkdtempSync(path.join(base, PREFIX));
  const dataDir = path.join(root, "data");
  const sockDir = path.join(root, "sock");
  const logFile = opts.log ? path.resolve(opts.log) : path.join(root, "server.log");
  writeFileSync(path.join(root, "owner.pid"), String(process.pid));
  mkdirSync(sockDir, { mode: 0o700 });
  if (who.uid !== undefined && who.gid !== undefined) {
    chownSync(root, who.uid, who.gid);
    chownSync(sockDir, who.uid, who.gid);
  }

  // Everything runs as the server user, from a folder it owns, with none of our PG* variables.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", LANG: "C", HOME: root };
  const as = { ...who, cwd: root, env };
  const run = (name: string, args: string[], timeout = READY_TIMEOUT_MS) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        path.join(bin, name),
        args,
        { ...as, timeout, encoding: "utf8" },
        (err, out, errOut) =>
          err ? reject(new Error(`${name} failed: ${err.message}\n${out}${errOut}`)) : resolve(out),
      );
    });

  let port = opts.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let removed = false;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  // Polls rather than awaiting the 'exit' event: the child is unref'd (a forgotten server must
  // not keep a test process alive), so a bare await on it would let Node exit mid-wait.
  const reaped = async (ms: number) => {
    for (const deadline = Date.now() + ms; running() && Date.now() < deadline; ) await sleep(20);
    return !running();
  };
  const writeConf = () =>
    // Read via `include` from postgresql.conf; rewritten when a free port turned out taken.
    writeFileSync(
      path.join(dataDir, "tm-server.conf"),
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${sockDir}'`,
        "max_connections = 200",
        "shared_buffers = '128MB'",
        // Kept on: the tests prove durability across restarts and crashes.
        "fsync = on",
        "synchronous_commit = on",
        "full_page_writes = on",
        "password_encryption = 'scram-sha-256'",
        "logging_collector = off",
        "log_line_prefix = '%m [%p] '",
        "",
      ].join("\n"),
    );

  const cleanup = () => {
    if (child?.pid !== undefined && running()) killServer(child.pid);
    if (child?.pid !== undefined) live.delete(child.pid);
    if (!removed) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    removed = true;
  };

  /**
   * Spawns `postgres` itself (argv, no shell: pg_ctl's -o would go through sh) and waits until it
   * accepts connections. Not detached: it stays in our process group, so a Ctrl-C of the test
   * run reaches it too (SIGINT is a fast shutdown).
   */
  const launch = async () => {
    const logStart = (() => {
      try {
        return statSync(logFile).size;
      } catch {
        return 0;
      }
    })();
    const fd = openSync(logFile, "a");
    const proc = spawn(path.join(bin, "postgres"), ["-D", dataDir], {
      ...as,
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    proc.unref();
    let gone: string | null = null;
    proc.once("exit", (code, signal) => {
      gone = `exited (${signal ?? code})`;
      if (proc.pid !== undefined) live.delete(proc.pid);
    });
    proc.once("error", (e) => {
      gone = `could not be spawned: ${e.message}`;
    });
    if (proc.pid !== undefined) live.set(proc.pid, root);
    child = proc;

    // Ready = postmaster.pid written by this very process (a SIGKILLed one leaves its own,
    // saying "ready") says "ready", then a TCP probe of the listener the app will use.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (gone) throw new PgStartError(`postgres ${gone}`, tail(logFile, logStart));
      if (Date.now() > deadline) {
        if (proc.pid !== undefined) killServer(proc.pid);
        throw new PgStartError("postgres not ready in 120 s", tail(logFile, logStart));
      }
      let lines: string[] = [];
      try {
        lines = readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
      } catch {
        // not written yet
      }
      if (Number(lines[0]) === proc.pid && lines[7]?.trim() === "ready") {
        try {
          await run(
            "pg_isready",
            ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "10"],
            15_000,
          );
          return;
        } catch {
          // listener not answering yet
        }
      }
      await sleep(50);
    }
  };

  const shutdown = async () => {
    if (!running()) return;
    await run("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "120"], 150_000);
    await reaped(10_000); // pg_ctl returns once postmaster.pid is gone, a moment before the exit
    child = null;
  };

  try {
    await run("initdb", [
      "-D",
      dataDir,
      "--auth=trust",
      "--username=postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-instructions",
    ]);
    // The superuser may come in over the socket without a password (this module's own setup);
    // everything over TCP, the app's connections, must present a SCRAM password.
    writeFileSync(
      path.join(dataDir, "pg_hba.conf"),
      "local all postgres trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    writeFileSync(path.join(dataDir, "postgresql.conf"), "\ninclude 'tm-server.conf'\n", {
      flag: "a",
    });
    for (let attempt = 1; ; attempt++) {
      writeConf();
      try {
        await launch();
        break;
      } catch (e) {
        // Another process may take the free port between our probe and the server's bind.
        const taken = e instanceof PgStartError && /could not bind|already in use/i.test(e.log);
        if (!taken || opts.port !== undefined || attempt >= 5) throw e;
        port = await freePort();
      }
    }
    const appPw = randomBytes(18).toString("hex");
    const suPw = randomBytes(18).toString("hex");
    const sql = [
      `ALTER ROLE postgres PASSWORD '${suPw}'`,
      `CREATE ROLE tm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${appPw}'`,
      "CREATE DATABASE taskmanager",
      // The app creates its own schema; CONNECT and TEMP come with PUBLIC's defaults.
      "GRANT CREATE ON DATABASE taskmanager TO tm_app",
    ];
    const psql = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sockDir, "-p", String(port)];
    await run("psql", [
      ...psql,
      "-U",
      "postgres",
      "-d",
      "postgres",
      ...sql.flatMap((s) => ["-c", s]),
    ]);

    return {
      url: `postgres://tm_app:${appPw}@127.0.0.1:${port}/taskmanager`,
      superuserUrl: `postgres://postgres:${suPw}@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      logFile,
      async stop() {
        if (removed) return;
        try {
          await shutdown();
        } finally {
          cleanup();
        }
      },
      async restart() {
        await shutdown();
        await launch();
      },
      async kill() {
        const pid = child?.pid;
        if (pid === undefined || !running()) return;
        // Its backends too: like a machine crash (minus the page cache), and nothing left that
        // would stop start() from running crash recovery.
        const pids = killServer(pid);
        await reaped(10_000);
        for (const deadline = Date.now() + 10_000; pids.some(alive) && Date.now() < deadline; ) {
          await sleep(20);
        }
        child = null;
      },
      async start() {
        if (removed) throw new Error("this server was stopped and its folder removed");
        if (running()) return;
        await launch();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** A failed start, with the server log's new lines (why it failed is in there). */
class PgStartError extends Error {
  readonly log: string;
  constructor(message: string, log: string) {
    super(`${message}\n--- server log ---\n${log}`);
    this.log = log; // a plain field, not a parameter property: Node's type stripping runs this file as is
  }
}
