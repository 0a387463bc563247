// The scan report as JSON, written piece by piece: a report of a big log can be tens of megabytes, and
// one JSON.stringify of it would hold the whole text in memory (and twice that while writing it out).
// The output is byte for byte what JSON.stringify(report, null, indent) gives.
import type { ScanReport, StreamedScanReport } from './types.js';

/** An array of the report kept as its elements' JSON texts (compact), read when it is written. */
export class JsonTexts {
  constructor(
    readonly count: number,
    readonly texts: () => Iterable<string>,
  ) {}
  /** JSON.stringify of the array is the texts joined: this is what it stands for. */
  toJSON(): unknown[] {
    return Array.from(this.texts(), (t) => JSON.parse(t));
  }
}

/**
 * Calls `emit` with consecutive pieces of JSON.stringify(report, null, indent): the top-level arrays are
 * serialised one element at a time, so no piece is much larger than one incident.
 */
export function writeReportJson(
  report: ScanReport | StreamedScanReport,
  emit: (piece: string) => void,
  indent = 0,
): void {
  for (const piece of reportJsonPieces(report, indent)) emit(piece);
}

/**
 * The pieces writeReportJson emits, one at a time (a writer that waits for its reader pulls them as it
 * goes). Each element's text is yielded as JSON.stringify made it, separators apart: gathering them into
 * bigger strings first made two more copies of the whole output (1 GiB realistic log: 7.6 MB of JSON,
 * 29 MB allocated to write it, a third of the scan's allocations).
 */
export function* reportJsonPieces(report: ScanReport | StreamedScanReport, indent = 0): Generator<string> {
  const nl = indent > 0 ? '\n' : '';
  const pad1 = ' '.repeat(indent);
  const pad2 = ' '.repeat(indent * 2);
  const sep = indent > 0 ? ': ' : ':';
  const entries = Object.entries(report).filter(([, v]) => v !== undefined && typeof v !== 'function');
  yield `{${entries.length > 0 ? nl : ''}`;
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as [string, unknown];
    const last = i === entries.length - 1;
    yield `${pad1}${JSON.stringify(key)}${sep}`;
    if (value instanceof JsonTexts && value.count > 0) {
      yield `[${nl}`;
      let j = 0;
      for (const compact of value.texts()) {
        const text = indent === 0 ? compact : JSON.stringify(JSON.parse(compact), null, indent);
        const end = ++j === value.count;
        if (indent === 0) {
          yield text;
          if (!end) yield ',';
        } else yield `${pad2}${indentLines(text, pad2)}${end ? '' : ','}${nl}`;
      }
      yield `${pad1}]`;
    } else if (Array.isArray(value) && value.length > 0) {
      yield `[${nl}`;
      const end = value.length - 1;
      for (let j = 0; j <= end; j++) {
        const text = JSON.stringify(value[j], null, indent) ?? 'null';
        if (indent === 0) {
          yield text;
          if (j < end) yield ',';
        } else yield `${pad2}${indentLines(text, pad2)}${j < end ? ',' : ''}${nl}`;
      }
      yield `${pad1}]`;
    } else {
      yield indentLines(JSON.stringify(value, null, indent) ?? 'null', pad1);
    }
    yield `${last ? '' : ','}${nl}`;
  }
  yield '}';
}

/** JSON.stringify indents nested lines from column 0; shift them to where the value sits. */
function indentLines(text: string, prefix: string): string {
  return prefix === '' ? text : text.replaceAll('\n', `\n${prefix}`);
}
