// Strings from logs and databases are attacker-reachable (a request id or hostname can carry bytes a
// user typed), and ink passes SGR and OSC sequences through untouched: an OSC 52 in a log line would
// write the operator's clipboard, an OSC 0 would retitle the terminal. So every such string goes
// through here before it is rendered. The escaping itself is the program's one rule
// (terminalSafeLine); the TUI adds the invisible characters that would break its one-row-per-line
// layout or make text read other than it is stored.
import { terminalSafeLine } from '../terminalText.js';

// Arabic letter mark, zero-width space/joiners and LRM/RLM, line/paragraph separators, word joiner
// and invisible operators, isolates, byte-order mark.
const INVISIBLE = /[\u061c\u200b-\u200f\u2028\u2029\u2060-\u2069\ufeff]/g;

/** The text on one row, with every control or invisible formatting character shown as an escape. */
export function sanitize(text: string): string {
  return terminalSafeLine(text).replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** sanitize() for values that may be absent, with what to show instead. */
export function safe(value: string | number | null | undefined, absent = '-'): string {
  if (value === null || value === undefined) return absent;
  return sanitize(String(value));
}
