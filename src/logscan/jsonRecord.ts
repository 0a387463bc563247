// oslo.log's JSONFormatter ([DEFAULT] use_json = True): every record is one JSON object on one line
// (oslo_log/formatters.py): the message without the DEBUG suffix, `asctime` to the second and `msecs`
// apart, `name` the logger, `process` the pid, the request context under `context`, and the
// instance a message is about under `extra.instance_uuid` (text logs write it as "[instance: …]").
import type { OsloHeader } from './osloLine.js';

export interface JsonRecord {
  header: OsloHeader;
  message: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const REQ = /^req-[0-9a-fA-F-]{1,64}$/;
const SECOND = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d$/;
const WITH_FRACTION = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)[.,](\d{1,9})$/;
const LEVELS: Record<string, string> = { WARN: 'WARNING' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The record on a JSON log line; null when the line is not one (any other JSON, or no JSON at all). */
export function parseJsonRecord(line: string): JsonRecord | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObj(o)) return null;
  const message = str(o.message);
  const level = str(o.levelname);
  const logger = str(o.name);
  if (message === null || level === null || logger === null) return null;
  const ctx = isObj(o.context) ? o.context : {};
  const extra = isObj(o.extra) ? o.extra : {};
  const reqId = (v: unknown) => {
    const s = str(v);
    return s !== null && REQ.test(s) ? s : null;
  };
  const instance = str(extra.instance_uuid) ?? (isObj(extra.instance) ? str(extra.instance.uuid) : null);
  return {
    header: {
      time: recordTime(o.asctime, o.msecs),
      pid: typeof o.process === 'number' && Number.isInteger(o.process) ? o.process : null,
      level: LEVELS[level] ?? level,
      logger,
      globalRequestId: reqId(ctx.global_request_id),
      requestId: reqId(ctx.request_id),
      userIdentity: str(ctx.user_identity),
      instanceUuid: instance !== null && UUID.test(instance) ? instance.toLowerCase() : null,
      hasContext: true,
      messageStart: 0,
      text: '',
    },
    message,
  };
}

/**
 * 'YYYY-MM-DD HH:MM:SS.mmm' as the text format writes it (`%(asctime)s.%(msecs)03d`): oslo's default
 * log_date_format stops at the second and `msecs` carries the rest. '' for any other date format.
 */
function recordTime(asctime: unknown, msecs: unknown): string {
  const a = str(asctime);
  if (a === null) return '';
  if (SECOND.test(a)) {
    const ms = typeof msecs === 'number' && msecs >= 0 && msecs < 1000 ? Math.floor(msecs) : 0;
    return `${a.slice(0, 10)} ${a.slice(11)}.${String(ms).padStart(3, '0')}`;
  }
  const m = WITH_FRACTION.exec(a);
  return m ? `${m[1]} ${m[2]}.${(m[3] as string).padEnd(3, '0').slice(0, 3)}` : '';
}
