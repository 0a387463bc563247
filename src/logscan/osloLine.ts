// The first line of an oslo.log record, in every shape nova has written it (oslo_log/_options.py):
//   2017-11-08 17:29:34.631 12009 DEBUG nova.x [req-… user project - - -] [instance: uuid] message
//   2026-11-27 14:46:46.693 14059 DEBUG nova.x [None req-… user project - - default default] message   (Zed+)
//   2026-11-27 14:46:46.693 14059 INFO nova.x [-] message                                              (no context)
//   2016-02-01 12:00:00.123 DEBUG nova.x [req-… admin admin] message from (pid=N) func path:line        (devstack)
//   DEBUG nova.x [None req-… admin admin] message {{(pid=N) func path:line}}                            (devstack, journald)
// optionally behind a syslog/journal prefix ("Nov 27 14:46:46 host nova-scheduler[123]: ") and with ANSI colours.
// Anything else is a continuation of the previous record (tracebacks, multi-line messages).

export interface OsloHeader {
  /** 'YYYY-MM-DD HH:MM:SS.mmm' as written ('' when the line has no timestamp, e.g. journald). */
  time: string;
  pid: number | null;
  level: string;
  logger: string;
  globalRequestId: string | null;
  requestId: string | null;
  userIdentity: string | null;
  instanceUuid: string | null;
  /**
   * The line has a context bracket ([req-…], [-]). Lines without one are logging_exception_prefix lines:
   * a traceback of the record before them, split into lines that each repeat the prefix.
   */
  hasContext: boolean;
  /** Offset of the message in the (colour-stripped) line. */
  messageStart: number;
  /** The line the offsets refer to (colour codes removed). */
  text: string;
}

const LEVELS = 'DEBUG|INFO|AUDIT|WARNING|WARN|ERROR|CRITICAL|TRACE';
// Anchored and without nested quantifiers: linear on any input.
const WITH_TIME = new RegExp(
  `^(\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?) (?:(\\d{1,10}) )?(${LEVELS}) ([^\\s\\[\\]]{1,300}) ?`,
);
const NO_TIME = new RegExp(`^(?:(\\d{1,10}) )?(${LEVELS}) ([^\\s\\[\\]]{1,300}) (?=\\[)`);
const SYSLOG =
  /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S{1,255} [^\s:[]{1,255}(?:\[\d{1,10}\])?: /;
const ANSI = /\u001b\[[0-9;]{0,32}m/g;
const REQ = /^req-[0-9a-fA-F-]{1,64}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAX_CONTEXT = 4096;
const FUNC_NAME = /^(?:[A-Za-z_][\w]{0,200}|<[a-z]{1,20}>)$/;

/** Parses the header of a record's first line; null for continuation lines. */
export function parseOsloHeader(line: string): OsloHeader | null {
  let text = line.includes('\u001b') ? line.replace(ANSI, '') : line;
  if (text.endsWith('\r')) text = text.slice(0, -1);
  let base = 0;
  let m = WITH_TIME.exec(text);
  let time = '';
  let pid: number | null = null;
  let level: string;
  let logger: string;
  if (m) {
    time = m[1] as string;
    if (time.length > 10 && time[10] === 'T') time = `${time.slice(0, 10)} ${time.slice(11)}`;
    time = time.replace(',', '.');
    pid = m[2] === undefined ? null : Number(m[2]);
    level = m[3] as string;
    logger = m[4] as string;
    base = m[0].length;
  } else {
    const s = SYSLOG.exec(text);
    const off = s ? s[0].length : 0;
    const rest = off ? text.slice(off) : text;
    m = WITH_TIME.exec(rest);
    if (m) {
      // A journal line carrying a full oslo line (file logging to stderr).
      const inner = parseOsloHeader(rest);
      if (!inner) return null;
      return { ...inner, messageStart: inner.messageStart + off, text };
    }
    m = NO_TIME.exec(rest);
    if (!m) return null;
    pid = m[1] === undefined ? null : Number(m[1]);
    level = m[2] as string;
    logger = m[3] as string;
    base = off + m[0].length;
  }
  if (level === 'WARN') level = 'WARNING';

  let globalRequestId: string | null = null;
  let requestId: string | null = null;
  let userIdentity: string | null = null;
  let i = base;
  let hasContext = false;
  if (text.charCodeAt(i) === 91 /* [ */ && !text.startsWith('[instance: ', i)) {
    const close = text.indexOf(']', i);
    if (close > 0 && close - i <= MAX_CONTEXT) {
      hasContext = true;
      const ctx = parseContext(text.slice(i + 1, close));
      globalRequestId = ctx.globalRequestId;
      requestId = ctx.requestId;
      userIdentity = ctx.userIdentity;
      i = close + 1;
      if (text.charCodeAt(i) === 32) i++;
    }
  }
  let instanceUuid: string | null = null;
  if (text.startsWith('[instance: ', i)) {
    const close = text.indexOf(']', i);
    const uuid = close > 0 ? text.slice(i + 11, close) : '';
    if (UUID.test(uuid)) {
      instanceUuid = uuid.toLowerCase();
      i = close + 1;
      if (text.charCodeAt(i) === 32) i++;
    }
  }
  return {
    time,
    pid,
    level,
    logger,
    globalRequestId,
    requestId,
    userIdentity,
    instanceUuid,
    hasContext,
    messageStart: i,
    text,
  };
}

/** The inside of the context bracket: `-`, `req-L user project …`, `None req-L …` or `req-G req-L …`. */
export function parseContext(inner: string): {
  globalRequestId: string | null;
  requestId: string | null;
  userIdentity: string | null;
} {
  const tokens = inner.split(' ');
  const [a, b] = tokens;
  if (tokens.length === 1 && (a === '-' || a === ''))
    return { globalRequestId: null, requestId: null, userIdentity: null };
  if ((a === 'None' || a === '-' || (a !== undefined && REQ.test(a))) && b !== undefined && REQ.test(b)) {
    return {
      globalRequestId: a === 'None' || a === '-' ? null : (a as string),
      requestId: b,
      userIdentity: identity(tokens.slice(2)),
    };
  }
  if (a !== undefined && REQ.test(a))
    return { globalRequestId: null, requestId: a, userIdentity: identity(tokens.slice(1)) };
  return { globalRequestId: null, requestId: null, userIdentity: identity(tokens) };
}

function identity(tokens: string[]): string | null {
  const s = tokens.join(' ');
  return s === '' ? null : s;
}

export interface DebugSuffix {
  message: string;
  funcName: string | null;
  path: string | null;
  lineno: number | null;
}

/**
 * Removes oslo's DEBUG suffix from the end of a message: ` func path:line` (default),
 * ` from (pid=N) func path:line` (devstack) or ` {{(pid=N) func path:line}}` (devstack + journald).
 * String operations only (no regex over the whole message).
 */
export function stripDebugSuffix(message: string): DebugSuffix {
  let m = message;
  let braces = false;
  if (m.endsWith('}}')) {
    const open = m.lastIndexOf(' {{');
    if (open < 0) return { message, funcName: null, path: null, lineno: null };
    m = `${m.slice(0, open)} ${m.slice(open + 3, -2)}`;
    braces = true;
  }
  const none = { message, funcName: null, path: null, lineno: null };
  const sp1 = m.lastIndexOf(' ');
  if (sp1 < 0) return none;
  const loc = m.slice(sp1 + 1);
  const colon = loc.lastIndexOf(':');
  if (colon <= 0 || !/^\d{1,7}$/.test(loc.slice(colon + 1))) return none;
  const path = loc.slice(0, colon);
  if (!path.includes('/') && !path.endsWith('.py')) return none;
  const sp2 = m.lastIndexOf(' ', sp1 - 1);
  if (sp2 < 0) return none;
  const funcName = m.slice(sp2 + 1, sp1);
  if (!FUNC_NAME.test(funcName)) return none;
  let rest = m.slice(0, sp2);
  const pidAt = rest.lastIndexOf(' ');
  const pidTok = rest.slice(pidAt + 1);
  if (/^\(pid=\d{1,10}\)$/.test(pidTok)) {
    rest = rest.slice(0, Math.max(pidAt, 0));
    if (!braces && rest.endsWith(' from')) rest = rest.slice(0, -5);
    else if (!braces && rest === 'from') rest = '';
  }
  return { message: rest, funcName, path, lineno: Number(loc.slice(colon + 1)) };
}

/**
 * stripDebugSuffix on bytes: where the message b[from, end) ends once oslo's default DEBUG suffix
 * (` func path:line`, or devstack's ` from (pid=N) func path:line`) is removed, so the message is
 * decoded without it; `end` when there is none. -1 for the ` {{…}}` form: decode and use stripDebugSuffix.
 * The same decisions as stripDebugSuffix, on the same ASCII delimiters (tested against it).
 */
export function debugSuffixStart(b: Uint8Array, from: number, end: number): number {
  if (end - from >= 2 && b[end - 1] === 125 && b[end - 2] === 125) return -1;
  const sp1 = lastIndexIn(b, 32, from, end);
  if (sp1 < 0) return end;
  const colon = lastIndexIn(b, 58, sp1 + 1, end);
  if (colon <= sp1 + 1) return end;
  const digits = end - colon - 1;
  if (digits < 1 || digits > 7) return end;
  for (let i = colon + 1; i < end; i++) if ((b[i] as number) < 48 || (b[i] as number) > 57) return end;
  const isPy = colon - (sp1 + 1) >= 3 && b[colon - 3] === 46 && b[colon - 2] === 112 && b[colon - 1] === 121;
  if (!isPy && lastIndexIn(b, 47, sp1 + 1, colon) < 0) return end;
  const sp2 = lastIndexIn(b, 32, from, sp1);
  if (sp2 < 0) return end;
  if (!isFuncName(b, sp2 + 1, sp1)) return end;
  // An optional "(pid=N)" token before the function, and "from" before that (devstack).
  const pidAt = lastIndexIn(b, 32, from, sp2);
  const tokStart = pidAt < 0 ? from : pidAt + 1;
  if (!isPidToken(b, tokStart, sp2)) return sp2;
  const rest = pidAt < 0 ? from : pidAt;
  if (rest - from >= 5 && b[rest - 5] === 32 && latin1(b, rest - 4, rest) === 'from') return rest - 5;
  if (rest - from === 4 && latin1(b, from, rest) === 'from') return from;
  return rest;
}

/**
 * FUNC_NAME.test on the latin1 text of b[from, to), read from the bytes: every DEBUG hit line ends with a
 * function name, and decoding it to test it cost a Buffer and a string a line. \w without the u flag is
 * [A-Za-z0-9_]; bytes >= 0x80 decode to no such character.
 */
function isFuncName(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  if (b[from] === 60) {
    // '<' [a-z]{1,20} '>'
    if (n < 3 || n > 22 || b[to - 1] !== 62) return false;
    for (let i = from + 1; i < to - 1; i++) if ((b[i] as number) < 97 || (b[i] as number) > 122) return false;
    return true;
  }
  if (n < 1 || n > 201 || !isWordByte(b[from] as number) || isDigitByte(b[from] as number)) return false;
  for (let i = from + 1; i < to; i++) if (!isWordByte(b[i] as number)) return false;
  return true;
}

function isDigitByte(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordByte(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigitByte(c) || c === 95;
}

function lastIndexIn(b: Uint8Array, byte: number, from: number, before: number): number {
  for (let i = before - 1; i >= from; i--) if (b[i] === byte) return i;
  return -1;
}

function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
}

/** "(pid=" digits{1,10} ")" exactly. */
function isPidToken(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from - 6;
  if (n < 1 || n > 10) return false;
  if (latin1(b, from, from + 5) !== '(pid=' || b[to - 1] !== 41) return false;
  for (let i = from + 5; i < to - 1; i++) if ((b[i] as number) < 48 || (b[i] as number) > 57) return false;
  return true;
}
