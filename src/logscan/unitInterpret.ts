// The interpreting side of a unit: hit lines read into events in the thread that collects the results,
// either as the unit is scanned here or later from what a worker recorded.
import { replayLines } from './deferredLines.js';
import { LineInterpreter } from './lineInterpreter.js';
import { type LineSink, longLineWarning, type SinkFactory, type UnitOptions, type UnitResult } from './unitScan.js';

/** Interprets each line as the scanner finds it. */
export const interpretingSink: SinkFactory = (input, file, opts) => {
  const interp = new LineInterpreter(input, file, opts.range);
  const sink: LineSink = {
    line: (h) => interp.line(h),
    longLine: (l) => interp.warn('long line', longLineWarning(file, l.line, l.offset, l.length, opts.maxLineBytes)),
    warnings: interp.warnings,
    finish: () => {
      interp.finish();
      return { events: interp.events, props: interp.props, supps: interp.supps };
    },
  };
  return sink;
};

/**
 * Interprets the lines a worker recorded for `unit`: the result is what scanning the unit in this thread
 * would have given. The worker's own warnings come last (read errors at the end; a binary file has no
 * lines).
 */
export function interpretDeferred(r: UnitResult, unit: { input: number; file: string }, opts: UnitOptions): UnitResult {
  if (!r.deferred) return r;
  const sink = interpretingSink(unit.input, unit.file, opts);
  replayLines(
    r.deferred,
    (h) => sink.line(h),
    (l) => sink.longLine(l),
  );
  const { deferred: _, ...rest } = r;
  return { ...rest, ...sink.finish(), warnings: [...sink.warnings, ...r.warnings] };
}
