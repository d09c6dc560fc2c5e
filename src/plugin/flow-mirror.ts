/**
 * Each task-manager task as a managed Task Flow on OpenClaw, so it shows in `openclaw tasks flow
 * list` with its state (the Control UI's Tasks page lists runs, which the host records itself).
 * One-way: the queue file stays the truth, the flow is its picture (cancelling the flow in the
 * host does not touch the task). A task maps to one flow, found again through its stateJson; a
 * retried task's finished flow is reopened.
 */
import { byIds, NO_TASKS } from "../core/views.js";
import type { Context } from "../runtime/context.js";
import { buildPageView } from "../runtime/page-view.js";
import type { BoundManagedFlows, FlowMutation, FlowRecord, PluginApi } from "./host-api.js";

/** The controller id every mirrored flow carries (the Controller column of `tasks flow list`). */
export const FLOW_CONTROLLER = "task-manager";

/** What the mirror needs of a task: the status view's row has it all. */
export interface MirroredTask {
  id: string;
  state: string;
  prompt: string;
  wait: { reason: string; until: string | null; text: string } | null;
  run: { model: string | null; run_id: string | null } | null;
  last_error: { kind: string; message: string } | null;
}

/** The flow status a task has, with the words and wait metadata shown next to it. */
export type FlowTarget =
  | { status: "queued" | "running" | "succeeded"; step: string }
  | { status: "waiting"; step: string; wait: { reason: string; until: string | null } }
  | { status: "blocked" | "failed"; step: string; summary: string };

const clip = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The flow's goal: the task's text, on one line, cut short (the queue has all of it). */
export const flowGoal = (t: MirroredTask): string => `${t.id}: ${clip(t.prompt, 160)}`;

const errorText = (t: MirroredTask): string =>
  t.last_error ? `${t.last_error.kind}: ${clip(t.last_error.message, 160)}` : "no error recorded";

/**
 * Task state → flow status. pending: `queued` when it is next or only behind other due tasks,
 * else `waiting` with the reason and its end (backoff, quota hold, budget, pacing, capacity,
 * load, main session, paused); claimed/running: `running`; review: `blocked` (a person decides); done: `succeeded`;
 * dead and expired: `failed`. A state this version does not know: null (left as it was).
 */
export function flowTarget(t: MirroredTask): FlowTarget | null {
  switch (t.state) {
    case "pending":
      if (!t.wait || t.wait.reason === "next" || t.wait.reason === "queued")
        return { status: "queued", step: t.wait?.text ?? "queued" };
      return {
        status: "waiting",
        step: `${t.wait.reason.replace(/_/g, " ")}: ${t.wait.text}`,
        wait: { reason: t.wait.reason, until: t.wait.until },
      };
    case "claimed":
    case "running":
      // The run itself is the host's own task record (`openclaw tasks show <run id>`); it cannot
      // be linked into the flow (see INTEGRATION.md), so the step names it.
      return {
        status: "running",
        step: `${t.state} on ${t.run?.model ?? "a cheap model"}${t.run?.run_id ? ` (run ${t.run.run_id})` : ""}`,
      };
    case "review":
      return {
        status: "blocked",
        step: "needs review: it may have acted before it was interrupted",
        summary: `needs review (${errorText(t)}); task-manager review retry|drop ${t.id}`,
      };
    case "done":
      return { status: "succeeded", step: "done" };
    case "dead":
    case "expired":
      return { status: "failed", step: t.state, summary: `${t.state}: ${errorText(t)}` };
    default:
      return null;
  }
}

const TERMINAL = new Set(["succeeded", "failed"]);

const finished = (t: MirroredTask): boolean => {
  const target = flowTarget(t);
  return target !== null && TERMINAL.has(target.status);
};

/** What the flow's stateJson holds: the task it pictures and what it last showed. */
interface MirrorState {
  task_id: string;
  sig: string;
}

function mirrorState(flow: FlowRecord): MirrorState | null {
  const s = flow.stateJson;
  if (flow.controllerId !== FLOW_CONTROLLER || s === null || typeof s !== "object") return null;
  const { task_id, sig } = s as Record<string, unknown>;
  return typeof task_id === "string" ? { task_id, sig: typeof sig === "string" ? sig : "" } : null;
}

export interface MirrorReport {
  created: number;
  updated: number;
  cancelled: number;
  /** Writes the host refused (a revision moved under us): tried again at the next sync. */
  refused: number;
}

/**
 * Brings the host's flows in line with the tasks. A finished task without a flow gets none when
 * it is history: finished before the mirror's first sync (a first start must not flood the host's
 * records with the past), named in `history`; one that finished since (added and dead between two
 * syncs) gets its flow, in its end state. With no `history` (a first sync), every finished task
 * without a flow is history. A flow whose task is gone from the queue (removed) gets a cancel request.
 */
export async function syncFlows(
  flows: BoundManagedFlows,
  tasks: readonly MirroredTask[],
  /** Which of these task ids the queue still has. */
  present: (taskIds: readonly string[]) => Promise<ReadonlySet<string>>,
  history?: ReadonlySet<string>,
): Promise<MirrorReport> {
  const report: MirrorReport = { created: 0, updated: 0, cancelled: 0, refused: 0 };
  const byTask = new Map<string, { flow: FlowRecord; state: MirrorState }>();
  for (const flow of await flows.list()) {
    const state = mirrorState(flow);
    const seen = state && byTask.get(state.task_id);
    if (state && (!seen || flow.revision > seen.flow.revision))
      byTask.set(state.task_id, { flow, state });
  }
  const count = (r: FlowMutation): void => void (r.applied ? report.updated++ : report.refused++);
  for (const task of tasks) {
    const target = flowTarget(task);
    if (!target) continue;
    const sig = JSON.stringify(target);
    let mirrored = byTask.get(task.id);
    if (!mirrored) {
      if (TERMINAL.has(target.status) && (!history || history.has(task.id))) continue;
      const flow = await flows.createManaged({
        controllerId: FLOW_CONTROLLER,
        goal: flowGoal(task),
        status: "queued",
        currentStep: "queued",
        stateJson: { task_id: task.id, sig: "" },
      });
      report.created++;
      mirrored = { flow, state: { task_id: task.id, sig: "" } };
    }
    if (mirrored.state.sig === sig && mirrored.flow.status === target.status) continue;
    count(await apply(flows, mirrored.flow, target, { task_id: task.id, sig }));
  }
  const open = [...byTask].filter(([, { flow }]) => !flow.endedAt && !flow.cancelRequestedAt);
  const still = await present(open.map(([taskId]) => taskId));
  for (const [taskId, { flow }] of open) {
    if (still.has(taskId)) continue;
    const r = await flows.requestCancel({ flowId: flow.flowId, expectedRevision: flow.revision });
    if (r.applied) report.cancelled++;
    else report.refused++;
  }
  return report;
}

function apply(
  flows: BoundManagedFlows,
  flow: FlowRecord,
  target: FlowTarget,
  stateJson: MirrorState,
): Promise<FlowMutation> {
  const at = { flowId: flow.flowId, expectedRevision: flow.revision, stateJson };
  switch (target.status) {
    case "queued":
    case "running":
      return flows.resume({ ...at, status: target.status, currentStep: target.step });
    case "waiting":
      return flows.setWaiting({ ...at, currentStep: target.step, waitJson: target.wait });
    case "blocked":
      // A wait with a blocked summary is the host's resumable "blocked".
      return flows.setWaiting({ ...at, currentStep: target.step, blockedSummary: target.summary });
    case "succeeded":
      return flows.finish(at);
    case "failed":
      return flows.fail({ ...at, blockedSummary: target.summary });
  }
}

/** Tasks mirrored per state at most (in run order): the host's records are not a bulk store. */
export const MIRROR_LIMIT = 200;

/**
 * An unchanged queue file is synced again after this long, not at every tick: a wait can end
 * without a write (a backoff runs out), and the host's records may trail by this much.
 */
export const RESYNC_MS = 60_000;

/**
 * The mirror as the service runs it after each tick: one sync at a time (two at once would both
 * create a flow for a new task), never throws into the tick, and says each distinct failure once
 * rather than every tick.
 */
export class FlowMirror {
  readonly #flows: BoundManagedFlows;
  readonly #warn: (message: string) => void;
  #lastError: string | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  /** The queue revision and time of the last sync that went through. */
  #synced: { revision: number; at: number } | null = null;
  /** The tasks already finished at the first sync that went through: they get no flow. */
  #history: Set<string> | null = null;

  constructor(flows: BoundManagedFlows, warn: (message: string) => void) {
    this.#flows = flows;
    this.#warn = warn;
  }

  sync(ctx: Context, mainBusy: boolean): Promise<MirrorReport | null> {
    const run = this.#chain.then(() => this.#syncOnce(ctx, mainBusy));
    this.#chain = run;
    return run;
  }

  /** The sync's report; null when it failed (said once) or the queue had not changed (a tick every second must not rebuild the view every second). */
  async #syncOnce(ctx: Context, mainBusy: boolean): Promise<MirrorReport | null> {
    try {
      const { queue } = await ctx.store.read(NO_TASKS);
      const now = ctx.deps.now();
      if (
        this.#synced &&
        this.#synced.revision === queue.revision &&
        now - this.#synced.at < RESYNC_MS
      )
        return null;
      const view = await buildPageView(ctx, { limit: MIRROR_LIMIT, mainBusy: () => mainBusy });
      const tasks = view.groups.flatMap((g) => g.tasks);
      const report = await syncFlows(
        this.#flows,
        tasks,
        async (ids) => new Set((await ctx.store.read(byIds(...ids))).queue.tasks.map((t) => t.id)),
        this.#history ?? undefined,
      );
      this.#history ??= new Set(tasks.filter(finished).map((t) => t.id));
      this.#lastError = null;
      // A refused write is retried at the next tick, not a minute later.
      this.#synced = report.refused === 0 ? { revision: queue.revision, at: now } : null;
      return report;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.#lastError) this.#warn(`Task Flow mirror: ${message}`);
      this.#lastError = message;
      return null;
    }
  }
}

/** OpenClaw's managed flows, bound to the main session (the owner every mirrored flow shares); null elsewhere. */
export function flowMirrorFor(api: PluginApi, mainKey: string): FlowMirror | null {
  const managed = api.runtime?.tasks?.async?.managedFlows;
  if (!managed) return null;
  try {
    return new FlowMirror(managed.bindSession({ sessionKey: mainKey }), (m) =>
      api.logger.warn(`task-manager: ${m}`),
    );
  } catch (err) {
    api.logger.warn(`task-manager: Task Flow mirror off: ${(err as Error).message}`);
    return null;
  }
}
