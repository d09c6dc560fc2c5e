import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const coreDir = path.join(ROOT, "src/core");
const files = readdirSync(coreDir).filter((f) => f.endsWith(".ts"));

describe("src/core is pure", () => {
  it("has files to check", () => expect(files.length).toBeGreaterThan(5));
  for (const file of files) {
    it(`${file} imports no node: modules and reads no clock, process or randomness`, () => {
      const code = readFileSync(path.join(coreDir, file), "utf8").replace(
        /\/\*[\s\S]*?\*\/|\/\/.*$/gm,
        "",
      );
      const imports = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]!);
      for (const spec of imports)
        expect(spec === "zod" || spec.startsWith("./") || spec.startsWith("../policy/schema")).toBe(
          true,
        );
      expect(code).not.toMatch(
        /\bDate\.now\(|\bnew Date\(\)|\bprocess\.|\bMath\.random\(|\brequire\(/,
      );
    });
  }
});
