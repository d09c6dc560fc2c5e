import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPluginPolicy, PLUGIN_CONFIG_PATH } from "../../src/plugin/policy.js";
import { tempDir } from "../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe("plugin mode policy: plugins.entries.task-manager.config merged over .taskmanagerrc", () => {
  it("the host config wins key by key; nested objects merge; the rest comes from the rc file", async () => {
    writeFileSync(
      path.join(t.dir, ".taskmanagerrc"),
      JSON.stringify({
        models: ["a/rc-model"],
        maxConcurrent: 3,
        retry: { maxAttempts: 7, baseDelayMs: 10 },
      }),
    );
    const { policy, source } = await loadPluginPolicy(t.dir, {
      maxConcurrent: 2,
      retry: { baseDelayMs: 99 },
    });
    expect(policy).toMatchObject({
      models: ["a/rc-model"],
      maxConcurrent: 2,
      retry: { maxAttempts: 7, baseDelayMs: 99 },
    });
    expect(source).toBe(`${path.join(t.dir, ".taskmanagerrc")} + ${PLUGIN_CONFIG_PATH}`);
  });

  it("an invalid plugin config names its config path and key", async () => {
    await expect(loadPluginPolicy(t.dir, { maxConcurent: 2 })).rejects.toMatchObject({
      code: "E_CONFIG_INVALID",
      message: expect.stringMatching(
        /plugins\.entries\.task-manager\.config: unknown key maxConcurent/,
      ),
    });
  });

  it("an invalid rc file still names the rc file", async () => {
    writeFileSync(path.join(t.dir, ".taskmanagerrc"), JSON.stringify({ models: "gpt" }));
    await expect(loadPluginPolicy(t.dir, { maxConcurrent: 2 })).rejects.toMatchObject({
      code: "E_CONFIG_INVALID",
      message: expect.stringContaining(".taskmanagerrc"),
    });
  });
});
