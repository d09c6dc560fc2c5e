import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import { claimTask, failTask, setPriority } from "../../src/core/tasks.js";
import { fixedRandom, idle, policy, queueWith, T0 } from "../helpers/fixtures.js";

describe("setPriority: a waiting task's place in line", () => {
  const p = policy();

  it("a later task moved to priority 1 is the one a check starts", () => {
    const queue = queueWith(["first", "second"]);
    const second = queue.tasks[1]!;
    expect(decide(queue, p, idle, T0)).toMatchObject({ kind: "READY", task: { prompt: "first" } });
    const r = setPriority(queue, second.id, 1, T0 + 5);
    expect(r.task).toMatchObject({ priority: 1, updated_at: new Date(T0 + 5).toISOString() });
    expect(decide(r.queue, p, idle, T0 + 5)).toMatchObject({
      kind: "READY",
      task: { id: second.id },
    });
  });

  it("the same priority changes nothing (no write)", () => {
    const queue = queueWith(["a"], 5);
    expect(setPriority(queue, queue.tasks[0]!.id, 5, T0).queue).toBe(queue);
  });

  it("a dead task may be reprioritised before a retry; a claimed or running one may not", () => {
    let queue = queueWith(["a", "b"]);
    const [a, b] = queue.tasks as [(typeof queue.tasks)[0], (typeof queue.tasks)[0]];
    for (let i = 0; i < p.retry.maxAttempts; i++)
      queue = failTask(
        queue,
        a.id,
        { message: "boom" },
        { policy: p, nowMs: T0, random: fixedRandom },
      ).queue;
    expect(setPriority(queue, a.id, 2, T0).task).toMatchObject({ state: "dead", priority: 2 });
    queue = claimTask(
      queue,
      queue.tasks.find((t) => t.id === b.id)!,
      { token: "t", model: p.models[0]!, leaseSeconds: 60 },
      T0,
    ).queue;
    expect(() => setPriority(queue, b.id, 1, T0)).toThrow(
      expect.objectContaining({ code: "E_INVALID_STATE" }),
    );
  });

  it("refuses what is not a whole number in range, and unknown ids, with stable codes", () => {
    const queue = queueWith(["a"]);
    const id = queue.tasks[0]!.id;
    for (const bad of [1.5, Number.NaN, Infinity, 2_000_000])
      expect(() => setPriority(queue, id, bad, T0)).toThrow(
        expect.objectContaining({ code: "E_INVALID_INPUT" }),
      );
    expect(() => setPriority(queue, "t_nope", 1, T0)).toThrow(
      expect.objectContaining({ code: "E_TASK_NOT_FOUND" }),
    );
  });
});
