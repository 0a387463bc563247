#!/usr/bin/env node
// Scan speed against the standard tools, on the same data, page cache warm:
//   scan --json FILE        vs  LC_ALL=C grep -c -F image_props_filter FILE        (target ratio ≤ 1.0)
//   scan --json FILE.gz     vs  zcat FILE.gz | LC_ALL=C grep -c -F image_props_filter  (target ≤ 0.7)
// and the scanner's peak RSS (target ≤ 128 MiB), for two densities of log (bench/make-log.mjs):
//   realistic  the fixture's requests with the per-host noise nova writes in a real cell (~215 KB/request)
//   dense      the fixture replayed as it is (~39 KB/request): a worst case, 5x the rejections per GiB
// Builds bench/data/ on first run (make-log.mjs, then gzip -6 as logrotate does).
//
//   npm run build && node bench/scan/run.mjs [--size 1G] [--runs 3] [--density realistic,dense]
//                                            [--driver cli|api] [--no-gz] [--threads N]
// It also prints what bounds the ratios on this machine: node's own start, and how much work a second
// busy thread adds (vCPUs that share a core add little; then --threads 1 may be as fast).
// The last line of output is "@@summary <json>" for bench/run.js.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const size = opt('size', '1G');
const runs = Number(opt('runs', '3'));
const densities = opt('density', 'realistic,dense').split(',');
const withGz = !args.includes('--no-gz');

function sh(cmd, { capture = false, anyStatus = false } = {}) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
  });
  if (r.status !== 0 && !anyStatus) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

async function ensureData(density) {
  const data = join(ROOT, 'bench', 'data', `scheduler-${density}-${size.toLowerCase()}.log`);
  if (!existsSync(data) || !existsSync(`${data}.json`)) {
    console.log(`building ${data} …`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'make-log.mjs'), size, data, '--mode', density], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`bench/make-log.mjs ${density} failed`);
  }
  const gz = `${data}.gz`;
  if (withGz && !existsSync(gz)) {
    console.log(`compressing ${gz} (gzip -6, as logrotate does) …`);
    const hasGzip = spawnSync('gzip', ['--version'], { stdio: 'ignore' }).status === 0;
    if (hasGzip) sh(`gzip -6 -c '${data}' > '${gz}.tmp'`);
    else await pipeline(createReadStream(data), createGzip({ level: 6 }), createWriteStream(`${gz}.tmp`));
    renameSync(`${gz}.tmp`, gz);
  }
  return { data, gz, meta: JSON.parse(readFileSync(`${data}.json`, 'utf8')) };
}

// The CLI's `scan --json` once it works; else the API driver in this directory.
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
    if (want === 'cli') throw new Error('nova-doctor scan --json does not work');
  }
  return 'node bench/scan/scan-json.mjs';
}

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

/** Median over warm runs (one run first to warm the page cache); the highest RSS seen. */
function timeIt(cmd) {
  measure(cmd);
  const out = [];
  for (let i = 0; i < runs; i++) out.push(measure(cmd));
  return {
    wall: median(out.map((r) => r.wall)),
    cpu: median(out.map((r) => r.cpu)),
    rssMiB: Math.max(...out.map((r) => r.rssMiB)),
  };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mib = (b) => (b / (1 << 20)).toFixed(0);
const fmt = (t) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;
const ratio = (a, b) => ({ wall: +(a.wall / b.wall).toFixed(2), cpu: +(a.cpu / b.cpu).toFixed(2) });

/**
 * What this machine gives a second thread: the same busy loop in one worker, then in two at once. vCPUs
 * that are one core's hyperthreads (or a busy host) give ~1.2x; two real cores ~2x.
 */
function parallelSpeedup() {
  const loop = 'let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i) % 7; process.exitCode = x > 7 ? 1 : 0;';
  const run = (n) => measure(`${Array.from({ length: n }, () => `node -e '${loop}' &`).join(' ')} wait`).wall;
  run(1);
  const one = median(Array.from({ length: 3 }, () => run(1)));
  const two = median(Array.from({ length: 3 }, () => run(2)));
  return +((2 * one) / two).toFixed(2);
}

const threads = opt('threads', null);
const scan = threads ? `${pickDriver()} --threads ${threads}` : pickDriver();
const nodeStart = median(Array.from({ length: 5 }, () => measure(`${process.execPath} -e 0`).wall));
const speedup = parallelSpeedup();
console.log(`driver: ${scan}; median of ${runs} warm runs; ${availableParallelism()} CPUs; load average ${loadavg()}`);
console.log(
  `this machine: node starts in ${nodeStart.toFixed(2)} s (node -e 0); two busy threads do ${speedup}x the work of one`,
);
const summary = {
  driver: scan,
  cpus: availableParallelism(),
  nodeStartS: nodeStart,
  parallelSpeedup: speedup,
  loadBefore: loadavg(),
  results: [],
};

for (const density of densities) {
  const { data, gz, meta } = await ensureData(density);
  const perGiB = meta.perGiB;
  console.log(
    `\n[${density}] ${data} (${mib(statSync(data).size)} MiB${withGz ? `; .gz ${mib(statSync(gz).size)} MiB` : ''})\n` +
      `  ${(meta.bytesPerRequest / 1024).toFixed(0)} KB of log per scheduling request; per GiB: ${perGiB.requests} requests, ` +
      `${perGiB.imagePropsLines} image_props_filter lines (${perGiB.rejections} rejected hosts), ` +
      `${perGiB.failedAttempts} "Filtering removed all hosts" lines`,
  );
  // Not "> /dev/null": GNU grep notices that and stops at the first match.
  const plainGrep = timeIt(`LC_ALL=C grep -c -F image_props_filter '${data}' | cat > /dev/null`);
  const plainScan = timeIt(`${scan} '${data}' > /dev/null`);
  const plain = ratio(plainScan, plainGrep);
  console.log(`  plain  scan --json ${fmt(plainScan)}, peak RSS ${plainScan.rssMiB.toFixed(0)} MiB`);
  console.log(`         grep -c -F  ${fmt(plainGrep)}`);
  console.log(`         ratio wall ${plain.wall} (target ≤ 1.0), CPU ${plain.cpu}`);
  const entry = {
    density,
    bytes: meta.bytes,
    bytesPerRequest: meta.bytesPerRequest,
    perGiB,
    plain: { scan: plainScan, grep: plainGrep, ratio: plain },
  };
  if (withGz) {
    const gzGrep = timeIt(`zcat '${gz}' | LC_ALL=C grep -c -F image_props_filter | cat > /dev/null`);
    const gzScan = timeIt(`${scan} '${gz}' > /dev/null`);
    const g = ratio(gzScan, gzGrep);
    console.log(`  gzip   scan --json ${fmt(gzScan)}, peak RSS ${gzScan.rssMiB.toFixed(0)} MiB`);
    console.log(`         zcat | grep ${fmt(gzGrep)}`);
    console.log(`         ratio wall ${g.wall} (target ≤ 0.7), CPU ${g.cpu}`);
    entry.gz = { scan: gzScan, grep: gzGrep, ratio: g };
  }
  summary.results.push(entry);
}
summary.loadAfter = loadavg();
console.log(`\nload average after: ${summary.loadAfter}`);
console.log(`@@summary ${JSON.stringify(summary)}`);
