// Strings from logs and databases are attacker-reachable (a request id or hostname can carry bytes a
// user typed), and ink passes SGR and OSC sequences through untouched: an OSC 52 in a log line would
// write the operator's clipboard, an OSC 0 would retitle the terminal. So every such string goes
// through here before it is rendered. The escaping (and password masking) is the program's one rule,
// terminalSafeLine: C0/C1 controls, bidi embeddings, overrides and isolates, zero-width and other
// invisible characters, tag characters, and newlines and tabs, which would break the one-row-per-line layout.
import { terminalSafeLine } from '../terminalText.js';

/** The text on one row, with every control or invisible formatting character shown as an escape. */
export function sanitize(text: string): string {
  return terminalSafeLine(text);
}

/** sanitize() for values that may be absent, with what to show instead. */
export function safe(value: string | number | null | undefined, absent = '-'): string {
  if (value === null || value === undefined) return absent;
  return sanitize(String(value));
}
