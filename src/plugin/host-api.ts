/**
 * The parts of Clawdbot's plugin API task-manager uses (2026.1.24: dist/plugins/registry.js
 * createApi). Declared here, structurally, so the package does not depend on the host's types.
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
}

export interface PluginApi {
  id: string;
  config: Record<string, unknown>;
  pluginConfig?: Record<string, unknown>;
  logger: PluginLogger;
  runtime?: { system?: { enqueueSystemEvent?(text: string, options: { sessionKey: string; contextKey?: string }): void } };
  registerService(service: PluginService): void;
  /** A factory is called per agent session, with that session's key. */
  registerTool(tool: PluginTool | ((ctx: ToolContext) => PluginTool | null), opts?: { optional?: boolean; name?: string }): void;
  registerCommand(command: PluginCommand): void;
  registerGatewayMethod(method: string, handler: (opts: GatewayMethodOptions) => void | Promise<void>): void;
  registerCli(registrar: (ctx: { program: CliProgram }) => void, opts?: { commands?: string[] }): void;
  on(hook: "before_agent_start", handler: (event: AgentStartEvent, ctx: AgentHookContext) => void | Promise<void>): void;
  on(hook: "agent_end", handler: (event: AgentEndEvent, ctx: AgentHookContext) => void | Promise<void>): void;
}
