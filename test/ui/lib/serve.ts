import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { CLI } from "../../helpers/cli.js";

export interface Served {
  /** The one URL serve printed (with the token). */
  url: string;
  /** The URL without the token. */
  base: string;
  token: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 5 s, so nothing is left running). */
  stop(): Promise<number | null>;
}

/** Runs the real `task-manager serve` and waits for the URL line on stdout. */
export async function startServe(workspace: string, env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "serve", "-w", workspace], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    return child.exitCode;
  };
  const deadline = Date.now() + 20_000;
  while (!out.includes("\n")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`serve printed no URL (exit ${child.exitCode}):\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = out.split("\n")[0]!.trim();
  const parsed = new URL(url);
  const token = parsed.searchParams.get("token") ?? "";
  parsed.search = "";
  return { url, base: parsed.href, token, child, stderr: () => err, stop };
}

/**
 * The end of a page test: closes the browser, stops serve and removes the test's folder, each
 * step even when an earlier one throws, so no browser or server outlives the test. Resolves to
 * serve's exit code (0: it stopped cleanly on SIGTERM).
 */
export async function closeAll(parts: {
  browser: { close(): Promise<void> } | null;
  served: Served | null;
  cleanup: () => void;
}): Promise<number | null | undefined> {
  let code: number | null | undefined;
  try {
    await parts.browser?.close();
  } finally {
    try {
      code = await parts.served?.stop();
    } finally {
      parts.cleanup();
    }
  }
  return code;
}
