import { describe, expect, it } from "vitest";
import { decide, DEFER_REASONS } from "../../src/core/decide.js";
import { failTask } from "../../src/core/tasks.js";
import { fixedRandom, idle, policy, queueWith, T0 } from "../helpers/fixtures.js";

describe("decide: every DEFERRED reason, and NO_TASKS / READY", () => {
  const p = policy();

  it("NO_TASKS on an empty queue", () => {
    expect(decide(queueWith([]), p, idle, T0)).toEqual({ kind: "NO_TASKS" });
  });

  it("READY with the preferred whitelisted model when nothing stands in the way", () => {
    const d = decide(queueWith(["a"]), p, idle, T0);
    expect(d).toMatchObject({ kind: "READY", model: "google/gemini-2.5-flash" });
  });

  it("paused", () => {
    expect(decide({ ...queueWith(["a"]), paused: true }, p, idle, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "paused",
    });
  });

  it("concurrency_limit counts host sub-agent sessions, not only ours", () => {
    const d = decide(
      queueWith(["a"]),
      p,
      { ...idle, activeSessionKeys: ["agent:main:subagent:other"] },
      T0,
    );
    expect(d).toMatchObject({ kind: "DEFERRED", reason: "concurrency_limit" });
    const roomy = decide(
      queueWith(["a"]),
      policy({ maxConcurrent: 2 }),
      { ...idle, activeSessionKeys: ["agent:main:subagent:other"] },
      T0,
    );
    expect(roomy.kind).toBe("READY");
  });

  it("main_busy", () => {
    expect(decide(queueWith(["a"]), p, { ...idle, mainBusy: true }, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "main_busy",
    });
  });

  it("system_load above the per-core threshold, not at it", () => {
    expect(decide(queueWith(["a"]), p, { ...idle, loadPerCore: 0.81 }, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "system_load",
    });
    expect(decide(queueWith(["a"]), p, { ...idle, loadPerCore: 0.8 }, T0).kind).toBe("READY");
  });

  it("memory_pressure", () => {
    expect(decide(queueWith(["a"]), p, { ...idle, freeMemoryMB: 100 }, T0)).toMatchObject({
      kind: "DEFERRED",
      reason: "memory_pressure",
    });
  });

  it("backoff after a failure, with retry_at at the task's run_at", () => {
    const q = queueWith(["a"]);
    const failed = failTask(
      q,
      q.tasks[0]!.id,
      { message: "tool crashed" },
      { policy: p, nowMs: T0, random: fixedRandom },
    );
    const d = decide(failed.queue, p, idle, T0 + 1000);
    expect(d).toMatchObject({
      kind: "DEFERRED",
      reason: "backoff",
      retryAtMs: Date.parse(failed.task.run_at!),
    });
  });

  it("quota_cooldown when every whitelisted model rests after a rate limit; a fallback is used first", () => {
    const q = queueWith(["a"]);
    const id = q.tasks[0]!.id;
    const onFirst = {
      ...q,
      tasks: [
        {
          ...q.tasks[0]!,
          state: "running" as const,
          run: {
            run_id: "r",
            session_key: "s",
            model: p.models[0]!,
            started_at: new Date(T0).toISOString(),
            attempt: 1,
          },
        },
      ],
    };
    const once = failTask(
      onFirst,
      id,
      { message: "429 rate limited" },
      { policy: p, nowMs: T0, random: fixedRandom },
    );
    expect(decide(once.queue, p, idle, T0 + 1)).toMatchObject({
      kind: "READY",
      model: p.models[1],
    });
    const allResting = {
      ...once.queue,
      cooldowns: Object.fromEntries(p.models.map((m) => [m, new Date(T0 + 60_000).toISOString()])),
    };
    expect(decide(allResting, p, idle, T0 + 1)).toMatchObject({
      kind: "DEFERRED",
      reason: "quota_cooldown",
      retryAtMs: T0 + 60_000,
    });
    expect(decide(allResting, p, idle, T0 + 60_001).kind).toBe("READY");
  });

  it("locked and host_setup are produced by the runtime (lock contention, a host that forbids starts), and the set is closed", () => {
    expect([...DEFER_REASONS].sort()).toEqual(
      [
        "backoff",
        "budget",
        "pacing",
        "concurrency_limit",
        "host_setup",
        "locked",
        "main_busy",
        "memory_pressure",
        "paused",
        "quota_cooldown",
        "system_load",
      ].sort(),
    );
  });

  it("priority first (lower number first), then age", () => {
    const q = queueWith(["old-low", "new-low"], 5);
    const urgent = queueWith(["urgent"], 1).tasks[0]!;
    const d = decide(
      { ...q, tasks: [...q.tasks, { ...urgent, added_at: new Date(T0 + 99).toISOString() }] },
      p,
      idle,
      T0 + 100,
    );
    expect(d).toMatchObject({ kind: "READY", task: { prompt: "urgent" } });
    expect(decide(q, p, idle, T0 + 100)).toMatchObject({
      kind: "READY",
      task: { prompt: "old-low" },
    });
  });
});
