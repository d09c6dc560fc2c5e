import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { decodeQueue } from "../../../dist/store/file/codec.js";

/**
 * The invariant of issue 16 at every edge that takes input: an input is either refused with a
 * clear error (a stable `E_…` code that is neither E_INTERNAL nor the store's last-resort
 * E_WOULD_CORRUPT, and a message) or it leaves a queue
 * the package's own reader accepts. These helpers judge one answer and one queue file.
 */

/** Why an answer is not a clear refusal, or null when it is one. */
export function refusalProblem(answer: unknown): string | null {
  if (typeof answer !== "object" || answer === null) return "the answer is not an object";
  const a = answer as { status?: unknown; code?: unknown; message?: unknown };
  if (a.status !== undefined && a.status !== "ERROR") return `status is ${String(a.status)}`;
  if (typeof a.code !== "string" || !/^E_[A-Z_]+$/.test(a.code)) return "no E_… code";
  if (a.code === "E_INTERNAL") return "E_INTERNAL (an unforeseen input, not a refusal)";
  // The store's last check (nothing written, "a bug"): the edge should have refused it itself.
  if (a.code === "E_WOULD_CORRUPT")
    return "E_WOULD_CORRUPT (the edge let through what only the store caught)";
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
  fc.integer({ min: 995, max: 1005 }).map(String),
  fc.integer({ min: 1001 }).map(String),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: 10n ** 15n, max: 10n ** 30n }).map(String),
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
    // A refused value is quoted back in the usage error: it must reach the terminal escaped.
    "5\u001b]0;pwned\u0007",
    "\u009b31m",
  ),
  fc.string({ maxLength: 12 }),
);

/**
 * Why a task an edge accepted breaks a documented bound, or null. A queue holding a priority of
 * 5000 still reads, so the invariant alone would not see a bound gone missing; this does.
 */
export function acceptedTaskProblem(task: unknown): string | null {
  if (typeof task !== "object" || task === null) return null;
  const t = task as { priority?: unknown; source?: unknown; key?: unknown; prompt?: unknown };
  if (t.priority !== undefined) {
    const p = t.priority;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 1000)
      return `accepted priority ${String(p)} (documented 1–1000)`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a label must hold none.
  const control = /[\u0000-\u001F\u007F-\u009F]/;
  for (const [name, value, max] of [
    ["source", t.source, 200],
    ["key", t.key, 500],
  ] as const)
    if (typeof value === "string" && (value.length > max || control.test(value)))
      return `accepted a ${name} of ${value.length} characters or with control characters`;
  if (typeof t.prompt === "string" && Buffer.byteLength(t.prompt) > 64 * 1024)
    return `accepted a prompt of ${Buffer.byteLength(t.prompt)} bytes (limit 64 KiB)`;
  return null;
}

/** Priorities as an edge may be sent them: around the bounds, far beyond, not integers. */
export const priorityValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.integer({ min: 1001, max: 2 ** 31 }),
  fc.integer({ min: -(2 ** 31), max: 0 }),
  fc.constantFrom(1e300, 1e23, 2 ** 53, 1.5, Number.MAX_VALUE, -0, "5", "1e3", null),
);
