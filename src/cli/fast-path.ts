/**
 * Recognises the one command line the heartbeat runs every tick — `check`, with at most
 * `-w/--workspace DIR` and `--json` — so main.ts can answer it without loading commander and
 * every other command. Anything else (help, a typo, an unusual spelling) returns null and goes
 * to commander, which owns all parsing and error messages; so this may refuse, never differ.
 */
export function parseFastCheck(args: readonly string[]): { workspace: string | undefined } | null {
  if (args[0] !== "check") return null;
  let workspace: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") continue;
    if (arg === "-w" || arg === "--workspace") {
      const value = args[i + 1];
      if (!isPlainValue(value)) return null;
      workspace = value;
      i += 1;
      continue;
    }
    if (arg.startsWith("--workspace=") && isPlainValue(arg.slice("--workspace=".length))) {
      workspace = arg.slice("--workspace=".length);
      continue;
    }
    return null;
  }
  return { workspace };
}

/** A value commander would take the same way: present, non-empty, not option-like. */
const isPlainValue = (value: string | undefined): value is string =>
  value !== undefined && value !== "" && !value.startsWith("-");
