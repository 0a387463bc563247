// Text from logs and databases is attacker-controlled as far as the terminal is concerned:
// escape sequences in a request id or host name must never reach it raw.

// C0 controls except tab/newline, DEL, C1 controls (0x80-0x9f), bidi marks and overrides that can reorder what is
// shown, zero-width and invisible characters that can hide text, and the Unicode line/paragraph separators.
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Makes a string safe to print: control characters become visible `\xNN` / `\u{NNNN}` escapes. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Single-line variant for table cells: newlines and tabs escaped too. */
export function terminalSafeLine(text: string): string {
  return terminalSafe(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
