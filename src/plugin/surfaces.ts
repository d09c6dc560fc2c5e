import { shownPolicy } from "../runtime/store.js";
import { ROOT_CLI_DESCRIPTION } from "../base/product.js";
import { escapeControlChars } from "../base/terminal.js";
import { TaskManagerError } from "../base/errors.js";
import { MAX_KEY_CHARS, PRIORITY_MAX, PRIORITY_MIN } from "../core/bounds.js";
import type { countByState } from "../core/order.js";
import { NO_TASKS } from "../core/views.js";
import type { Context } from "../runtime/context.js";
import { toErrorStatus } from "../runtime/error-status.js";
import * as ops from "../runtime/operations.js";
import { isSubagentKey } from "../host/port.js";
import { agentOfSessionKey } from "../host/roster.js";
import type {
  CliProgram,
  GatewayMethodOptions,
  PluginCommand,
  PluginTool,
  ToolContext,
} from "./host-api.js";
import type { TaskManagerService } from "./service.js";

export interface SurfaceDeps {
  /** The agents served, in the gateway's order. */
  agents(): string[];
  /** A context for one agent's queue; without an id, the gateway's primary agent (main, else the first). */
  context(agent?: string): Promise<Context>;
  /** Whether that agent's main session is mid-run. */
  mainBusy?(agent?: string): boolean;
  /** The started service of this gateway process, if any (see process-state.ts). */
  service(): TaskManagerService | null;
}

/** One line per agent: its workspace and counts (or why its queue cannot be read). */
export async function agentSummaries(deps: SurfaceDeps): Promise<Array<Record<string, unknown>>> {
  return Promise.all(
    deps.agents().map(async (id) => {
      try {
        const ctx = await deps.context(id);
        const { queue, counts } = await ctx.store.read(NO_TASKS);
        return {
          id,
          workspace: ctx.workspace.dir,
          queue_file: ctx.store.location,
          counts,
          paused: queue.paused,
          wake: ctx.policy.wake,
        };
      } catch (err) {
        return { id, error: toErrorStatus(err) };
      }
    }),
  );
}

/**
 * A snapshot for people and scripts: one agent's counts, next tasks and effective policy, the
 * last tick and the next run, and every agent's counts.
 */
export async function statusSnapshot(
  deps: SurfaceDeps,
  agent?: string,
): Promise<Record<string, unknown>> {
  const ctx = await deps.context(agent);
  const { queue, counts } = await ctx.store.read(NO_TASKS);
  const next = (await ops.listTasks(ctx, false)).slice(0, 5).map(ops.taskView);
  return {
    agent: ctx.policy.agentId,
    workspace: ctx.workspace.dir,
    queue_file: ctx.store.location,
    // Which keys came from where: .taskmanagerrc, with only what the operator set in
    // plugins.entries.task-manager.config over it.
    policy_source: ctx.policyFile,
    policy: shownPolicy(ctx.policy),
    counts,
    paused: queue.paused,
    next,
    last_tick: deps.service()?.lastTick ?? null,
    recent_starts: (deps.service()?.recentStarts ?? []).filter(
      (s) => s.agent === ctx.policy.agentId,
    ),
    next_tick: deps.service()?.nextRun()?.toISOString() ?? null,
    agents: await agentSummaries(deps),
  };
}

function text(value: unknown): {
  content: Array<{ type: "text"; text: string }>;
  details: unknown;
} {
  return { content: [{ type: "text", text: JSON.stringify(value) }], details: value };
}

/** The agent tool: add a task, list the queue, or see status — without shelling out — on `agent`'s queue. */
export function queueTool(deps: SurfaceDeps, agent?: string): PluginTool {
  return {
    name: "task_queue",
    label: "Task queue",
    description:
      "Durable task queue (task-manager). action=add queues a task to be resumed later on a cheap model (prompt required; priority 1 = most urgent, default 5, at most 1000); action=list shows waiting and running tasks; action=status shows counts and the last dispatch.",
    parameters: {
      type: "object",
      additionalProperties: false,
      required: ["action"],
      properties: {
        action: { type: "string", enum: ["add", "list", "status"] },
        prompt: { type: "string", description: "the task, exactly as it should be run" },
        priority: { type: "integer", minimum: PRIORITY_MIN, maximum: PRIORITY_MAX },
        key: { type: "string", maxLength: MAX_KEY_CHARS, description: "dedupe key" },
      },
    },
    async execute(_id, params) {
      try {
        // A host may pass what the model wrote as it came: null or an array is no arguments object.
        if (typeof params !== "object" || params === null || Array.isArray(params))
          throw new TaskManagerError(
            "E_INVALID_INPUT",
            `The tool's arguments must be an object like {"action": "list"}, got ${Array.isArray(params) ? "an array" : params === null ? "null" : typeof params}.`,
            { key: "arguments" },
          );
        const ctx = await deps.context(agent);
        // The model writes these arguments, and a host need not enforce the schema: every value
        // is checked here and in the core's bounds, so a wrong one is a clear ERROR, never a
        // task the queue cannot hold.
        if (params.action === "add") {
          if (typeof params.prompt !== "string")
            throw new TaskManagerError("E_INVALID_INPUT", '"prompt" must be a string.', {
              key: "prompt",
            });
          const r = await ops.addTask(ctx, {
            prompt: params.prompt,
            ...(params.priority !== undefined ? { priority: params.priority as number } : {}),
            source: "tool",
            key: (params.key ?? null) as string | null,
          });
          return text({ status: r.status, task: ops.taskView(r.task) });
        }
        if (params.action === "list")
          return text({ tasks: (await ops.listTasks(ctx, false)).map(ops.taskView) });
        if (params.action === "status") return text(await statusSnapshot(deps, agent));
        throw new TaskManagerError(
          "E_INVALID_INPUT",
          `"action" must be add, list or status, got ${JSON.stringify(String(params.action)).slice(0, 60)}.`,
          { key: "action" },
        );
      } catch (err) {
        return text(toErrorStatus(err));
      }
    },
  };
}

/**
 * The tool per session, on that session's agent's queue: sub-agents do not get it. A task's own
 * run must not be able to queue more work (a runaway loop, or injected task text enqueuing
 * tasks); only a main session can. An agent the plugin does not serve gets none (nothing would
 * start what it queued).
 */
export function queueToolFor(deps: SurfaceDeps): (ctx: ToolContext) => PluginTool | null {
  return (ctx) => {
    if (ctx.sessionKey && isSubagentKey(ctx.sessionKey)) return null;
    const agent = agentOfSessionKey(ctx.sessionKey) ?? ctx.agentId?.toLowerCase();
    const served = deps.agents();
    if (agent !== undefined && agent !== null && served.length > 0 && !served.includes(agent))
      return null;
    return queueTool(deps, agent ?? undefined);
  };
}

/**
 * The chat command (`/tasks` on Clawdbot, `/taskmanager` on OpenClaw, whose `/tasks` is its own
 * task ledger): answered by the plugin directly — no model turn.
 */
export function tasksCommand(deps: SurfaceDeps, name: string): PluginCommand {
  return {
    name,
    description: "Show the task-manager queue",
    acceptsArgs: false,
    requireAuth: true,
    async handler() {
      try {
        const ids = deps.agents();
        const lines: string[] = [];
        for (const id of ids.length > 0 ? ids : [undefined]) {
          const s = await statusSnapshot(deps, id);
          const counts = s.counts as ReturnType<typeof countByState>;
          lines.push(
            `${ids.length > 1 ? `${id}: ` : ""}Tasks: ${counts.pending} pending, ${counts.claimed + counts.running} running, ${counts.done} done, ${counts.dead} dead${s.paused ? " (paused)" : ""}`,
          );
          for (const t of s.next as Array<{ id: string; state: string; prompt: string }>)
            lines.push(`• ${t.id} ${t.state}: ${t.prompt.replace(/\s+/g, " ").slice(0, 80)}`);
        }
        return { text: lines.join("\n") };
      } catch (err) {
        return { text: `task-manager: ${toErrorStatus(err).message}` };
      }
    },
  };
}

export function statusMethod(deps: SurfaceDeps) {
  return async ({ params, respond }: GatewayMethodOptions): Promise<void> => {
    try {
      const agent = typeof params?.agent === "string" ? params.agent : undefined;
      respond(true, await statusSnapshot(deps, agent));
    } catch (err) {
      const e = toErrorStatus(err);
      respond(false, undefined, { code: e.code, message: e.message });
    }
  };
}

export function tickMethod(deps: SurfaceDeps) {
  return async ({ respond }: GatewayMethodOptions): Promise<void> => {
    const service = deps.service();
    if (service) respond(true, await service.tick());
    else
      respond(false, undefined, {
        code: "E_NOT_STARTED",
        message:
          "task-manager's service is not running in this gateway (see the gateway log for why).",
      });
  };
}

/** `clawdbot tasks` / `openclaw task-manager` (where the host surfaces plugin CLIs): the queue's status. */
export function registerTasksCli(program: CliProgram, deps: SurfaceDeps, name: string): void {
  program
    .command(name)
    .description(ROOT_CLI_DESCRIPTION)
    .action(async () => {
      // Task text reaches a terminal here: control characters shown escaped (still JSON).
      process.stdout.write(
        `${escapeControlChars(JSON.stringify(await statusSnapshot(deps), null, 2))}\n`,
      );
    });
}
