#!/usr/bin/env node
// `npm run bench`: runs the benchmarks in bench/*/run.mjs one after the other and ends with a summary
// table. Each prints ratios against a standard tool (never asserted in tests). The scan bench builds its
// data under bench/data/ (gitignored) on first run.
//
//   node bench/run.js [--skip-scan] [--skip-trace] [--skip-repair] [--skip-tui] [--skip-sea] [--only scan,tui]
//                     [--size 1G] [--runs 3] [--density realistic,dense] [--no-gz]   (passed to the scan bench)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flagValue = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = flagValue('only')?.split(',');
const SCAN_OPTIONS = ['size', 'runs', 'density', 'driver'];
const scanArgs = SCAN_OPTIONS.flatMap((o) => (flagValue(o) === undefined ? [] : [`--${o}`, flagValue(o)]));
if (args.includes('--no-gz')) scanArgs.push('--no-gz');

/** The benches, in order; the optional ones are skipped when their script is absent. */
const BENCHES = [
  { name: 'scan', script: 'bench/scan/run.mjs', args: scanArgs },
  { name: 'trace', script: 'bench/trace/run.mjs', args: [] },
  { name: 'repair', script: 'bench/repair/run.mjs', args: [] },
  { name: 'tui', script: 'bench/tui/run.mjs', args: [] },
  // Start-up of dist/nova-doctor (npm run build:binary) against node bin/nova-doctor.js; skips itself when not built.
  { name: 'sea', script: 'bench/sea/run.mjs', args: [] },
];

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}

/** Runs one bench, echoing its output with a prefix; resolves with its lines and exit status. */
function run(b) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, b.script), ...b.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    const echo = (stream, out) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const l of parts) {
          lines.push(l);
          if (!l.startsWith('@@summary ')) out.write(`[${b.name}] ${l}\n`);
        }
      });
      stream.on('end', () => {
        if (rest) {
          lines.push(rest);
          out.write(`[${b.name}] ${rest}\n`);
        }
      });
    };
    echo(child.stdout, process.stdout);
    echo(child.stderr, process.stderr);
    const t0 = performance.now();
    child.on('close', (code) => resolve({ code, lines, seconds: (performance.now() - t0) / 1000 }));
  });
}

const rows = [];
const row = (bench, what, result, target = '', ok = '') => rows.push({ bench, what, result, target, ok });
const check = (value, limit) => (value <= limit ? 'met' : 'missed');

for (const b of BENCHES) {
  const wanted = only ? only.includes(b.name) : !args.includes(`--skip-${b.name}`);
  if (!wanted) {
    row(b.name, 'skipped (flag)', '');
    continue;
  }
  if (!existsSync(join(ROOT, b.script))) {
    row(b.name, `skipped (${b.script} absent)`, '');
    continue;
  }
  console.log(
    `\n=== ${b.name}: node ${b.script} ${b.args.join(' ')} (load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
  const r = await run(b);
  if (r.code !== 0) {
    row(b.name, `failed (exit ${r.code}) after ${r.seconds.toFixed(0)} s`, r.lines.filter(Boolean).at(-1) ?? '');
    continue;
  }
  const summaryLine = r.lines.find((l) => l.startsWith('@@summary '));
  if (b.name === 'scan' && summaryLine) {
    const s = JSON.parse(summaryLine.slice('@@summary '.length));
    for (const d of s.results) {
      const density = `${d.density} (${(d.bytesPerRequest / 1024).toFixed(0)} KB/request, ${d.perGiB.imagePropsLines} image_props_filter lines/GiB)`;
      row(
        'scan',
        `${density}: plain, wall ratio vs grep -c -F`,
        `${d.plain.ratio.wall} (CPU ${d.plain.ratio.cpu})`,
        '≤ 1.0',
        check(d.plain.ratio.wall, 1),
      );
      if (d.gz)
        row(
          'scan',
          `${d.density}: .gz, wall ratio vs zcat | grep`,
          `${d.gz.ratio.wall} (CPU ${d.gz.ratio.cpu})`,
          '≤ 0.7',
          check(d.gz.ratio.wall, 0.7),
        );
      const rss = Math.max(d.plain.scan.rssMiB, d.gz?.scan.rssMiB ?? 0);
      row(
        'scan',
        `${d.density}: peak RSS (plain${d.gz ? ', .gz' : ''})`,
        `${d.plain.scan.rssMiB.toFixed(0)}${d.gz ? `, ${d.gz.scan.rssMiB.toFixed(0)}` : ''} MiB`,
        '≤ 128 MiB',
        check(rss, 128),
      );
    }
    row('scan', 'load average before → after', `${s.loadBefore} → ${s.loadAfter} (${s.cpus} CPUs)`);
  } else {
    // Other benches print their own verdicts: keep the lines that state a ratio or a budget.
    const verdicts = r.lines.filter((l) => /ratio|budget|target/i.test(l) && !l.startsWith('{'));
    for (const l of verdicts.slice(-6)) row(b.name, l.trim(), '');
    if (verdicts.length === 0) row(b.name, `done in ${r.seconds.toFixed(0)} s`, '');
  }
}

const widths = ['bench', 'what', 'result', 'target', 'ok'].map((k) =>
  Math.min(100, Math.max(k.length, ...rows.map((r) => String(r[k]).length))),
);
const line = (cells) =>
  cells
    .map((c, i) => String(c).padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
console.log('\n=== summary');
console.log(line(['bench', 'what', 'result', 'target', 'ok']));
for (const r of rows) console.log(line([r.bench, r.what, r.result, r.target, r.ok]));
