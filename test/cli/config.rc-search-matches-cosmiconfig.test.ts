import { createRequire } from "node:module";
import { getDefaultSearchPlaces } from "cosmiconfig";
import { describe, expect, it } from "vitest";
import {
  CODE_PLACES,
  DATA_PLACES,
  META_CODE_PLACES,
  META_DATA_PLACES,
} from "../../src/policy/load.js";

// Not re-exported by the package index; read from the module that defines it.
const { metaSearchPlaces } = createRequire(import.meta.url)("cosmiconfig/dist/defaults.js") as {
  metaSearchPlaces: string[];
};

/**
 * cosmiconfig is no longer loaded (it ran code configs); our own search must still look
 * everywhere it looked, so no config a user relied on is silently ignored: each of its places
 * is either read as data or refused as code (issue 16, point 2). cosmiconfig stays a dev
 * dependency for this comparison only.
 */
describe("the config search covers every place cosmiconfig looked", () => {
  it("every default search place is a data place (read) or a code place (refused), in order", () => {
    const ours = new Set([...DATA_PLACES.map(([p]) => p), ...CODE_PLACES]);
    const theirs = getDefaultSearchPlaces("taskmanager");
    for (const place of theirs) expect(ours.has(place), place).toBe(true);
    // Data places keep cosmiconfig's order (first found wins), the .json5 forms added.
    const dataInTheirs = DATA_PLACES.map(([p]) => p).filter((p) => theirs.includes(p));
    expect(dataInTheirs).toEqual(theirs.filter((p) => dataInTheirs.includes(p)));
  });

  it("every meta-config place is looked at: code forms refused, data forms checked", () => {
    const ours = new Set([...META_CODE_PLACES, ...META_DATA_PLACES.map(([p]) => p)]);
    for (const place of metaSearchPlaces) expect(ours.has(place), place).toBe(true);
  });
});
