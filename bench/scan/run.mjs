#!/usr/bin/env node
// Scan speed against the standard tools, on the same data, page cache warm:
//   scan --json FILE        vs  LC_ALL=C grep -c -F image_props_filter FILE        (target ratio ≤ 1.0)
//   scan --json FILE.gz     vs  zcat FILE.gz | LC_ALL=C grep -c -F image_props_filter  (target ≤ 0.7)
// and the scanner's peak RSS (target ≤ 128 MiB). Builds bench/data/ if missing (bench/make-log.mjs).
//
//   npm run build && node bench/scan/run.mjs [--size 1G] [--runs 3] [--driver cli|api]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const size = opt('size', '1G');
const runs = Number(opt('runs', '3'));
const data = join(ROOT, 'bench', 'data', `scheduler-${size.toLowerCase()}.log`);
const gz = `${data}.gz`;

function sh(cmd, { capture = false, anyStatus = false } = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && !anyStatus) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

if (!existsSync(data)) {
  console.log(`building ${data} …`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'make-log.mjs'), size, data], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
if (!existsSync(gz)) {
  console.log(`compressing ${gz} (gzip -6, as logrotate does) …`);
  sh(`gzip -6 -c '${data}' > '${gz}'`);
}

// The CLI's `scan --json` once it exists; until then the API driver in this directory.
function pickDriver() {
  const want = opt('driver', 'auto');
  if (want !== 'api') {
    const probe = spawnSync(
      process.execPath,
      ['bin/nova-doctor.js', 'scan', '--json', join(ROOT, 'test/logscan/data/zed-facts.log')],
      { cwd: ROOT, encoding: 'utf8' },
    );
    try {
      if (Array.isArray(JSON.parse(probe.stdout).instances)) return 'node bin/nova-doctor.js scan --json';
    } catch {}
    if (want === 'cli') throw new Error('nova-doctor scan --json is not wired yet');
  }
  return 'node bench/scan/scan-json.mjs';
}
const scan = pickDriver();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall and CPU seconds (user+sys, children included) and peak RSS of one run, via GNU time. */
function measure(cmd) {
  // Exit status is not an error here: `scan` exits non-zero when it finds incidents (documented exit codes).
  const r = sh(`/usr/bin/time -f '@@ %e %U %S %M' bash -o pipefail -c ${JSON.stringify(cmd)}`, {
    capture: true,
    anyStatus: true,
  });
  const m = /@@ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing for ${cmd}: ${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMiB: Number(m[4]) / 1024 };
}

/** Median over warm runs (one run first to warm the page cache). */
function timeIt(cmd) {
  measure(cmd);
  const runsOut = [];
  for (let i = 0; i < runs; i++) runsOut.push(measure(cmd));
  return {
    wall: median(runsOut.map((r) => r.wall)),
    cpu: median(runsOut.map((r) => r.cpu)),
    rssMiB: Math.max(...runsOut.map((r) => r.rssMiB)),
  };
}

const mib = (b) => (b / (1 << 20)).toFixed(0);
const fmt = (t) => `${t.wall.toFixed(2)} s wall (${t.cpu.toFixed(2)} s CPU)`;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`data: ${data} (${mib(statSync(data).size)} MiB), ${gz} (${mib(statSync(gz).size)} MiB)`);
console.log(`driver: ${scan}; median of ${runs} warm runs; load average ${load} on ${availableParallelism()} CPUs`);

const plainScan = timeIt(`${scan} '${data}' > /dev/null`);
// Not "> /dev/null": GNU grep notices that and stops at the first match.
const plainGrep = timeIt(`LC_ALL=C grep -c -F image_props_filter '${data}' | cat > /dev/null`);
console.log(`plain  scan --json ${fmt(plainScan)}  grep -c -F ${fmt(plainGrep)}`);
console.log(
  `       ratio wall ${(plainScan.wall / plainGrep.wall).toFixed(2)} (target ≤ 1.0), CPU ${(plainScan.cpu / plainGrep.cpu).toFixed(2)}`,
);

const gzScan = timeIt(`${scan} '${gz}' > /dev/null`);
const gzGrep = timeIt(`zcat '${gz}' | LC_ALL=C grep -c -F image_props_filter | cat > /dev/null`);
console.log(`gzip   scan --json ${fmt(gzScan)}  zcat | grep ${fmt(gzGrep)}`);
console.log(
  `       ratio wall ${(gzScan.wall / gzGrep.wall).toFixed(2)} (target ≤ 0.7), CPU ${(gzScan.cpu / gzGrep.cpu).toFixed(2)}`,
);

console.log(
  `peak RSS  scan plain ${plainScan.rssMiB.toFixed(0)} MiB, gzip ${gzScan.rssMiB.toFixed(0)} MiB (target ≤ 128)`,
);
