#!/usr/bin/env node
// Long-running fuzz of the log scanner's text path (not part of npm test):
//   1. ≥1M mutations of real lines (fixture logs + test/logscan/data) through eventOfLine and parseRecords:
//      no exception allowed; the slowest input per byte is reported.
//   2. Growth: each mutation family blown up from 128 KiB to 1 MiB must cost about linearly (a regex that
//      backtracks shows up as ~64× for 8× the input).
//
//   npm run build && node bench/fuzz-logscan.mjs [--mutations 1000000] [--seed 1]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventOfLine } from '../dist/logscan/lineEvent.js';
import { parseRecords } from '../dist/logscan/records.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const total = Number(opt('mutations', '1000000'));
let seed = Number(opt('seed', '1'));
const rand = () => {
  // xorshift32: reproducible runs
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const sources = [join(ROOT, 'test/logscan/data')];
const fixtureDir = join(ROOT, 'test/fixtures/nova/logs');
try {
  readdirSync(fixtureDir);
  sources.push(fixtureDir);
} catch {}
const seeds = [];
for (const dir of sources) {
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.log')) continue;
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l.length > 0) seeds.push(l);
  }
}
// Keep the interesting lines over-represented: the parsers do real work on them.
const interesting = seeds.filter((l) =>
  /image_props_filter|Filtering removed|returned 0 hosts|No valid host|Starting to schedule/.test(l),
);
console.log(`${seeds.length} seed lines (${interesting.length} with events) from ${sources.join(', ')}`);

const TOKENS = [
  "'",
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '=',
  '<?>',
  '[...]',
  ' ',
  '\\',
  "',img_hv_type='",
  "u'",
  '\n',
  '\t',
  '\u2026',
  '\u00e9',
  '\0',
  ' do not match',
  ' that are not provided by the compute node supported_instances ',
  ', but no corresponding supported_instances are advertised by the compute node',
  ' or hypervisor version ',
  "instance ID '",
  'ImageMetaProps(',
  ' ram: 1MB disk: 1MB io_ops: 0 instances: 0',
  ' from (pid=1) f /a.py:1',
  '{{',
  '}}',
];

function mutate(line) {
  let s = line;
  const ops = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(rand() * (s.length + 1));
    const r = rand();
    if (r < 0.3) s = s.slice(0, at) + s.slice(at + Math.floor(rand() * 100));
    else if (r < 0.6) s = s.slice(0, at) + pick(TOKENS).repeat(1 + Math.floor(rand() * 20)) + s.slice(at);
    else if (r < 0.8) {
      const len = Math.floor(rand() * 200);
      s = s.slice(0, at) + s.slice(at, at + len).repeat(1 + Math.floor(rand() * 10)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x3000)) + s.slice(at);
  }
  return s;
}

let worst = { perByte: 0, ms: 0, len: 0, sample: '' };
const t0 = performance.now();
for (let i = 0; i < total; i++) {
  const line = mutate(rand() < 0.7 ? pick(interesting.length ? interesting : seeds) : pick(seeds));
  const t = performance.now();
  try {
    eventOfLine(line);
    if (i % 16 === 0) parseRecords(`${line}\n${mutate(pick(seeds))}`);
  } catch (e) {
    console.error(
      `EXCEPTION on mutation ${i}: ${e?.stack ?? e}\ninput (${line.length} chars): ${JSON.stringify(line.slice(0, 2000))}`,
    );
    process.exit(1);
  }
  const ms = performance.now() - t;
  if (ms > 1 && ms / Math.max(line.length, 1000) > worst.perByte)
    worst = { perByte: ms / Math.max(line.length, 1000), ms, len: line.length, sample: line.slice(0, 200) };
  if ((i + 1) % 100000 === 0) console.log(`${i + 1} mutations, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(
  `no exception in ${total} mutations; slowest per byte: ${worst.ms.toFixed(2)} ms for ${worst.len} chars ${JSON.stringify(worst.sample)}`,
);

// Growth: the same mutated structure at 128 KiB and 1 MiB.
let failures = 0;
const families = 300;
for (let f = 0; f < families; f++) {
  const unit = mutate(pick(interesting.length ? interesting : seeds)).slice(0, 2000);
  const tok = pick(TOKENS);
  const at = Math.floor(rand() * unit.length);
  const build = (n) =>
    unit.slice(0, at) + tok.repeat(Math.max(1, Math.floor(n / Math.max(tok.length, 1)))) + unit.slice(at);
  const cost = (s) => {
    // Minimum of several runs: GC pauses and a busy machine only ever add time.
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      eventOfLine(s);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  cost(build(1024));
  const small = Math.max(cost(build(128 << 10)), 0.05);
  const large = cost(build(1 << 20));
  // 8× more input: linear work is ~8×, quadratic ~64×. Flag what looks quadratic and is not tiny.
  if (large / small > 40 && large > 20) {
    failures++;
    console.error(
      `SUPER-LINEAR? token ${JSON.stringify(tok)} in ${JSON.stringify(unit.slice(0, 120))}: 128 KiB ${small.toFixed(2)} ms, 1 MiB ${large.toFixed(1)} ms`,
    );
  }
}
console.log(`growth check: ${families} families, ${failures} suspicious`);
process.exit(failures > 0 ? 1 : 0);
