// A reader for Python reprs as nova logs them: str/unicode/bytes (py2 `u'…'`, `b'…'`), int/long/float,
// True/False/None, lists, tuples, dicts. One pass, no backtracking, bounded nesting, so a hostile or
// truncated log line costs linear time and never throws.

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export interface PyParse {
  value: PyValue;
  /** Index just past the literal in the input. */
  end: number;
}

const MAX_DEPTH = 64;

/** Parses one literal starting at `start` (leading spaces skipped). Returns null when there is none. */
export function parsePyLiteral(text: string, start = 0): PyParse | null {
  const p = new Reader(text, start);
  const value = p.value(0);
  if (value === FAIL) return null;
  return { value, end: p.i };
}

/** Parses `text` as exactly one literal (surrounding spaces allowed). */
export function parsePyLiteralExact(text: string): PyValue | undefined {
  const r = parsePyLiteral(text);
  if (r === null) return undefined;
  let i = r.end;
  while (i < text.length && text.charCodeAt(i) === 32) i++;
  return i === text.length ? r.value : undefined;
}

const FAIL: unique symbol = Symbol('fail');
type Result = PyValue | typeof FAIL;

class Reader {
  constructor(
    readonly s: string,
    public i: number,
  ) {}

  private spaces(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.i++;
    }
  }

  value(depth: number): Result {
    if (depth > MAX_DEPTH) return FAIL;
    this.spaces();
    const s = this.s;
    if (this.i >= s.length) return FAIL;
    const c = s[this.i];
    if (c === '[') return this.sequence(']', depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === '{') return this.dict(depth);
    if (c === "'" || c === '"') return this.string();
    if ((c === 'u' || c === 'b' || c === 'U' || c === 'B') && (s[this.i + 1] === "'" || s[this.i + 1] === '"')) {
      this.i++;
      return this.string();
    }
    if (s.startsWith('True', this.i)) return this.word(4, true);
    if (s.startsWith('False', this.i)) return this.word(5, false);
    if (s.startsWith('None', this.i)) return this.word(4, null);
    return this.number();
  }

  private word(len: number, v: PyValue): Result {
    this.i += len;
    return v;
  }

  private number(): Result {
    const s = this.s;
    const start = this.i;
    let j = this.i;
    if (s[j] === '-' || s[j] === '+') j++;
    const digitsStart = j;
    while (j < s.length && /[0-9.eE+\-x_a-fA-F]/.test(s[j] as string)) {
      // Stop at a sign that does not follow an exponent marker.
      if ((s[j] === '-' || s[j] === '+') && !/[eE]/.test(s[j - 1] ?? '')) break;
      j++;
    }
    if (j === digitsStart) return FAIL;
    let text = s.slice(start, j);
    if (s[j] === 'L' || s[j] === 'l') j++; // py2 long
    text = text.replace(/_/g, '');
    const n = Number(text);
    if (Number.isNaN(n)) return FAIL;
    this.i = j;
    return n;
  }

  private string(): Result {
    const s = this.s;
    const q = s[this.i];
    let j = this.i + 1;
    let out = '';
    let runStart = j;
    while (j < s.length) {
      const c = s[j];
      if (c === q) {
        out += s.slice(runStart, j);
        this.i = j + 1;
        return out;
      }
      if (c === '\\') {
        out += s.slice(runStart, j);
        const e = s[j + 1];
        j += 2;
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case '0':
            out += '\0';
            break;
          case 'x':
          case 'u':
          case 'U': {
            const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
            const hex = s.slice(j, j + len);
            const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === len ? Number.parseInt(hex, 16) : Number.NaN;
            if (Number.isNaN(code) || code > 0x10ffff) return FAIL;
            out += String.fromCodePoint(code);
            j += len;
            break;
          }
          case undefined:
            return FAIL;
          default:
            out += e; // \\ \' \" and unknown escapes keep the character
        }
        runStart = j;
        continue;
      }
      j++;
    }
    return FAIL; // unterminated
  }

  private sequence(close: string, depth: number): Result {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.spaces();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      const v = this.value(depth + 1);
      if (v === FAIL) return FAIL;
      out.push(v);
      this.spaces();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c !== close) return FAIL;
    }
  }

  private dict(depth: number): Result {
    this.i++;
    const out: { [key: string]: PyValue } = Object.create(null);
    for (;;) {
      this.spaces();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value(depth + 1);
      if (k === FAIL) return FAIL;
      this.spaces();
      if (this.s[this.i] !== ':') return FAIL;
      this.i++;
      const v = this.value(depth + 1);
      if (v === FAIL) return FAIL;
      out[typeof k === 'string' ? k : JSON.stringify(k)] = v;
      this.spaces();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c !== '}') return FAIL;
    }
  }
}
