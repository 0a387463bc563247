#!/usr/bin/env node
// Old build against new build on the same log, runs interleaved (base, new, base, new, …) so a change in the
// machine's load (other benchmarks on a shared VM) hits both alike: wall, CPU (user+sys, via GNU time) and peak
// RSS per run, the load average before each, medians. For a change's before/after, not for the grep ratio
// (run.mjs is that). A build to compare against: a copy of bin/ and dist/ with node_modules linked, e.g.
//   mkdir -p $TMPDIR/base && cp -r bin dist package.json $TMPDIR/base && ln -s $PWD/node_modules $TMPDIR/base/
//   node bench/scan/ab.mjs --base $TMPDIR/base [--new DIR (default: this tree)] [--runs 7] [--args '--threads 1'] [--node-args '--v8-flag'] FILE
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, median, takeOption } from './interleave.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => takeOption(args, name, def);
const base = opt('base', null);
const fresh = opt('new', ROOT);
const runs = Number(opt('runs', '7'));
const extra = opt('args', '');
/** Node flags for the new build's runs only (e.g. a V8 flag being tried). */
const nodeArgs = opt('node-args', '');
const file = args[0];
if (!base || !file) throw new Error('usage: ab.mjs --base DIR [--runs N] [--args "..."] FILE');
const OUT = join(process.env.TMPDIR ?? '/tmp', `scan-ab-${process.pid}.out`);

function measure(bin, flags = '') {
  const cmd = `node ${flags} '${bin}' scan --json ${extra} '${file}' > '${OUT}'`;
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %e %U %S %M', 'bash', '-c', cmd], { cwd: ROOT, encoding: 'utf8' });
  const m = /@@ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing: ${r.stderr}`);
  return { wall: +m[1], cpu: +m[2] + +m[3], rss: +m[4] / 1024 };
}
const builds = { base: join(base, 'bin', 'nova-doctor.js'), new: join(fresh, 'bin', 'nova-doctor.js') };
for (const [k, b] of Object.entries(builds)) measure(b, k === 'new' ? nodeArgs : ''); // page cache, first compile
const { seen, loads } = interleaved(builds, runs, (b, k) => measure(b, k === 'new' ? nodeArgs : ''));
rmSync(OUT, { force: true });
console.log(`${file} ${extra}: median of ${runs} interleaved runs; loads ${loads.join(' ')}`);
for (const [k, rs] of Object.entries(seen))
  console.log(
    `  ${k.padEnd(5)} wall ${median(rs.map((r) => r.wall)).toFixed(2)} s  CPU ${median(rs.map((r) => r.cpu)).toFixed(2)} s` +
      `  RSS max ${Math.max(...rs.map((r) => r.rss)).toFixed(0)} MiB   (CPU ${rs.map((r) => r.cpu.toFixed(2)).join(' ')})`,
  );
