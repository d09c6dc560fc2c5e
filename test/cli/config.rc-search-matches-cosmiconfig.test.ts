import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { getDefaultSearchPlaces } from "cosmiconfig";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadPolicyFile,
  META_SEARCH_PLACES,
  mightFindConfig,
  RC_SEARCH_PLACES,
} from "../../src/policy/load.js";
import { tempDir } from "../helpers/cli.js";

// Not re-exported by the package index; read from the module that defines it.
const { metaSearchPlaces } = createRequire(import.meta.url)("cosmiconfig/dist/defaults.js") as {
  metaSearchPlaces: string[];
};

let ws: { dir: string; cleanup: () => void };
let cwd: { dir: string; cleanup: () => void };
beforeEach(() => {
  ws = tempDir();
  cwd = tempDir();
});
afterEach(() => {
  ws.cleanup();
  cwd.cleanup();
});

// loadPolicyFile skips cosmiconfig (and its start-up cost) when no file it would look at exists;
// that is only the same behaviour while these lists are cosmiconfig's own.
describe("the config pre-check looks exactly where cosmiconfig looks", () => {
  it("uses cosmiconfig's search places and meta-config places", () => {
    expect(RC_SEARCH_PLACES).toEqual(getDefaultSearchPlaces("taskmanager"));
    expect(META_SEARCH_PLACES).toEqual(metaSearchPlaces);
  });

  it("finds nothing in an empty workspace, and defaults apply", async () => {
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(false);
    expect(await loadPolicyFile(ws.dir)).toMatchObject({ file: null, raw: {} });
  });

  it("sees every search place, a .config one included", async () => {
    for (const place of RC_SEARCH_PLACES.filter((p) => p !== "package.json")) {
      const t = tempDir();
      mkdirSync(path.join(t.dir, ".config"));
      writeFileSync(path.join(t.dir, place), "{}");
      expect(mightFindConfig(t.dir, cwd.dir), place).toBe(true);
      t.cleanup();
    }
    mkdirSync(path.join(ws.dir, ".config"));
    writeFileSync(path.join(ws.dir, ".config/taskmanagerrc.json"), '{"maxConcurrent": 3}');
    expect((await loadPolicyFile(ws.dir)).policy.maxConcurrent).toBe(3);
  });

  it("counts a package.json only with a taskmanager key (or when it cannot be parsed)", async () => {
    writeFileSync(path.join(ws.dir, "package.json"), '{"name": "x"}');
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(false);
    writeFileSync(
      path.join(ws.dir, "package.json"),
      '{"name": "x", "taskmanager": {"maxConcurrent": 2}}',
    );
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(true);
    expect((await loadPolicyFile(ws.dir)).policy.maxConcurrent).toBe(2);
    writeFileSync(path.join(ws.dir, "package.json"), "{ not json");
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(true);
  });

  it("defers to cosmiconfig when the current directory has a meta config", () => {
    writeFileSync(
      path.join(cwd.dir, "package.json"),
      '{"cosmiconfig": {"searchPlaces": ["tm.json"]}}',
    );
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(true);
    writeFileSync(path.join(cwd.dir, "package.json"), '{"name": "plain"}');
    expect(mightFindConfig(ws.dir, cwd.dir)).toBe(false);
  });
});
