import { get } from "../base/json.js";
import { PLUGIN_ENTRY_PATH, PLUGIN_ID, pluginSetting } from "../base/product.js";
import type { HostInfo } from "../core/status.js";

const PLUGIN_ENTRY = PLUGIN_ENTRY_PATH;

export interface SetupCheck {
  key: string;
  ok: boolean;
  /** What it means, and what to set when it is not ok. */
  message: string;
}

/**
 * Whether OpenClaw lets the plugin pin each whitelisted model on the runs it starts. Without the
 * operator's opt-in the host refuses a model override outside a request; task-manager then
 * starts nothing at all rather than let a task run on the host's (expensive) default model.
 */
export function modelOverrideCheck(
  raw: Record<string, unknown> | null,
  models: readonly string[],
): SetupCheck {
  const key = `${PLUGIN_ENTRY}.subagent.allowModelOverride`;
  if (pluginSetting(raw, "subagent", "allowModelOverride") !== true) {
    return {
      key,
      ok: false,
      message: `OpenClaw only lets a plugin pin a model on the runs it starts with the operator's opt-in. task-manager starts no task until you set ${key}: true (and list your whitelist in ${PLUGIN_ENTRY}.subagent.allowedModels if you restrict overrides), then restart the gateway.`,
    };
  }
  const allowed = pluginSetting(raw, "subagent", "allowedModels");
  if (Array.isArray(allowed)) {
    const missing = models.filter((m) => !allowed.includes(m));
    if (missing.length > 0)
      return {
        key: `${PLUGIN_ENTRY}.subagent.allowedModels`,
        ok: false,
        message: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} in task-manager's "models" but not in ${PLUGIN_ENTRY}.subagent.allowedModels; add ${missing.length === 1 ? "it" : "them"} there or remove ${missing.length === 1 ? "it" : "them"} from "models".`,
      };
  }
  return {
    key,
    ok: true,
    message: "task-manager may pin its whitelisted models on the runs it starts.",
  };
}

/** What the host's config says about running task-manager as a plugin, key by key. */
export function hostSetupAdvice(
  kind: HostInfo["kind"],
  raw: Record<string, unknown> | null,
  models: readonly string[],
  schedule: string,
): SetupCheck[] {
  if (kind !== "openclaw") return [];
  const allow = get(raw, ["plugins", "allow"]);
  const conversation = pluginSetting(raw, "hooks", "allowConversationAccess") === true;
  const every = get(raw, ["agents", "defaults", "heartbeat", "every"]);
  const off = every === "0m" || every === "0" || every === "0s";
  return [
    modelOverrideCheck(raw, models),
    {
      key: `${PLUGIN_ENTRY}.hooks.allowConversationAccess`,
      ok: conversation,
      message: conversation
        ? "The VIP lane sees the main session's runs (before_agent_run / agent_end)."
        : `Without ${PLUGIN_ENTRY}.hooks.allowConversationAccess: true, OpenClaw withholds before_agent_run and agent_end from the plugin: the VIP lane cannot see the main session busy (tasks may start during a main-session turn) and failed main-session runs are not captured. Set it to true.`,
    },
    {
      key: "plugins.allow",
      ok: Array.isArray(allow) && allow.includes(PLUGIN_ID),
      message: `Non-bundled plugins should be listed in plugins.allow (${JSON.stringify([PLUGIN_ID])}); otherwise OpenClaw loads it with an unverified-source warning.`,
    },
    {
      key: "agents.defaults.heartbeat.every",
      ok: !off || schedule !== "heartbeat",
      message: !off
        ? `The host heartbeat runs${schedule === "heartbeat" ? "; the plugin follows it" : `; the plugin runs on its own schedule (${schedule})`}.`
        : schedule === "heartbeat"
          ? `The host heartbeat is off ("${String(every)}"): skill mode never runs, and the plugin dispatches on its own every 30 minutes (set "schedule" in .taskmanagerrc to change it).`
          : `The host heartbeat is off ("${String(every)}"): skill mode never runs; the plugin runs on its own schedule (${schedule}).`,
    },
  ];
}
