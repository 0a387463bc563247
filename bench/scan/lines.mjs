#!/usr/bin/env node
// The per-hit-line cost alone: the hit lines of a log (the lines with one of the scan's needles, found once by
// grep) held in memory and read by a build's LineInterpreter, old build and new build alternately, each in a
// fresh process (V8's warm-up included, as in a scan). Reading and searching the file, correlating and
// writing the report are left out: on a 2-vCPU VM shared with other benchmarks their noise (a scan of 1 GiB is
// ~1 s of CPU, ±5% run to run) hides a change of a few per cent in what is done per hit line.
// Prints per build the median CPU (user+sys of the child, i.e. with V8's compiler threads and GC) of one
// process that interprets the lines `--passes` times, and the µs per hit line of the first pass (cold) and of
// the last (warm), measured in the process.
//   node bench/scan/lines.mjs --base $TMPDIR/base [--new DIR] [--runs 7] [--passes 1] [--node-args '--v8-flag'] FILE
// (--node-args: for the new build's processes only, e.g. a V8 flag being tried.)
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, median, takeOption } from './interleave.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => takeOption(args, name, def);

if (args[0] === '--child') {
  // In a fresh process: read the lines, interpret them `passes` times with the build in args[1].
  const [, dir, linesFile, passes] = args;
  const { LineInterpreter } = await import(resolve(dir, 'dist', 'logscan', 'lineInterpreter.js'));
  const data = readFileSync(linesFile);
  const lines = [];
  for (let s = 0; s < data.length; ) {
    const nl = data.indexOf(10, s);
    lines.push(data.subarray(s, nl));
    s = nl + 1;
  }
  const times = [];
  let events = 0;
  for (let p = 0; p < Number(passes); p++) {
    const t = process.cpuUsage();
    const li = new LineInterpreter(0, 'bench.log', { since: null, until: null });
    let offset = 0;
    for (let i = 0; i < lines.length; i++) {
      const bytes = lines[i];
      li.line({ bytes, offset, line: i + 1 });
      offset += bytes.length + 1;
    }
    li.finish();
    events = li.events.length;
    const u = process.cpuUsage(t);
    times.push((u.user + u.system) / lines.length);
  }
  console.log(JSON.stringify({ lines: lines.length, events, first: times[0], last: times[times.length - 1] }));
  process.exit(0);
}

const base = opt('base', null);
const fresh = opt('new', ROOT);
const runs = Number(opt('runs', '7'));
const passes = opt('passes', '1');
const nodeArgs = opt('node-args', '');
const file = args[0];
if (!base || !file) throw new Error('usage: lines.mjs --base DIR [--new DIR] [--runs N] [--passes N] FILE');
// The scan's own needles (the new build's), so the lines are exactly the ones a scan interprets.
const { NEEDLES: needles } = await import(resolve(fresh, 'dist', 'logscan', 'unitScan.js'));
const linesFile = join(process.env.TMPDIR ?? '/tmp', `scan-lines-${process.pid}.txt`);
writeFileSync(
  linesFile,
  execFileSync('grep', ['-F', ...needles.flatMap((n) => ['-e', n]), file], {
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 1 << 30,
  }),
);

function measure(dir, flags) {
  const self = fileURLToPath(import.meta.url);
  const node = ['node', ...flags.split(' ').filter(Boolean), self, '--child', dir, linesFile, passes];
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %U %S %M', ...node], {
    encoding: 'utf8',
  });
  const m = /@@ ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m || r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return { cpu: +m[1] + +m[2], rss: +m[3] / 1024, ...JSON.parse(r.stdout) };
}
const builds = { base, new: fresh };
const { seen, loads } = interleaved(builds, runs, (dir, k) => measure(dir, k === 'new' ? nodeArgs : ''));
rmSync(linesFile, { force: true });
const n = seen.base[0];
console.log(`${file}: ${n.lines} hit lines, ${passes} pass(es) a process, median of ${runs}; loads ${loads.join(' ')}`);
for (const [k, rs] of Object.entries(seen)) {
  if (rs.some((r) => r.events !== rs[0].events)) throw new Error(`${k}: event counts differ between runs`);
  console.log(
    `  ${k.padEnd(5)} process CPU ${median(rs.map((r) => r.cpu)).toFixed(3)} s  first pass ${median(rs.map((r) => r.first)).toFixed(2)} µs/line` +
      `  last pass ${median(rs.map((r) => r.last)).toFixed(2)} µs/line  events ${rs[0].events}  RSS max ${Math.max(...rs.map((r) => r.rss)).toFixed(0)} MiB`,
  );
}
