#!/usr/bin/env node
// Start-up of the single executable (dist/nova-doctor, `npm run build:binary`) against `node bin/nova-doctor.js`:
// `--help`, and `scan` of a small log (the fixture scheduler log, 2.1 MiB), run alternately so that both see the
// same machine; medians of wall time. A bench figure, never a test.
//
//   node bench/sea/run.mjs [--runs 21] [--binary dist/nova-doctor]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flagValue = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(flagValue('runs') ?? 21);
const BINARY = resolve(flagValue('binary') ?? join(ROOT, 'dist', 'nova-doctor'));
const LOG = join(ROOT, 'test', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');

if (!existsSync(BINARY)) {
  console.log(`sea: ${BINARY} not built (npm run build:binary): skipped`);
  process.exit(0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Milliseconds of one run (its output thrown away); the exit status must be what the command means. */
function time(file, argv, okCodes) {
  const t0 = performance.now();
  const r = spawnSync(file, argv, { stdio: 'ignore', cwd: ROOT });
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.status)) throw new Error(`${file} ${argv.join(' ')}: exit ${r.status ?? r.signal}`);
  return ms;
}

const CASES = [
  { what: '--help', argv: ['--help'], ok: [0] },
  // 1: affected instances found, as in the fixture.
  { what: 'scan of a 2.1 MiB log', argv: ['scan', LOG], ok: [1] },
];

console.log(`sea: ${RUNS} alternating runs each; node ${process.version} (${process.execPath})`);
for (const c of CASES) {
  const sea = [];
  const node = [];
  // One of each first, not counted: the page cache then holds both programs.
  time(BINARY, c.argv, c.ok);
  time(process.execPath, [join(ROOT, 'bin', 'nova-doctor.js'), ...c.argv], c.ok);
  for (let i = 0; i < RUNS; i++) {
    sea.push(time(BINARY, c.argv, c.ok));
    node.push(time(process.execPath, [join(ROOT, 'bin', 'nova-doctor.js'), ...c.argv], c.ok));
  }
  const a = median(sea);
  const b = median(node);
  console.log(
    `${c.what}: single executable ${a.toFixed(0)} ms, node bin/nova-doctor.js ${b.toFixed(0)} ms, ratio ${(a / b).toFixed(2)}`,
  );
}
const bare = [];
for (let i = 0; i < RUNS; i++) bare.push(time(process.execPath, ['-e', '0'], [0]));
console.log(`(node -e 0: ${median(bare).toFixed(0)} ms)`);
