import {
  DEFAULT_POLICY,
  policySchema,
  type Policy,
  type PolicyInput,
} from "../../src/policy/schema.js";
import type { Observation } from "../../src/core/decide.js";
import { emptyQueue, type Queue } from "../../src/core/queue-model.js";
import { addTask } from "../../src/core/tasks.js";

export const T0 = Date.parse("2026-11-25T12:00:00.000Z");

export const idle: Observation = {
  activeSessionKeys: [],
  mainBusy: false,
  loadPerCore: 0.1,
  freeMemoryMB: 8192,
};

export function policy(input: PolicyInput = {}): Policy {
  return input && Object.keys(input).length === 0 ? DEFAULT_POLICY : policySchema.parse(input);
}

let counter = 0;
/** A queue holding the given prompts as pending tasks, added one millisecond apart. */
export function queueWith(prompts: string[], priority = 5): Queue {
  let queue = emptyQueue();
  prompts.forEach((prompt, i) => {
    counter += 1;
    queue = addTask(queue, { prompt, priority }, T0 + i, `t_test${counter.toString(36)}`).queue;
  });
  return queue;
}

export const fixedRandom = (): number => 0.5;
export const tokens = (): (() => string) => {
  let n = 0;
  return () => `tok${++n}`;
};

/** Policy keys that keep a busy test machine from turning READY into DEFERRED/system_load. */
export const RELAXED_POLICY = { loadThreshold: 1000, minFreeMemoryMB: 0 };
