// --since / --until against oslo.log timestamps. Log times are local wall-clock times without a zone
// ('2017-11-08 17:29:34.631'), so bounds are compared as text after normalising to the same shape.
import { usageError } from '../errors.js';

export interface TimeRange {
  /** Inclusive lower bound, 'YYYY-MM-DD HH:MM:SS.mmm', or null. */
  since: string | null;
  /** Inclusive upper bound, or null. A date or minute given without seconds covers its whole span. */
  until: string | null;
}

const ABSOLUTE = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d)(?::(\d\d)(?::(\d\d)(?:[.,](\d{1,6}))?)?)?)?$/;
const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Days in a month of the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time in the log's format. */
export function formatLogTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * Accepts '2017-11-08', '2017-11-08 17:29', '2017-11-08T17:29:34.631', or a duration before `now`
 * such as '2h', '30m', '7d'. Throws a one-line usage DoctorError naming the bad value: a date that is not in
 * the calendar (2026-02-30, 2026-13-40) too.
 */
export function parseTimeBound(value: string, which: 'since' | 'until', now: Date = new Date()): string {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel) return formatLogTime(new Date(now.getTime() - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number)));
  const m = ABSOLUTE.exec(v);
  if (!m) {
    throw usageError(
      `--${which} '${value}' is not a time`,
      "use YYYY-MM-DD or 'YYYY-MM-DD HH:MM[:SS]' as in the log, or a duration before now such as 2h",
    );
  }
  const [, date, hh, mm, ss, frac] = m;
  const month = Number((date as string).slice(5, 7));
  const day = Number((date as string).slice(8, 10));
  const year = Number((date as string).slice(0, 4));
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    Number(hh ?? 0) > 23 ||
    Number(mm ?? 0) > 59 ||
    Number(ss ?? 0) > 60
  ) {
    throw usageError(`--${which} '${value}' is not a date and time in the calendar`);
  }
  const low = which === 'since';
  const ms = frac === undefined ? (low ? '000' : '999') : frac.padEnd(3, '0').slice(0, 3);
  return `${date} ${hh ?? (low ? '00' : '23')}:${mm ?? (low ? '00' : '59')}:${ss ?? (low ? '00' : '59')}.${ss === undefined ? (low ? '000' : '999') : ms}`;
}

export function timeRange(since: string | null | undefined, until: string | null | undefined, now?: Date): TimeRange {
  const r: TimeRange = {
    since: since ? parseTimeBound(since, 'since', now) : null,
    until: until ? parseTimeBound(until, 'until', now) : null,
  };
  if (r.since && r.until && r.since > r.until)
    throw usageError(`--since '${since}' is after --until '${until}': no record can be in between`);
  return r;
}

/** Records without a timestamp (journald) are kept: there is nothing to compare. */
export function inRange(time: string, r: TimeRange): boolean {
  if (time === '') return true;
  // Normalise '…:34' or '…:34.6' to millisecond precision before comparing as text.
  const t = time.length >= 23 ? time.slice(0, 23) : time.length === 19 ? `${time}.000` : time.padEnd(23, '0');
  if (r.since !== null && t < r.since) return false;
  if (r.until !== null && t > r.until) return false;
  return true;
}

/** Two log times at most 2 s apart (or unknown): nova logs the lines of one attempt back to back. */
export function closeInTime(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  if (a.slice(0, 19) === b.slice(0, 19)) return true;
  const ta = Date.parse(`${a.slice(0, 10)}T${a.slice(11, 23)}Z`);
  const tb = Date.parse(`${b.slice(0, 10)}T${b.slice(11, 23)}Z`);
  return Number.isFinite(ta) && Number.isFinite(tb) && Math.abs(ta - tb) <= 2000;
}
