/**
 * The shape of the house, as ARCHITECTURE.md draws it: folders of src/ stacked in floors, every
 * import running down a floor (or within its own folder), no module importing itself in a
 * circle, the core pure, and no product code reaching into tooling (bench/, scripts/, lib/,
 * test/). Imports are read from the sources, type-only ones included: a type import that runs
 * up a floor couples the floors just the same.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const SRC = path.join(ROOT, "src");

/** Bottom first. Folders on one floor may not import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ["base"],
  ["policy"],
  ["core"],
  ["store", "host"],
  ["runtime"],
  ["page"],
  ["cli", "plugin"],
  ["index.ts"],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

const FILES = sources(SRC);
const stripComments = (code: string): string => code.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");

/** Every module specifier a file names: static imports and re-exports, import(), require(). */
function specifiers(file: string): string[] {
  const code = stripComments(readFileSync(file, "utf8"));
  const found = [
    ...code.matchAll(/\bfrom\s+"([^"]+)"/g),
    ...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
    ...code.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

/**
 * The source file a relative specifier names ("./x.js" → x.ts); null for packages and for the
 * bundle next door (`require("./check.cjs")` in the CLI entry names the build's output).
 */
function target(from: string, spec: string): string | null {
  if (!spec.startsWith(".") || spec.endsWith(".cjs")) return null;
  return path.resolve(path.dirname(from), spec).replace(/\.js$/, ".ts");
}

/** The top folder of a source (or "index.ts" for src/index.ts). */
const unit = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!;
const floorOf = (u: string): number => FLOORS.findIndex((floor) => floor.includes(u));

const edges = FILES.flatMap((from) =>
  specifiers(from).flatMap((spec) => {
    const to = target(from, spec);
    return to === null ? [] : [{ from, to, spec }];
  }),
);
const rel = (file: string): string => path.relative(ROOT, file);

describe("src/ is stacked in floors that import only downwards", () => {
  it("every folder of src/ is on a floor", () => {
    const units = new Set(FILES.map(unit));
    expect([...units].filter((u) => floorOf(u) === -1)).toEqual([]);
    expect(units.size).toBeGreaterThan(6);
  });

  it("every relative import names a file that exists in src/", () => {
    const missing = edges.filter((e) => !e.to.startsWith(SRC + path.sep) || !FILES.includes(e.to));
    expect(missing.map((e) => `${rel(e.from)} → ${e.spec}`)).toEqual([]);
  });

  it("no import runs up a floor or sideways to another folder of the same floor", () => {
    const wrong = edges.filter((e) => {
      const a = unit(e.from);
      const b = unit(e.to);
      return a !== b && floorOf(b) >= floorOf(a);
    });
    expect(wrong.map((e) => `${rel(e.from)} → ${rel(e.to)}`)).toEqual([]);
  });

  it("no module reaches itself through its imports (no circles)", () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const state = new Map<string, "open" | "done">();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of FILES) visit(file, []);
    expect(circles).toEqual([]);
  });

  it("product code imports no tooling: nothing from bench/, scripts/, lib/ or test/", () => {
    const tooling = FILES.flatMap((file) =>
      specifiers(file)
        .filter((s) => /(^|\/)(bench|scripts|lib|test)\//.test(s) && s.startsWith("."))
        .filter((s) => !path.resolve(path.dirname(file), s).startsWith(SRC))
        .map((s) => `${rel(file)} → ${s}`),
    );
    expect(tooling).toEqual([]);
  });

  it("base imports nothing of ours outside base", () => {
    const out = edges.filter((e) => unit(e.from) === "base" && unit(e.to) !== "base");
    expect(out.map((e) => `${rel(e.from)} → ${rel(e.to)}`)).toEqual([]);
  });
});

/** Names that parallel adapter folders share on purpose (ARCHITECTURE.md): the same role each. */
const SHARED_ROLES = ["port.ts", "adapter.ts", "spawner.ts"];

describe("a file name says one thing in src/", () => {
  it("no two files of src/ share a name, but the roles parallel adapters play", () => {
    const byName = new Map<string, string[]>();
    for (const file of FILES) {
      const name = path.basename(file);
      byName.set(name, [...(byName.get(name) ?? []), rel(file)]);
    }
    const twice = [...byName].filter(([name, at]) => at.length > 1 && !SHARED_ROLES.includes(name));
    expect(twice.map(([, at]) => at.join(" and "))).toEqual([]);
  });
});

const CORE = FILES.filter((f) => unit(f) === "core");
/** What core may use besides itself: the error type and the pure helpers of base, policy types. */
const CORE_MAY_IMPORT = ["base/errors.ts", "base/json.ts", "policy/schema.ts"];

describe("src/core is pure", () => {
  it("has files to check", () => expect(CORE.length).toBeGreaterThan(5));
  for (const file of CORE) {
    it(`${path.basename(file)} imports no node: modules and reads no clock, process or randomness`, () => {
      const code = stripComments(readFileSync(file, "utf8"));
      for (const spec of specifiers(file)) {
        const to = target(file, spec);
        const ok =
          spec === "zod" ||
          (to !== null &&
            (unit(to) === "core" || CORE_MAY_IMPORT.includes(path.relative(SRC, to))));
        expect(ok, `${rel(file)} imports ${spec}`).toBe(true);
      }
      expect(code).not.toMatch(
        /\bDate\.now\(|\bnew Date\(\)|\bprocess\.|\bMath\.random\(|\brequire\(/,
      );
    });
  }
});
