/**
 * Reads the task-manager section of HEARTBEAT.md the way an agent would: which command to run,
 * which tool to call with which arguments, what to run after it, what to reply. The scripted
 * heartbeat agent (heartbeat-agent.ts) acts on what this returns — so if the document's
 * commands, placeholders or tool names change, the end-to-end test follows the new text or
 * fails on it, instead of silently testing a script of its own.
 */

export interface HeartbeatInstructions {
  /** The whole section, as pasted (SKILL_DIR already replaced). */
  text: string;
  /** Step 1: the command that prints the status object. */
  check: string;
  /** Step 2: the tool to call on READY… */
  spawnTool: string;
  /** …with these arguments: tool parameter → path in the status object ("recommendation.model"). */
  spawnArgs: Array<[param: string, path: string]>;
  /**
   * When the host offers the spawn tool only as a deferred tool: the wrapper to call it through
   * (`{id: spawnTool, args}`), and where in the wrapper's result the spawn's own result is.
   */
  deferred: { tool: string; result: string } | undefined;
  /** The spawn result's `status` that means "it started". */
  acceptedStatus: string;
  /** After an accepted spawn; `<placeholders>` name paths in the status object or the spawn result. */
  ack: string;
  /** After a refused spawn (a heredoc: the error text goes on stdin). */
  fail: string;
  /** The reply when nothing else needs attention. */
  okReply: string;
}

/** The section's heading: where it starts in HEARTBEAT.md and in whatever the host shows the model. */
export const SECTION_HEADING = "## task-manager: resume queued tasks";

/** The section of our HEARTBEAT.md that users paste, with SKILL_DIR replaced as its first lines say. */
export function pasteableSection(heartbeatMd: string, skillDir: string): string {
  const start = heartbeatMd.indexOf(SECTION_HEADING);
  if (start < 0) throw new Error(`HEARTBEAT.md has no "${SECTION_HEADING}" section`);
  return heartbeatMd.slice(start).replaceAll("SKILL_DIR", skillDir);
}

/** Parses the instructions out of text that contains the section; throws naming what is missing. */
export function readInstructions(text: string): HeartbeatInstructions {
  const start = text.indexOf(SECTION_HEADING);
  if (start < 0) throw new Error(`the text has no "${SECTION_HEADING}" section`);
  const section = text.slice(start);
  // Commands are inline code spans, or fenced blocks (a heredoc spans lines): both are read.
  const blocks = [...section.matchAll(/^```[a-z]*\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
  const inline = [...section.replace(/^```[a-z]*\n[\s\S]*?\n```$/gm, "").matchAll(/`([^`]+)`/g)];
  const spans = [...inline.map((m) => m[1]!), ...blocks];
  const command = (verb: string): string => {
    const found = spans.find((s) => new RegExp(`/skill/task-manager ${verb}\\b`).test(s));
    if (!found)
      throw new Error(`HEARTBEAT.md section names no \`…/skill/task-manager ${verb}\` command`);
    return found;
  };
  const spawnTool = /call `(\w+)`/.exec(section)?.[1];
  const acceptedStatus = /`status: "(\w+)"`/.exec(section)?.[1];
  const okReply = /reply `([A-Z_]+)`/.exec(section)?.[1];
  const spawnArgs = [...section.matchAll(/^\s*- `(\w+)`: `([\w.]+)`/gm)].map(
    (m): [string, string] => [m[1]!, m[2]!],
  );
  const deferredTool = /through `(\w+)`/.exec(section)?.[1];
  const deferredResult = /result is then `([\w.]+)`/.exec(section)?.[1];
  const deferred =
    deferredTool && deferredResult ? { tool: deferredTool, result: deferredResult } : undefined;
  if (!spawnTool || !acceptedStatus || !okReply || spawnArgs.length === 0) {
    throw new Error(
      `HEARTBEAT.md section is missing ${!spawnTool ? "the spawn tool" : !acceptedStatus ? "the accepted status" : !okReply ? "the OK reply" : "the spawn arguments"}`,
    );
  }
  return {
    text: section,
    check: command("check"),
    spawnTool,
    spawnArgs,
    deferred,
    acceptedStatus,
    ack: command("ack"),
    fail: command("fail"),
    okReply,
  };
}

/** A value at a dotted path ("recommendation.model") of a parsed JSON object. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Fills a command's `<placeholders>` from the sources, first match wins ("<task.id>" → the status
 * object's task.id, "<runId>" → the spawn result's runId). A placeholder nothing answers is an
 * error: an agent could not run that command either.
 */
export function fill(template: string, sources: unknown[]): string {
  return template.replace(/<([^<>]+)>/g, (_, path: string) => {
    const key = path === "the error" ? "error" : path;
    for (const source of sources) {
      const value = at(source, key);
      if (typeof value === "string" || typeof value === "number") return String(value);
    }
    throw new Error(`nothing the agent has answers the placeholder <${path}> in \`${template}\``);
  });
}
