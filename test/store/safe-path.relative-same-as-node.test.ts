import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { relativeTo } from "../../src/base/paths.js";

describe("relativeTo answers exactly as path.relative", () => {
  it("for roots and targets built from ordinary, empty, dot and dot-dot parts", () => {
    const part = fc.constantFrom(
      "ws",
      "memory",
      "q.json",
      "..",
      ".",
      "",
      "..notes",
      "a b",
      "ws2",
      "WS",
    );
    const abs = fc.array(part, { maxLength: 6 }).map((parts) => `/${parts.join("/")}`);
    // Roots come resolved (as the callers pass them); targets may be anything.
    fc.assert(
      fc.property(abs, abs, fc.boolean(), (rootRaw, target, nested) => {
        const root = path.resolve(rootRaw);
        const t = nested ? `${root}/${target.slice(1)}` : target;
        expect(relativeTo(root, t)).toBe(path.relative(root, t));
      }),
      { numRuns: 5000, seed: 53 },
    );
    expect(relativeTo("/", "/ws/memory")).toBe("ws/memory");
    expect(relativeTo("/ws", "/ws")).toBe("");
    expect(relativeTo("/ws", "/ws2/q.json")).toBe("../ws2/q.json");
  });
});
