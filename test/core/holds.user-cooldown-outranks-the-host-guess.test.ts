import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ackTask, claimTask, failTask } from "../../src/core/tasks.js";
import { loadPluginPolicy } from "../../src/plugin/policy.js";
import { loadPolicyFile } from "../../src/policy/load.js";
import type { Policy } from "../../src/policy/schema.js";
import { policy, queueWith, T0 } from "../helpers/fixtures.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Issue 16, point 9: on OpenClaw a 429 without a reset hint held the provider for 30 minutes,
 * because OpenClaw records `expectedResumeBy` as its suspension time plus 30 minutes whatever the
 * provider said — even when the user had set `retry.quotaCooldownMs` to 5 minutes. Order now:
 * the provider's hint, the user's cooldown (when set), the host's record, the built-in default.
 */
const M = 60_000;
const OPENCLAW_GUESS = T0 + 30 * M; // expectedResumeBy: suspension + 30 min

/** A task running on google/…, failed with `message`; the host recorded `resetAtMs`. */
function holdAfter(p: Policy, message: string, resetAtMs?: number) {
  let queue = queueWith(["work"]);
  const task = queue.tasks[0]!;
  queue = claimTask(
    queue,
    task,
    { token: "tok", model: "google/gemini-2.5-flash", leaseSeconds: 60 },
    T0,
  ).queue;
  queue = ackTask(queue, task.id, { runId: "r1", sessionKey: "s1" }, T0).queue;
  const failed = failTask(
    queue,
    task.id,
    { message, kind: "quota", ...(resetAtMs !== undefined ? { resetAtMs } : {}) },
    { policy: p, nowMs: T0, random: () => 0.5 },
  );
  const hold = failed.queue.holds?.google;
  return { until: Date.parse(hold!.until) - T0, source: hold!.source };
}

describe("quota hold end: provider hint → user's cooldown → host's record → built-in default", () => {
  const fiveMinutes = policy({ retry: { quotaCooldownMs: 5 * M } });
  const unset = policy({});

  it("the user's 5-minute cooldown wins over OpenClaw's made-up 30 minutes", () => {
    expect(holdAfter(fiveMinutes, "429 rate limited", OPENCLAW_GUESS)).toEqual({
      until: 5 * M,
      source: "config",
    });
  });

  it("the provider's own hint still comes first", () => {
    expect(
      holdAfter(fiveMinutes, "429 rate limited; try again in 20 minutes", OPENCLAW_GUESS),
    ).toEqual({ until: 20 * M, source: "message" });
  });

  it("with no cooldown set, the host's record comes next, then the built-in 15 minutes", () => {
    expect(holdAfter(unset, "429 rate limited", OPENCLAW_GUESS)).toEqual({
      until: 30 * M,
      source: "host",
    });
    expect(holdAfter(unset, "429 rate limited")).toEqual({ until: 15 * M, source: "default" });
  });

  it("the cooldown counts as set exactly when the user wrote it (rc file or plugin config)", async () => {
    const t = tempDir();
    try {
      expect((await loadPolicyFile(t.dir)).policy.retry.quotaCooldownMs).toBeUndefined();
      writeFileSync(
        path.join(t.dir, ".taskmanagerrc.json"),
        JSON.stringify({ retry: { maxAttempts: 4 } }),
      );
      expect((await loadPolicyFile(t.dir)).policy.retry.quotaCooldownMs).toBeUndefined();
      writeFileSync(
        path.join(t.dir, ".taskmanagerrc.json"),
        JSON.stringify({ retry: { quotaCooldownMs: 300_000 } }),
      );
      expect((await loadPolicyFile(t.dir)).policy.retry.quotaCooldownMs).toBe(300_000);
      writeFileSync(path.join(t.dir, ".taskmanagerrc.json"), "{}");
      const plugin = await loadPluginPolicy(t.dir, { retry: { quotaCooldownMs: 120_000 } });
      expect(plugin.policy.retry.quotaCooldownMs).toBe(120_000);
    } finally {
      t.cleanup();
    }
  });
});
