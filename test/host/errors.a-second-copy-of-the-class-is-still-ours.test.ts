import { describe, expect, it } from "vitest";
import { isTaskManagerError, TaskManagerError } from "../../src/base/errors.js";

/**
 * A host that loads the lazily imported host adapter through another loader holds a second
 * copy of the error class; the catalog refusal from that copy must still be recognised, or the
 * model is never put on cooldown and the task waits instead of falling back.
 */
describe("isTaskManagerError", () => {
  it("recognises an error thrown by a second copy of the class", async () => {
    const specifier = new URL("../../src/base/errors.ts?second-copy", import.meta.url).href;
    const copy: typeof import("../../src/base/errors.js") = await import(
      /* @vite-ignore */ specifier
    );
    const foreign = new copy.TaskManagerError("E_MODEL_UNAVAILABLE", "not in catalog");
    expect(foreign instanceof TaskManagerError).toBe(false);
    expect(isTaskManagerError(foreign)).toBe(true);
  });

  it("does not take a look-alike with an unknown code for one of ours", () => {
    const lookAlike = Object.assign(new Error("x"), { name: "TaskManagerError", code: "E_NOPE" });
    expect(isTaskManagerError(lookAlike)).toBe(false);
    expect(isTaskManagerError({ name: "TaskManagerError", code: "E_INTERNAL" })).toBe(false);
  });
});
