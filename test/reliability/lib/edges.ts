import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { decodeQueue } from "../../../dist/store/file/codec.js";

/**
 * The invariant of issue 16 at every edge that takes input: an input is either refused with a
 * clear error (a stable `E_…` code that is not E_INTERNAL, and a message) or it leaves a queue
 * the package's own reader accepts. These helpers judge one answer and one queue file.
 */

/** Why an answer is not a clear refusal, or null when it is one. */
export function refusalProblem(answer: unknown): string | null {
  if (typeof answer !== "object" || answer === null) return "the answer is not an object";
  const a = answer as { status?: unknown; code?: unknown; message?: unknown };
  if (a.status !== undefined && a.status !== "ERROR") return `status is ${String(a.status)}`;
  if (typeof a.code !== "string" || !/^E_[A-Z_]+$/.test(a.code)) return "no E_… code";
  if (a.code === "E_INTERNAL") return "E_INTERNAL (an unforeseen input, not a refusal)";
  if (typeof a.message !== "string" || a.message.trim() === "") return "no message";
  return null;
}

/** Why the queue file is not one the reader accepts, or null when it is (or there is none). */
export function queueProblem(file: string): string | null {
  if (!existsSync(file)) return null;
  try {
    decodeQueue(readFileSync(file), file, Date.now());
    return null;
  } catch (err) {
    return `the reader refuses the queue: ${(err as Error).message}`;
  }
}

/** Text as hostile as text gets: control characters, escapes, any code point, big. */
export function hostileText(maxLength = 200): fc.Arbitrary<string> {
  const escapes = fc.constantFrom(
    "\u001b[2J",
    "\u001b]0;pwned\u0007",
    "\u009b31m",
    "\r\n",
    "\t",
    "\u0000",
    "\u202e",
    "\ud800",
    "$(touch PWNED)",
    "`id`",
    "{{",
    "%s%n",
  );
  return fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc
      .array(fc.oneof(escapes, fc.string({ maxLength: 8 })), { maxLength: 20 })
      .map((p) => p.join("")),
    // Around and beyond the bounds (a prompt is at most 64 KiB, a key 500 characters, a label 200).
    fc
      .tuple(
        fc.constantFrom(199, 200, 201, 499, 500, 501, 65_535, 65_536, 70_000),
        fc.constantFrom("x", "é", "😀"),
      )
      .map(([n, c]) => c.repeat(n)),
  );
}

/** Numbers written as a user or a model might: in range, out of it, huge, odd spellings. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom(
    "0",
    "1",
    "1000",
    "1001",
    "-1",
    "1e3",
    "0x10",
    "5.0",
    " 5",
    "",
    "NaN",
    "Infinity",
    "99999999999999999999999",
  ),
  fc.string({ maxLength: 12 }),
);
