// What to scan: paths as given, globs expanded here (no shell needed, no dependency), rotated logs in
// age order, and the usual places when nothing is given.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where distributions and Kolla put nova-scheduler logs. */
export const DEFAULT_LOG_DIRS: readonly string[] = ['/var/log/nova', '/var/log/kolla/nova'];
export const DEFAULT_LOG_PATTERN = 'nova-scheduler.log*';

export function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** One glob path segment as an anchored regex: `*`, `?`, `[abc]`, `[!abc]`; everything else literal. */
export function globSegmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands a glob to existing paths (files and directories), sorted oldest rotation first.
 * `**` matches any number of directories. Hidden names only match a segment that starts with '.'.
 */
export function expandGlob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current: string[] = [absolute ? '/' : '.'];
  if (absolute) segs.shift();
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    const last = i === segs.length - 1;
    const next: string[] = [];
    if (seg === '**') {
      // Zero or more directories.
      const stack = [...current];
      while (stack.length > 0) {
        const dir = stack.pop() as string;
        next.push(dir);
        for (const e of safeReaddir(dir)) if (e.isDir && !e.name.startsWith('.')) stack.push(join(dir, e.name));
      }
    } else if (!hasGlob(seg)) {
      for (const dir of current) {
        const p = dir === '.' && !absolute ? seg : join(dir, seg);
        if (last ? exists(p) : isDir(p)) next.push(p);
      }
    } else {
      const re = globSegmentRegex(seg);
      for (const dir of current) {
        for (const e of safeReaddir(dir)) {
          if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
          if (!re.test(e.name)) continue;
          if (!last && !e.isDir) continue;
          next.push(dir === '.' && !absolute ? e.name : join(dir, e.name));
        }
      }
    }
    current = [...new Set(next)];
  }
  return sortRotated(current);
}

function safeReaddir(dir: string): { name: string; isDir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({
      name: d.name,
      isDir: d.isDirectory() || (d.isSymbolicLink() && isDir(join(dir, d.name))),
    }));
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * logrotate order, oldest first: x.log.12.gz, …, x.log.2.gz, x.log.1, x.log; dateext names
 * (x.log-20171108.gz) sort by their date, before the live file.
 */
export function sortRotated(paths: readonly string[]): string[] {
  const key = (p: string) => {
    const m = /^(.*?\.log)(?:\.(\d+)|-(\d{8,10}))?(\.gz)?$/.exec(p);
    if (!m) return { base: p, rank: 0, n: 0 };
    if (m[2] !== undefined) return { base: m[1] as string, rank: 2, n: Number(m[2]) };
    if (m[3] !== undefined) return { base: m[1] as string, rank: 1, n: Number(m[3]) };
    return { base: m[1] as string, rank: 0, n: 0 };
  };
  return [...paths].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka.base !== kb.base) return ka.base < kb.base ? -1 : 1;
    if (ka.rank !== kb.rank) return kb.rank - ka.rank; // numbered (older) before dated before live
    if (ka.rank === 2) return kb.n - ka.n; // .12 before .2
    if (ka.n !== kb.n) return ka.n - kb.n; // older date first
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** The scheduler logs in the usual places, and what was looked at (to say so when nothing is found). */
export function defaultLogInputs(dirs: readonly string[] = DEFAULT_LOG_DIRS): { found: string[]; searched: string[] } {
  const searched = dirs.map((d) => join(d, DEFAULT_LOG_PATTERN));
  const found: string[] = [];
  for (const pattern of searched) {
    for (const p of expandGlob(pattern)) if (!isDir(p)) found.push(p);
  }
  return { found, searched };
}
