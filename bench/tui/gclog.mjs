// Preloaded into the TUI by cloud.mjs --gc-log (node --import): appends each garbage collection of the main
// isolate to $GCLOG as "epochMs kind durationMs", so the bench can say which keys waited for one. Not --trace-gc:
// that prints to stdout, which is the TUI's screen.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const file = process.env.GCLOG;
const KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
if (file) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = KINDS[e.detail?.kind] ?? String(e.detail?.kind);
      appendFileSync(file, `${(performance.timeOrigin + e.startTime).toFixed(1)} ${kind} ${e.duration.toFixed(1)}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}
