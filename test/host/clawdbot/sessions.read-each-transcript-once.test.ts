import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunOutcome } from "../../../src/core/check.js";
import {
  activeSubagentKeys,
  readEachOnce,
  sessionOutcome,
  type SessionsStore,
} from "../../../src/host/clawdbot/sessions.js";
import { readRunOutcome } from "../../../src/host/clawdbot/transcript.js";
import { tempDir } from "../../helpers/cli.js";

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const line = (role: string, stopReason?: string): string =>
  `${JSON.stringify({ type: "message", message: { role, content: [{ type: "text", text: "x" }], ...(stopReason ? { stopReason } : {}) } })}\n`;

describe("one check reads each transcript once", () => {
  it("a running task's session, also counted as a busy sub-agent, is read once and judged the same both ways", async () => {
    const now = Date.now();
    const store: SessionsStore = {
      "agent:main:subagent:ours": {
        sessionId: "s-ours",
        updatedAt: now - 1000,
        modelProvider: "fake",
        model: "cheap-flash",
      },
      "agent:main:subagent:other": { sessionId: "s-other", updatedAt: now - 2000 },
    };
    writeFileSync(path.join(t.dir, "s-ours.jsonl"), line("user") + line("assistant", "stop"));
    writeFileSync(path.join(t.dir, "s-other.jsonl"), line("user"));
    const reads: string[] = [];
    const counting = (file: string): Promise<RunOutcome> => {
      reads.push(path.basename(file));
      return readRunOutcome(file);
    };
    const read = readEachOnce(counting);

    const [active, ours] = await Promise.all([
      activeSubagentKeys(t.dir, store, now, 60_000, read),
      sessionOutcome(t.dir, store, "agent:main:subagent:ours", read),
    ]);

    expect(active).toEqual(["agent:main:subagent:other"]);
    expect(ours).toEqual({ status: "done", model: "fake/cheap-flash", toolCalls: 0 });
    expect(reads.sort()).toEqual(["s-other.jsonl", "s-ours.jsonl"]);
    // A new reader (the next check) reads again: nothing is remembered between checks here.
    await sessionOutcome(t.dir, store, "agent:main:subagent:ours", readEachOnce(counting));
    expect(reads).toHaveLength(3);
  });
});
