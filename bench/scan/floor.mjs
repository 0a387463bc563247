#!/usr/bin/env node
// Where a scan's time goes against grep, part by part, each in a fresh process on the same file, runs interleaved:
//   node -e 0                     node's own start
//   find                          node, the scan's modules, reading the file and finding its hit lines (the WebAssembly
//                                 kernel, the lines kept packed as a worker keeps them): one thread, nothing interpreted
//   find + interpret              the same with every hit line interpreted into events (no correlation, no report)
//   scan --json                   the whole command (correlation and the report written too), --threads as given
//   LC_ALL=C grep -c -F image_props_filter (output to a file, as bench/scan/run.mjs does)
// Each part's wall time as a ratio to grep's shows what is left for the rest: with the target at 1.5x grep, a part
// that alone takes that long is a floor no tuning of what comes after it can get under.
//   npm run build && node bench/scan/floor.mjs [--runs 5] [--threads 1] FILE
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, takeOption } from './interleave.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);

if (args[0] === '--child') {
  const [, what, file] = args;
  const { keepYoungGenerationSmall } = await import(join(ROOT, 'dist/logscan/scanHeap.js'));
  keepYoungGenerationSmall();
  const { statSync } = await import('node:fs');
  const { DEFAULT_UNIT_OPTIONS, recordingSink, runUnit } = await import(join(ROOT, 'dist/logscan/unitScan.js'));
  const sink =
    what === 'interpret' ? (await import(join(ROOT, 'dist/logscan/unitInterpret.js'))).interpretingSink : recordingSink;
  const size = statSync(file).size;
  const unit = { id: 0, input: 0, file, kind: 'range', start: 0, end: size, size };
  const opts = { ...DEFAULT_UNIT_OPTIONS, range: { since: null, until: null } };
  const r = await runUnit(unit, opts, { sink });
  console.log(JSON.stringify({ what, lines: r.lines, events: r.events.length, recorded: r.deferred ? 1 : 0 }));
  process.exit(0);
}

const runs = Number(takeOption(args, 'runs', '5'));
const threads = takeOption(args, 'threads', '1');
const file = args[0];
if (!file) {
  console.error('usage: node bench/scan/floor.mjs [--runs 5] [--threads 1] FILE');
  process.exit(2);
}
const out = join(tmpdir(), `nova-doctor-floor-${process.pid}.out`);
const self = fileURLToPath(import.meta.url);
const parts = {
  'grep -c -F': ['bash', ['-c', `LC_ALL=C grep -c -F image_props_filter "$1" > "$2"`, 'grep', file, out]],
  'node -e 0': ['node', ['-e', '0']],
  find: ['node', [self, '--child', 'find', file]],
  'find + interpret': ['node', [self, '--child', 'interpret', file]],
  [`scan --json --threads ${threads}`]: [
    'bash',
    [
      '-c',
      `node "$1" scan --json --threads "$2" "$3" > "$4"`,
      'scan',
      join(ROOT, 'bin/nova-doctor.js'),
      threads,
      file,
      out,
    ],
  ],
};
const times = Object.fromEntries(Object.keys(parts).map((k) => [k, []]));
try {
  for (let i = 0; i < runs; i++) {
    for (const [name, [cmd, argv]] of Object.entries(parts)) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      // scan exits 1 when it found affected instances
      if (r.status !== 0 && !(name.startsWith('scan') && r.status === 1))
        throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
      times[name].push(s);
    }
  }
} finally {
  rmSync(out, { force: true });
}
const grep = median(times['grep -c -F']);
console.log(`${file}: medians of ${runs} interleaved runs, wall time and ratio to grep`);
for (const [name, ts] of Object.entries(times)) {
  const m = median(ts);
  console.log(`  ${name.padEnd(28)} ${m.toFixed(2)} s  ${(m / grep).toFixed(2)}x`);
}
