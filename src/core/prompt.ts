import { TaskManagerError } from "../base/errors.js";

/** Prompts above this are refused, not truncated: a cut task is a different task. */
export const MAX_PROMPT_BYTES = 64 * 1024;

// C0 controls except tab and newline, DEL, and C1 controls: they can rewrite a terminal or a
// log line. Shell metacharacters ($, `, ;, quotes) are kept: task text is data, never a command.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** `text` without control characters (tab and newline kept): for text from outside (errors, legacy files). */
export const stripControlChars = (text: string): string => text.replace(CONTROL_CHARS, "");

/** Cleans and checks task text; throws E_INVALID_INPUT / E_PROMPT_TOO_LARGE. */
export function normalizePrompt(text: string): string {
  const cleaned = text.replace(/\r\n?/g, "\n").replace(CONTROL_CHARS, "");
  if (cleaned.trim() === "") {
    throw new TaskManagerError(
      "E_INVALID_INPUT",
      "Task prompt is empty: give the task text as the argument.",
    );
  }
  const bytes = Buffer.byteLength(cleaned, "utf8");
  if (bytes > MAX_PROMPT_BYTES) {
    throw new TaskManagerError(
      "E_PROMPT_TOO_LARGE",
      `Task prompt is ${bytes} bytes; the limit is ${MAX_PROMPT_BYTES}. Put the material in a workspace file and queue a prompt that names the file.`,
      { bytes, limit: MAX_PROMPT_BYTES },
    );
  }
  return cleaned;
}
