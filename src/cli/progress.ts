// A one-line progress meter on stderr, only when stderr is a terminal (never pollutes pipes or CI logs).
import type { ScanProgress } from '../logscan/types.js';
import { formatBytes } from '../units.js';

export interface ProgressLine {
  scan(p: ScanProgress): void;
  message(text: string): void;
  done(): void;
}

export function formatScanProgress(p: ScanProgress, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (p.bytesDone / elapsedMs) * 1000 : 0;
  const parts = [`scanning ${p.file} (${p.filesDone + 1}/${p.filesTotal})`, formatBytes(p.bytesDone)];
  if (p.bytesTotal) {
    parts[1] = `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`;
    if (rate > 0) parts.push(`ETA ${Math.max(0, Math.ceil((p.bytesTotal - p.bytesDone) / rate))} s`);
  }
  if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
  return parts.join('  ');
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const enabled = Boolean(stream.isTTY) && !process.env.CI;
  const started = Date.now();
  let last = 0;
  let shown = false;
  const write = (text: string) => {
    const width = (stream.columns || 80) - 1;
    stream.write(`\r\x1b[K${text.slice(0, width)}`);
    shown = true;
  };
  // At most ten redraws a second: a sweep reports every instance, and a terminal is slower than that.
  const due = () => {
    const now = Date.now();
    if (now - last < 100) return false;
    last = now;
    return true;
  };
  return {
    scan(p) {
      if (enabled && due()) write(formatScanProgress(p, Date.now() - started));
    },
    message(text) {
      if (enabled && due()) write(text);
    },
    done() {
      if (enabled && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
