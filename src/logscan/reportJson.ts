// The scan report as JSON, written piece by piece: a report of a big log can be tens of megabytes, and
// one JSON.stringify of it would hold the whole text in memory (and twice that while writing it out).
// The output is byte for byte what JSON.stringify(report, null, indent) gives.
import type { ScanReport } from './types.js';

/**
 * Calls `write` with consecutive pieces of JSON.stringify(report, null, indent): the top-level arrays
 * one element at a time, so no piece is larger than one incident. Callers buffer or stream as they like.
 */
export function writeReportJson(report: ScanReport, write: (piece: string) => void, indent = 0): void {
  const nl = indent > 0 ? '\n' : '';
  const pad = (depth: number) => ' '.repeat(indent * depth);
  const sep = indent > 0 ? ': ' : ':';
  const entries = Object.entries(report).filter(([, v]) => v !== undefined && typeof v !== 'function');
  write(`{${entries.length > 0 ? nl : ''}`);
  entries.forEach(([key, value], i) => {
    const last = i === entries.length - 1;
    write(`${pad(1)}${JSON.stringify(key)}${sep}`);
    if (Array.isArray(value) && value.length > 0) {
      write(`[${nl}`);
      value.forEach((item, j) => {
        write(
          pad(2) +
            indentLines(JSON.stringify(item, null, indent) ?? 'null', pad(2)) +
            (j < value.length - 1 ? ',' : '') +
            nl,
        );
      });
      write(`${pad(1)}]`);
    } else {
      write(indentLines(JSON.stringify(value, null, indent) ?? 'null', pad(1)));
    }
    write(`${last ? '' : ','}${nl}`);
  });
  write('}');
}

/** JSON.stringify indents nested lines from column 0; shift them to where the value sits. */
function indentLines(text: string, prefix: string): string {
  return prefix === '' ? text : text.replaceAll('\n', `\n${prefix}`);
}
