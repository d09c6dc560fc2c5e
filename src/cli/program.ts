/**
 * The full command line (commander). `check` is also reachable without it, see main.ts; both
 * run the same runCheckCommand. The commands live in three groups: tasks, states, admin.
 */
import { Command, CommanderError } from "commander";
import { escapeControlChars } from "../base/terminal.js";
import { adminCommands } from "./commands-admin.js";
import { stateCommands } from "./commands-states.js";
import { taskCommands } from "./commands-tasks.js";
import { reportFailure } from "./output.js";

export function buildProgram(): Command {
  const program = new Command("task-manager")
    .description(
      "Durable queue that resumes failed or interrupted agent tasks on the heartbeat, on cheap models.",
    )
    .showHelpAfterError()
    .exitOverride()
    // commander's usage errors quote the argument they refused, which may be task text: shown
    // escaped like every other output, never sent raw to a terminal.
    .configureOutput({
      writeOut: (text) => process.stdout.write(escapeControlChars(text)),
      writeErr: (text) => process.stderr.write(escapeControlChars(text)),
    });
  taskCommands(program);
  stateCommands(program);
  adminCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not failures; everything else commander rejects is usage.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportFailure(err, argv.includes("--json"));
  }
}
