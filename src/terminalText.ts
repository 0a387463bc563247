// Text from logs and databases is attacker-controlled as far as the terminal is concerned:
// escape sequences in a request id or host name must never reach it raw. This is the program's one rule for text
// that leaves it: the text faces (CLI renderers, stderr, the TUI) escape visibly, JSON escapes as \u (jsonSafe), and
// both mask every password (src/secrets.ts) on the way.
import { maskSecrets, mayHoldSecret } from './secrets.js';

// C0 controls except tab/newline, DEL, C1 controls (0x80-0x9f), bidi marks, embeddings, overrides and isolates that
// can reorder what is shown, zero-width and invisible characters that can hide text, the Unicode line/paragraph
// separators, and the tag characters (U+E0000-U+E007F, invisible text that some terminals and models still read).
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff\u{e0000}-\u{e007f}]/gu;

/** Makes a string safe to print: control characters become visible `\xNN` / `\u{NNNN}` escapes; passwords `***`. */
export function terminalSafe(text: string): string {
  return maskSecrets(text).replace(UNSAFE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Single-line variant for table cells: newlines and tabs escaped too. */
export function terminalSafeLine(text: string): string {
  return terminalSafe(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

// What JSON.stringify leaves raw but a terminal (or a reader's `jq -r`) would act on: DEL, C1, the invisible and
// reordering characters above. Inside valid JSON they can only stand in strings, so a \u escape keeps it valid.
const JSON_UNSAFE =
  /[\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * Whether jsonSafe(json) is `json` itself, known from the text and its UTF-8 length `utf8Bytes` (as a Buffer write
 * returns it, so the encoding is the check): as many bytes as UTF-16 units means ASCII only, where the one character
 * JSON_UNSAFE matches is DEL; and no password to mask (mayHoldSecret, as jsonSafe asks).
 */
export function plainAsciiJson(json: string, utf8Bytes: number): boolean {
  return utf8Bytes === json.length && !json.includes('\u007f') && !mayHoldSecret(json);
}

/**
 * JSON text (as JSON.stringify wrote it) with the characters of terminalSafe written as `\uXXXX` escapes (a tag
 * character as its surrogate pair) and every password masked; still valid JSON, and a parser reads the same strings
 * back (masked passwords apart). Works on any piece that holds whole string literals.
 */
export function jsonSafe(json: string): string {
  JSON_UNSAFE.lastIndex = 0;
  const unsafe = JSON_UNSAFE.test(json);
  const secret = mayHoldSecret(json);
  if (!unsafe && !secret) return json;
  let out = json;
  if (secret) out = out.replace(JSON_STRING, (s) => maskSecrets(s));
  return unsafe
    ? out.replace(JSON_UNSAFE, (c) => {
        let esc = '';
        for (let i = 0; i < c.length; i++) esc += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
        return esc;
      })
    : out;
}
