import type { IncomingMessage, ServerResponse } from "node:http";

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
  run(params: {
    sessionKey: string;
    message: string;
    provider?: string;
    model?: string;
    deliver?: boolean;
    idempotencyKey?: string;
    lane?: string;
  }): Promise<{ runId: string; sessionKey?: string }>;
}

/** A node:http handler as both hosts call it: true when it answered. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

/** OpenClaw's api.registerHttpRoute (docs plugins/architecture-internals/gateway-routes.md). */
export interface HttpRouteParams {
  path: string;
  /** "gateway": the gateway's own auth (bearer, or the Control UI's GET-only frame grant); "plugin": ours. */
  auth: "gateway" | "plugin";
  match?: "exact" | "prefix";
  handler: HttpHandler;
}

/** OpenClaw's Control UI contribution (docs plugins/sdk-overview/host-hooks.md); only the tab is used. */
export interface ControlUiTabDescriptor {
  surface: "tab";
  id: string;
  label: string;
  description?: string;
  icon?: string;
  group?: "control" | "agent";
  /** A gateway HTTP path the Control UI shows in a sandboxed frame. */
  path?: string;
  /** The tab's own Control UI address, /<slug>. */
  slug?: string;
  requiredScopes?: string[];
}

/** OpenClaw's managed Task Flow records (api.runtime.tasks.async.managedFlows; docs plugins/sdk-runtime/background-work.md). */
export interface FlowRecord {
  flowId: string;
  revision: number;
  status: string;
  controllerId?: string;
  goal: string;
  currentStep?: string | null;
  stateJson?: unknown;
  cancelRequestedAt?: number | null;
  endedAt?: number | null;
}

export type FlowMutation =
  | { applied: true; flow: FlowRecord }
  | { applied: false; code: string; current?: FlowRecord };

/** Managed flows bound to one owner session: every write names the revision it read. */
export interface BoundManagedFlows {
  list(): Promise<FlowRecord[]>;
  createManaged(params: {
    controllerId: string;
    goal: string;
    status?: string;
    currentStep?: string | null;
    stateJson?: unknown;
    waitJson?: unknown;
  }): Promise<FlowRecord>;
  setWaiting(params: {
    flowId: string;
    expectedRevision: number;
    currentStep?: string | null;
    stateJson?: unknown;
    waitJson?: unknown;
    blockedSummary?: string | null;
  }): Promise<FlowMutation>;
  resume(params: {
    flowId: string;
    expectedRevision: number;
    status?: "queued" | "running";
    currentStep?: string | null;
    stateJson?: unknown;
  }): Promise<FlowMutation>;
  finish(params: {
    flowId: string;
    expectedRevision: number;
    stateJson?: unknown;
  }): Promise<FlowMutation>;
  fail(params: {
    flowId: string;
    expectedRevision: number;
    stateJson?: unknown;
    blockedSummary?: string | null;
  }): Promise<FlowMutation>;
  requestCancel(params: { flowId: string; expectedRevision: number }): Promise<FlowMutation>;
}

export interface TasksRuntime {
  async?: { managedFlows?: { bindSession(params: { sessionKey: string }): BoundManagedFlows } };
}

export interface PluginApi {
  id: string;
  /** OpenClaw: "full" for the live instance; "discovery", "cli-metadata", … for inert loads. */
  registrationMode?: string;
  config: Record<string, unknown>;
  pluginConfig?: Record<string, unknown>;
  logger: PluginLogger;
  runtime?: {
    system?: {
      enqueueSystemEvent?(text: string, options: { sessionKey: string; contextKey?: string }): void;
    };
    /** OpenClaw only. */
    subagent?: SubagentRuntime;
    /** OpenClaw only: the task ledger and Task Flow. */
    tasks?: TasksRuntime;
    /** OpenClaw only: where each agent lives, as the host itself resolves it. */
    agent?: { resolveAgentWorkspaceDir?(config: Record<string, unknown>, agentId: string): string };
  };
  registerService(service: PluginService): void;
  /** A factory is called per agent session, with that session's key. */
  registerTool(
    tool: PluginTool | ((ctx: ToolContext) => PluginTool | null),
    opts?: { optional?: boolean; name?: string },
  ): void;
  registerCommand(command: PluginCommand): void;
  /** OpenClaw reads `scope`; Clawdbot ignores the options. */
  registerGatewayMethod(
    method: string,
    handler: (opts: GatewayMethodOptions) => void | Promise<void>,
    opts?: { scope?: string },
  ): void;
  /** Both hosts; Clawdbot's matches one exact path and never authenticates, OpenClaw's takes `auth` and `match`. */
  registerHttpRoute?(params: HttpRouteParams): void;
  /** Clawdbot: a handler offered every request the gateway does not answer itself (removed in OpenClaw). */
  registerHttpHandler?(handler: HttpHandler): void;
  /** OpenClaw only. */
  session?: {
    controls?: { registerControlUiDescriptor?(descriptor: ControlUiTabDescriptor): void };
  };
  registerCli(
    registrar: (ctx: { program: CliProgram }) => void,
    opts?: {
      commands?: string[];
      descriptors?: Array<{ name: string; description: string; hasSubcommands: boolean }>;
    },
  ): void;
  /** before_agent_start: Clawdbot; before_agent_run: OpenClaw (which dropped before_agent_start). */
  on(
    hook: "before_agent_start" | "before_agent_run",
    handler: (event: AgentStartEvent, ctx: AgentHookContext) => void | Promise<void>,
  ): void;
  on(
    hook: "agent_end",
    handler: (event: AgentEndEvent, ctx: AgentHookContext) => void | Promise<void>,
  ): void;
  on(
    hook: "subagent_ended",
    handler: (event: SubagentEndedEvent, ctx: AgentHookContext) => void | Promise<void>,
  ): void;
}
