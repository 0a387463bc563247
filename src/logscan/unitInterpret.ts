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

/** Lines interpreted between two turns of the event loop: a dense unit holds ~10k (50-90 ms of work). */
const LINES_PER_TURN = 2000;

/**
 * Interprets the lines a worker recorded for `unit`: the result is what scanning the unit in this thread
 * would have given. The worker's own warnings come last (read errors at the end; a binary file has no
 * lines). Gives the event loop a turn every LINES_PER_TURN lines (progress, keys in the TUI).
 */
export async function interpretDeferred(
  r: UnitResult,
  unit: { input: number; file: string },
  opts: UnitOptions,
): Promise<UnitResult> {
  const d = r.deferred;
  if (!d) return r;
  const sink = interpretingSink(unit.input, unit.file, opts);
  for (let from = 0; from < d.count; from += LINES_PER_TURN) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    replayLines(
      d,
      (h) => sink.line(h),
      (l) => sink.longLine(l),
      from,
      from + LINES_PER_TURN,
    );
  }
  const { deferred: _, ...rest } = r;
  return { ...rest, ...sink.finish(), warnings: [...sink.warnings, ...r.warnings] };
}
