import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliJson, tempDir } from "../helpers/cli.js";

let ws: { dir: string; cleanup: () => void };
beforeEach(() => (ws = tempDir()));
afterEach(() => ws.cleanup());

function checkWith(file: string, content: string) {
  writeFileSync(path.join(ws.dir, file), content);
  return cliJson<{
    status: string;
    code?: string;
    message?: string;
    recommendation?: { model: string };
  }>(["check", "-w", ws.dir]);
}

describe("config errors name the file, the key and what was expected", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    [".taskmanagerrc", '{"maxConcurent": 2}', "maxConcurent", /unknown key maxConcurent/],
    [
      ".taskmanagerrc.json",
      '{"maxConcurrent": "two"}',
      "maxConcurrent",
      /key "maxConcurrent": .*number/i,
    ],
    [
      ".taskmanagerrc.yaml",
      "models:\n  - gpt-4o\n",
      "models.0",
      /key "models\.0": expected "provider\/model"/,
    ],
    [
      ".taskmanagerrc",
      '{"retry": {"maxAttempts": 0}}',
      "retry.maxAttempts",
      /key "retry\.maxAttempts"/,
    ],
    [".taskmanagerrc", '{"models": []}', "models", /key "models"/],
    [
      ".taskmanagerrc",
      '{"schedule": "every tuesday"}',
      "schedule",
      /key "schedule": expected "heartbeat" or a croner pattern/,
    ],
    [
      ".taskmanagerrc",
      '{"queueFile": "../../etc/passwd"}',
      "queueFile",
      /queueFile "..\/..\/etc\/passwd" resolves to .* outside the workspace/,
    ],
  ];
  for (const [file, content, key, pattern] of cases) {
    it(`${file} with a bad ${key}`, () => {
      const r = checkWith(file, content);
      expect(r.code).toBe(1);
      expect(r.body.status).toBe("ERROR");
      expect(r.body.message).toMatch(pattern);
      if (key !== "queueFile") {
        expect(r.body.code).toBe("E_CONFIG_INVALID");
        expect(r.body.message).toContain(path.join(ws.dir, file));
      } else {
        expect(r.body.code).toBe("E_UNSAFE_PATH");
      }
    });
  }

  it("a valid YAML rc file is used; the recommended model comes from its whitelist", () => {
    mkdirSync(path.join(ws.dir, "memory"));
    writeFileSync(
      path.join(ws.dir, ".taskmanagerrc.yml"),
      "models: [cheap/flash-lite, cheap/mini]\nmaxConcurrent: 2\nloadThreshold: 1000\nminFreeMemoryMB: 0\n",
    );
    cliJson(["add", "t", "--json", "-w", ws.dir]);
    expect(
      cliJson<{ recommendation: { model: string } }>(["check", "-w", ws.dir]).body.recommendation
        .model,
    ).toBe("cheap/flash-lite");
  });

  it("a taskmanager key in the workspace package.json is used", () => {
    writeFileSync(
      path.join(ws.dir, "package.json"),
      JSON.stringify({
        name: "ws",
        taskmanager: { models: ["local/tiny"], loadThreshold: 1000, minFreeMemoryMB: 0 },
      }),
    );
    cliJson(["add", "t", "--json", "-w", ws.dir]);
    expect(
      cliJson<{ recommendation: { model: string } }>(["check", "-w", ws.dir]).body.recommendation
        .model,
    ).toBe("local/tiny");
  });
});
