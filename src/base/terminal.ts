// C0 controls but tab and newline, DEL, and C1 controls: what a terminal acts on (ESC starts
// CSI/OSC sequences; C1 0x9b/0x9d are their one-byte forms; CR overwrites a line).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * `text` with every terminal control shown as `\uXXXX`: visible, never acted on. Inside JSON
 * the same escape is valid and parses back to the same string, so `--json` output stays the
 * same document.
 */
export function escapeControlChars(text: string): string {
  return text.replace(
    TERMINAL_CONTROLS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
