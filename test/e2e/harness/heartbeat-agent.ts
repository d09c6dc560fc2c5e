/**
 * A scripted model that does what the task-manager section of HEARTBEAT.md says, through the
 * tools the host really offers, reading the instructions from the request the host sent it.
 *
 * Main-session heartbeat turn: exec the check command → READY: call the spawn tool with the
 * recommended arguments → exec ack (or fail) with what the spawn returned → reply the OK token.
 * Anything other than READY: reply the OK token. A sub-agent run of the queued task answers
 * `childAnswer`. Every other turn (a completion announce, …) stays silent.
 *
 * What it could not do — instructions missing from the request, a tool the host did not offer,
 * a tool result that is not the JSON the documents promise — lands in `problems` and ends the
 * turn with a visible alert, so the test fails saying which step broke.
 */
import type { Behaviour, ChatMessage, ProviderRequest, Reply } from "./fake-provider.js";
import {
  at,
  fill,
  readInstructions,
  SECTION_HEADING,
  type HeartbeatInstructions,
} from "./heartbeat-instructions.js";

export type TurnKind = "heartbeat" | "child" | "other";

export interface TurnRecord {
  kind: TurnKind;
  /** The model id the host sent on the wire (without the provider prefix). */
  model: string;
  at: number;
}

export interface HeartbeatAgent {
  behaviour: Behaviour;
  /** Every exec command it ran, in order. */
  commands: string[];
  /** The arguments of every spawn-tool call. */
  spawnCalls: Array<Record<string, unknown>>;
  /** Parsed spawn results and status objects, in the order they came back. */
  spawnResults: unknown[];
  statuses: unknown[];
  /** Raw text of every tool result, for reports. */
  rawResults: Array<{ tool: string; text: string }>;
  turns: TurnRecord[];
  /** Heartbeat turns that ended with the OK reply. */
  finishedHeartbeats(): number;
  problems: string[];
}

/** The exec tool's name on both hosts (OpenClaw also accepts `bash` as an alias). */
export const EXEC_TOOL = "exec";
/** How the exec tool reports a command that exited non-zero. */
const EXIT_FAILED = /exited with code [1-9]/i;

export function heartbeatAgent(opts: { childPrompt: string; childAnswer: string }): HeartbeatAgent {
  const agent: Omit<HeartbeatAgent, "behaviour" | "finishedHeartbeats"> = {
    commands: [],
    spawnCalls: [],
    spawnResults: [],
    statuses: [],
    rawResults: [],
    turns: [],
    problems: [],
  };
  let finished = 0;

  const problem = (what: string): Reply => {
    agent.problems.push(what);
    return { kind: "text", text: `task-manager heartbeat could not continue: ${what}` };
  };
  const ok = (instructions: HeartbeatInstructions): Reply => {
    finished += 1;
    return { kind: "text", text: instructions.okReply };
  };
  const exec = (req: ProviderRequest, command: string): Reply => {
    if (!req.tools.includes(EXEC_TOOL))
      return problem(`the host offered no ${EXEC_TOOL} tool (offered: ${req.tools.join(", ")})`);
    agent.commands.push(command);
    return { kind: "tool", calls: [{ name: EXEC_TOOL, arguments: { command } }] };
  };

  /**
   * Calls a tool directly when the host offers it, else through the deferred-tool wrapper the
   * instructions name (OpenClaw's tool search lists most tools in the system prompt only).
   */
  const callTool = (
    req: ProviderRequest,
    instructions: HeartbeatInstructions,
    name: string,
    args: Record<string, unknown>,
  ): Reply => {
    if (req.tools.includes(name)) return { kind: "tool", calls: [{ name, arguments: args }] };
    const wrapper = instructions.deferred?.tool;
    if (wrapper && req.tools.includes(wrapper))
      return { kind: "tool", calls: [{ name: wrapper, arguments: { id: name, args } }] };
    return problem(
      `the host offered no ${name} tool${wrapper ? ` and no ${wrapper}` : " and the instructions name no way to call a deferred one"} (offered: ${req.tools.join(", ")})`,
    );
  };

  const behaviour: Behaviour = (req) => {
    const { user, turn } = currentTurn(req.messages);
    const kind: TurnKind = /heartbeat/i.test(user)
      ? "heartbeat"
      : user.includes(opts.childPrompt)
        ? "child"
        : "other";
    agent.turns.push({ kind, model: req.model, at: Date.now() });
    if (kind === "child") return { kind: "text", text: opts.childAnswer };
    // A child's completion event and the like: nothing for task-manager to do (a check settles runs).
    if (kind === "other") return { kind: "text", text: "NO_REPLY" };

    const shown = req.messages
      .map((m) => textOf(m.content))
      .find((t) => t.includes(SECTION_HEADING));
    if (!shown)
      return problem("the heartbeat turn does not show the task-manager section of HEARTBEAT.md");
    let instructions: HeartbeatInstructions;
    try {
      instructions = readInstructions(shown);
    } catch (err) {
      return problem((err as Error).message);
    }

    const results = toolResults(turn);
    const last = results.at(-1);
    // Step 1: run the check.
    if (!last) return exec(req, instructions.check);
    agent.rawResults.push({ tool: last.tool, text: last.text });
    const status = lastJson(
      execOutput(results.find((r) => r.command === instructions.check)?.text ?? ""),
    );
    if (status === undefined)
      return problem(`the check printed no status object: ${last.text.slice(0, 500)}`);

    // Step 2 (or 3, 5): act on the status object.
    if (last.command === instructions.check) {
      agent.statuses.push(status);
      // "ERROR: tell the user the message": here that is a test failure, said the same way.
      if (at(status, "status") === "ERROR")
        return problem(`the check answered ERROR: ${String(at(status, "message"))}`);
      if (at(status, "status") !== "READY") return ok(instructions);
      const args = Object.fromEntries(
        instructions.spawnArgs.map(([param, path]) => [param, at(status, path)]),
      );
      agent.spawnCalls.push(args);
      return callTool(req, instructions, instructions.spawnTool, args);
    }

    // Then ack (accepted) or fail (refused), with what the spawn returned.
    if (last.tool === instructions.spawnTool) {
      const parsed = lastJson(last.text);
      const spawned = last.deferred ? at(parsed, instructions.deferred?.result ?? "") : parsed;
      if (typeof spawned !== "object" || spawned === null)
        return problem(`${last.tool} returned no result object: ${last.text.slice(0, 500)}`);
      agent.spawnResults.push(spawned);
      const next =
        at(spawned, "status") === instructions.acceptedStatus
          ? instructions.ack
          : instructions.fail;
      try {
        return exec(req, fill(next, [spawned, status]));
      } catch (err) {
        return problem((err as Error).message);
      }
    }

    // The ack (or fail) ran: the section is done for this heartbeat.
    if (EXIT_FAILED.test(last.text))
      return problem(`\`${last.command}\` failed: ${last.text.slice(0, 500)}`);
    return ok(instructions);
  };
  return { ...agent, behaviour, finishedHeartbeats: () => finished };
}

/**
 * OpenClaw adds user-role messages of its own (active exec sessions, active sub-agents) after
 * the turn's prompt and between tool rounds; they are context, not a new turn.
 */
const HOST_CONTEXT = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";

/** The text of the message that started this turn, and the messages after it (its tool calls and results). */
function currentTurn(messages: ChatMessage[]): { user: string; turn: ChatMessage[] } {
  const i = messages.findLastIndex(
    (m) => m.role === "user" && !textOf(m.content).trimStart().startsWith(HOST_CONTEXT),
  );
  return { user: i < 0 ? "" : textOf(messages[i]!.content), turn: messages.slice(i + 1) };
}

interface ToolResult {
  /** The tool that ran (for a deferred call, the tool it named). */
  tool: string;
  /** For exec: the command it ran. */
  command: string | undefined;
  /** Called through the deferred-tool wrapper. */
  deferred: boolean;
  text: string;
}

function toolResults(turn: ChatMessage[]): ToolResult[] {
  const calls = new Map<string, { name: string; arguments: string }>();
  for (const m of turn) for (const c of m.tool_calls ?? []) calls.set(c.id, c.function);
  return turn
    .filter((m) => m.role === "tool")
    .map((m) => {
      const call = m.tool_call_id ? calls.get(m.tool_call_id) : undefined;
      const args = call
        ? (JSON.parse(call.arguments) as { command?: string; id?: string; args?: unknown })
        : {};
      // A deferred call names the tool it ran in `id` and passes its arguments in `args`.
      const deferred = typeof args.id === "string" && typeof args.args === "object";
      return {
        tool: deferred ? args.id! : (call?.name ?? "?"),
        command: args.command,
        deferred,
        text: textOf(m.content),
      };
    });
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        typeof p === "object" && p && "text" in p ? String((p as { text: unknown }).text) : "",
      )
      .join("");
  return "";
}

/**
 * What a command printed. OpenClaw's exec result is the output itself (plus `(Command exited
 * with code N)` when N > 0); Clawdbot wraps a failed command as
 * `{"status":"error","tool":"exec","error":"<output>\n\nCommand exited with code N"}`.
 */
function execOutput(text: string): string {
  try {
    const wrapped = JSON.parse(text) as { tool?: unknown; error?: unknown };
    if (wrapped.tool === EXEC_TOOL && typeof wrapped.error === "string") return wrapped.error;
  } catch {
    // not wrapped
  }
  return text;
}

/**
 * The last JSON object in a tool result. Exec results are the command's output, possibly with
 * the host's own lines around it; the status object is one line of JSON.
 */
function lastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // fall through: look for the object inside
  }
  for (const line of text.split("\n").reverse()) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      return JSON.parse(t);
    } catch {
      // not this line
    }
  }
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first < 0 || last <= first) return undefined;
  try {
    return JSON.parse(text.slice(first, last + 1));
  } catch {
    return undefined;
  }
}
