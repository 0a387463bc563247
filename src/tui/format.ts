// Small presentation helpers: numbers and times as an operator reads them.
import { charWidth, displayWidth } from './width.js';

export { formatBytes } from '../units.js';

export function formatRate(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond)) return '- MB/s';
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Text cut to a width with an ellipsis, padded to exactly that many columns (for table columns). */
export function cell(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text + ' '.repeat(width - displayWidth(text));
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…${' '.repeat(Math.max(0, width - 1 - used))}`;
}

/** libvirt's integer (major*1e6 + minor*1e3 + micro) in the dotted form operators know. */
export function formatHypervisorVersion(version: number | null): string {
  if (version === null) return 'not reported';
  const major = Math.floor(version / 1_000_000);
  const minor = Math.floor((version % 1_000_000) / 1000);
  const micro = version % 1000;
  return `${major}.${minor}.${micro} (${version})`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
