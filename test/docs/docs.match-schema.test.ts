import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generatedArtifacts } from "../../scripts/artifacts.js";
import {
  GATEWAY_KEYS,
  DEFAULT_POLICY as ZOD_DEFAULTS,
  policySchema,
} from "../../src/policy/schema.js";
import { DEFAULT_POLICY } from "../../src/policy/defaults.js";
import { DEFER_REASONS } from "../../src/core/decide.js";
import {
  ALERT_TYPES,
  FAILURE_KINDS,
  HISTORY_OUTCOMES,
  HOLD_SCOPES,
  HOLD_SOURCES,
  TASK_REASONS,
  TASK_STATES,
} from "../../src/core/queue-model.js";
import { ROOT } from "../helpers/cli.js";

const read = (rel: string): string => readFileSync(path.join(ROOT, rel), "utf8");
const pkg = JSON.parse(read("package.json")) as { version: string };

/**
 * Every leaf key of the defaults, dotted: retry.maxAttempts, capture.main, … An empty object
 * (`budget.providers`: a record the user fills) is a leaf of its own, documented with `{}`.
 */
function leaves(obj: Record<string, unknown>, prefix = ""): Array<[string, unknown]> {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0
      ? leaves(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

describe("documents generated from or describing the schema do not drift", () => {
  for (const [rel, content] of Object.entries(generatedArtifacts(pkg.version))) {
    it(`${rel} is what \`npm run generate\` writes`, () => expect(read(rel)).toBe(content));
  }

  it("the zod-free defaults used when there is no config equal what the schema produces", () => {
    expect(DEFAULT_POLICY).toEqual(policySchema.parse({}));
    expect(DEFAULT_POLICY).toEqual(ZOD_DEFAULTS);
  });

  it("INTEGRATION.md lists every config key with its default", () => {
    const doc = read("INTEGRATION.md");
    for (const [key, value] of leaves(DEFAULT_POLICY as unknown as Record<string, unknown>)) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${key}\``));
      expect(row, `INTEGRATION.md has no table row for ${key}`).toBeDefined();
      expect(row).toContain(`\`${JSON.stringify(value)}\``);
    }
  });

  it("INTEGRATION.md lists every plugin-only (gateway) key", () => {
    const doc = read("INTEGRATION.md");
    for (const key of GATEWAY_KEYS)
      expect(
        doc.split("\n").some((line) => line.startsWith(`| \`${key}\``)),
        `INTEGRATION.md has no table row for ${key}`,
      ).toBe(true);
  });

  it("INTEGRATION.md explains every DEFERRED reason", () => {
    const doc = read("INTEGRATION.md");
    for (const reason of DEFER_REASONS) expect(doc).toContain(`\`${reason}\``);
  });

  it("INTEGRATION.md names every task state, reason, alert type, failure kind, history outcome and hold scope/source", () => {
    const doc = read("INTEGRATION.md");
    for (const value of [
      ...TASK_STATES,
      ...TASK_REASONS,
      ...ALERT_TYPES,
      ...FAILURE_KINDS,
      ...HISTORY_OUTCOMES,
      ...HOLD_SCOPES,
      ...HOLD_SOURCES,
    ]) {
      expect(doc, value).toContain(`\`${value}\``);
    }
  });

  it("HEARTBEAT.md tells the agent what to do with every alert type", () => {
    const heartbeat = read("HEARTBEAT.md");
    for (const type of ALERT_TYPES) expect(heartbeat, type).toContain(`\`${type}\``);
  });

  it("SKILL.md has the single-line frontmatter the host accepts, metadata as one line of JSON requiring node", () => {
    const skill = read("SKILL.md");
    const front = /^---\n([\s\S]*?)\n---\n/.exec(skill)?.[1] ?? "";
    const fields = Object.fromEntries(
      front
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
    );
    expect(fields.name).toBe("task-manager");
    expect(fields.description?.length).toBeGreaterThan(20);
    expect(JSON.parse(fields.metadata ?? "{}")).toMatchObject({
      clawdbot: { requires: { bins: ["node"] } },
    });
  });
});
