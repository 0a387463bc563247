// Whole oslo.log records from text: a header line plus the continuation lines that follow it
// (tracebacks, multi-line messages). For showing evidence in context and for small inputs; the
// scanner itself only decodes the lines that contain a needle.
import { parseOsloHeader, stripDebugSuffix } from './osloLine.js';
import type { OsloRecord } from './types.js';

/**
 * Splits `text` into records. Lines before the first header (a file that starts mid-record) become a
 * record of their own with level ''. `firstLine` numbers the first line of `text`.
 */
export function parseRecords(text: string, file = '-', firstLine = 1): OsloRecord[] {
  const out: OsloRecord[] = [];
  let current: OsloRecord | null = null;
  let lineNo = firstLine;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (!(end === text.length && line === '')) {
      const h = parseOsloHeader(line);
      // logging_exception_prefix lines (no context bracket) of the same process continue a record.
      const traceback =
        h !== null &&
        !h.hasContext &&
        current !== null &&
        current.level !== '' &&
        h.pid === (current.pid || null) &&
        /^(ERROR|CRITICAL|TRACE)$/.test(h.level);
      if (traceback && current) {
        current.message += `\n${h.text.slice(h.messageStart)}`;
      } else if (h) {
        if (current) out.push(finish(current));
        current = {
          time: h.time,
          pid: h.pid ?? 0,
          level: h.level,
          logger: h.logger,
          globalRequestId: h.globalRequestId,
          requestId: h.requestId,
          userIdentity: h.userIdentity,
          instanceUuid: h.instanceUuid,
          message: h.text.slice(h.messageStart),
          location: { file, line: lineNo },
        };
      } else if (current) {
        current.message += `\n${line}`;
      } else {
        current = {
          time: '',
          pid: 0,
          level: '',
          logger: '',
          globalRequestId: null,
          requestId: null,
          userIdentity: null,
          instanceUuid: null,
          message: line,
          location: { file, line: lineNo },
        };
      }
    }
    lineNo++;
    start = end + 1;
  }
  if (current) out.push(finish(current));
  return out;
}

/** The DEBUG suffix sits at the end of the last line of the message. */
function finish(r: OsloRecord): OsloRecord {
  return r.level === 'DEBUG' ? { ...r, message: stripDebugSuffix(r.message).message } : r;
}
