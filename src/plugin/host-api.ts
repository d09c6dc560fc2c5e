/**
 * The parts of the hosts' plugin APIs task-manager uses — Clawdbot 2026.1.24
 * (dist/plugins/registry.js createApi) and OpenClaw 2026.9.6 (a superset: runtime.subagent,
 * before_agent_run, subagent_ended…). Declared here, structurally, so the package depends on
 * neither host's types.
 */
export interface PluginLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export interface ServiceContext {
  config: Record<string, unknown>;
  workspaceDir?: string;
  stateDir?: string;
  logger: PluginLogger;
}

export interface PluginService {
  id: string;
  start(ctx: ServiceContext): void | Promise<void>;
  stop?(ctx: ServiceContext): void | Promise<void>;
}

export interface GatewayMethodOptions {
  params: Record<string, unknown>;
  respond(ok: boolean, payload?: unknown, error?: { code: string; message: string }): void;
}

export interface CommandContext {
  args?: string;
  senderId?: string;
  channel?: string;
  isAuthorizedSender?: boolean;
}

export interface PluginCommand {
  name: string;
  description: string;
  acceptsArgs?: boolean;
  requireAuth?: boolean;
  handler(ctx: CommandContext): Promise<{ text: string }> | { text: string };
}

export interface ToolResult {
  content: Array<{ type: "text"; text: string }>;
  details?: unknown;
}

export interface ToolContext {
  sessionKey?: string;
  agentId?: string;
  workspaceDir?: string;
}

export interface PluginTool {
  name: string;
  label?: string;
  description: string;
  parameters: Record<string, unknown>;
  execute(toolCallId: string, params: Record<string, unknown>): Promise<ToolResult>;
}

/** A commander Command, as the host passes it to CLI registrars (kept structural). */
export interface CliProgram {
  command(name: string): CliProgram;
  description(text: string): CliProgram;
  argument(spec: string, description?: string): CliProgram;
  option(flags: string, description?: string): CliProgram;
  action(fn: (...args: unknown[]) => unknown): CliProgram;
}

export interface AgentStartEvent {
  prompt?: string;
}
export interface AgentEndEvent {
  messages?: unknown[];
  success?: boolean;
  error?: string;
  durationMs?: number;
}
export interface AgentHookContext {
  agentId?: string;
  sessionKey?: string;
  workspaceDir?: string;
  runId?: string;
}

/** OpenClaw's `subagent_ended` event: fired when a run started with runtime.subagent.run ends. */
export interface SubagentEndedEvent {
  targetSessionKey?: string;
  runId?: string;
  outcome?: string;
  endedAt?: number;
}

/** OpenClaw's in-process sub-agent API (api.runtime.subagent). */
export interface SubagentRuntime {
  run(params: { sessionKey: string; message: string; provider?: string; model?: string; deliver?: boolean; idempotencyKey?: string; lane?: string }): Promise<{ runId: string; sessionKey?: string }>;
}

export interface PluginApi {
  id: string;
  /** OpenClaw: "full" for the live instance; "discovery", "cli-metadata", … for inert loads. */
  registrationMode?: string;
  config: Record<string, unknown>;
  pluginConfig?: Record<string, unknown>;
  logger: PluginLogger;
  runtime?: {
    system?: { enqueueSystemEvent?(text: string, options: { sessionKey: string; contextKey?: string }): void };
    /** OpenClaw only. */
    subagent?: SubagentRuntime;
  };
  registerService(service: PluginService): void;
  /** A factory is called per agent session, with that session's key. */
  registerTool(tool: PluginTool | ((ctx: ToolContext) => PluginTool | null), opts?: { optional?: boolean; name?: string }): void;
  registerCommand(command: PluginCommand): void;
  registerGatewayMethod(method: string, handler: (opts: GatewayMethodOptions) => void | Promise<void>): void;
  registerCli(registrar: (ctx: { program: CliProgram }) => void, opts?: { commands?: string[]; descriptors?: Array<{ name: string; description: string; hasSubcommands: boolean }> }): void;
  /** before_agent_start: Clawdbot; before_agent_run: OpenClaw (which dropped before_agent_start). */
  on(hook: "before_agent_start" | "before_agent_run", handler: (event: AgentStartEvent, ctx: AgentHookContext) => void | Promise<void>): void;
  on(hook: "agent_end", handler: (event: AgentEndEvent, ctx: AgentHookContext) => void | Promise<void>): void;
  on(hook: "subagent_ended", handler: (event: SubagentEndedEvent, ctx: AgentHookContext) => void | Promise<void>): void;
}
