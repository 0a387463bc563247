#!/usr/bin/env node
// Scan speed against the standard tools, on the same data, page cache warm, every output to a file (GNU grep
// stops at the first match when its output is /dev/null):
//   scan --json FILE        vs  LC_ALL=C grep -c -F image_props_filter FILE        (target ≤ 1.5 at 1 GiB, ≤ 1.0 at 4 GiB)
//   scan --json FILE.gz     vs  zcat FILE.gz | LC_ALL=C grep -c -F image_props_filter  (target ≤ 0.5)
// at two sizes: 1 GiB, and 4 GiB = the 1 GiB log four times over (its .gz: the 1 GiB .gz's member four times),
// for the default threads and --threads 1 and 2, runs interleaved (grep, default, 1, 2; grep, default, …) so a
// change in the machine's load hits every variant alike. Each run's wall, CPU (user+sys), peak RSS and the load
// average before it; medians, and what the default chose and why (scan --json's stats.threads).
// Two densities of log (bench/make-log.mjs):
//   realistic  the fixture's requests with the per-host noise nova writes in a real cell (~215 KB/request)
//   dense      the fixture replayed as it is (~39 KB/request): a worst case, 5x the rejections per GiB
// Builds bench/data/ on first run (make-log.mjs for the 1 GiB log, cat for 4 GiB, gzip -6 as logrotate does).
//
//   npm run build && node bench/scan/run.mjs [--size 1G,4G] [--runs 3] [--density realistic]
//                                            [--variants default,1,2] [--driver cli|api] [--no-gz]
// It also prints what bounds the ratios on this machine: node's own start, and how much work a second
// busy thread adds (vCPUs that share a core add little; then --threads 1 may be as fast).
// The last line of output is "@@summary <json>" for bench/run.js (its `plain`/`gz` are the default's).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
const sizes = opt('size', '1G,4G').split(',');
const runs = Number(opt('runs', '3'));
const densities = opt('density', 'realistic').split(',');
const variants = opt('variants', 'default,1,2').split(',');
const OUT = join(process.env.TMPDIR ?? '/tmp', `scan-bench-${process.pid}.out`);
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

const GiB = 2 ** 30;
const sizeBytes = (sz) => {
  const m = /^(\d+)([kmg])?$/i.exec(sz);
  if (!m) throw new Error(`--size: 1G, 4G…, not ${sz}`);
  return Number(m[1]) * ({ k: 2 ** 10, m: 2 ** 20, g: GiB }[(m[2] ?? '').toLowerCase()] ?? 1);
};
const dataPath = (density, sz) => join(ROOT, 'bench', 'data', `scheduler-${density}-${sz.toLowerCase()}.log`);

async function gzipTo(data, gz) {
  console.log(`compressing ${gz} (gzip -6, as logrotate does) …`);
  const hasGzip = spawnSync('gzip', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasGzip) sh(`gzip -6 -c '${data}' > '${gz}.tmp'`);
  else await pipeline(createReadStream(data), createGzip({ level: 6 }), createWriteStream(`${gz}.tmp`));
  renameSync(`${gz}.tmp`, gz);
}

/**
 * The log of that size: up to 1 GiB made by make-log.mjs; bigger ones are the 1 GiB log n times over (and
 * their .gz the 1 GiB .gz's member n times: a multi-member file, as logrotate + cat leave), so the sizes
 * differ in nothing but size.
 */
async function ensureData(density, sz) {
  const data = dataPath(density, sz);
  const bytes = sizeBytes(sz);
  const copies = bytes > GiB ? Math.round(bytes / GiB) : 0;
  const base = copies ? await ensureData(density, '1G') : null;
  if (!existsSync(data) || !existsSync(`${data}.json`)) {
    console.log(`building ${data} …`);
    if (base) {
      sh(`for i in $(seq ${copies}); do cat '${base.data}'; done > '${data}.tmp'`);
      renameSync(`${data}.tmp`, data);
      writeFileSync(`${data}.json`, JSON.stringify({ ...base.meta, bytes: statSync(data).size, copiesOf: base.data }));
    } else {
      const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'make-log.mjs'), sz, data, '--mode', density], {
        stdio: 'inherit',
      });
      if (r.status !== 0) throw new Error(`bench/make-log.mjs ${density} failed`);
    }
  }
  const gz = `${data}.gz`;
  if (withGz && !existsSync(gz)) {
    if (base) {
      sh(`for i in $(seq ${copies}); do cat '${base.gz}'; done > '${gz}.tmp'`);
      renameSync(`${gz}.tmp`, gz);
    } else await gzipTo(data, gz);
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

/**
 * Medians over warm runs of several commands, interleaved (one warm-up round first, for the page cache):
 * { name: { wall, cpu, rssMiB (the highest seen), runs: [{ wall, cpu, rssMiB, load }] } }.
 */
function timeInterleaved(cmds) {
  for (const cmd of Object.values(cmds)) measure(cmd);
  const seen = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let i = 0; i < runs; i++)
    for (const [k, cmd] of Object.entries(cmds)) {
      const load = Number(loadavg().split(' ')[0]);
      seen[k].push({ ...measure(cmd), load, ...(k === 'default' ? { chose: chosenThreads() } : {}) });
    }
  return Object.fromEntries(
    Object.entries(seen).map(([k, out]) => [
      k,
      {
        wall: median(out.map((r) => r.wall)),
        cpu: median(out.map((r) => r.cpu)),
        rssMiB: Math.max(...out.map((r) => r.rssMiB)),
        runs: out,
      },
    ]),
  );
}

/** The threads the last run wrote into OUT chose (scan --json's stats, at the end of the report). */
function chosenThreads() {
  try {
    const size = statSync(OUT).size;
    const fd = openSync(OUT, 'r');
    const tail = Buffer.alloc(Math.min(size, 8192));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    closeSync(fd);
    return Number(/"chosen":\s*(\d+)/.exec(tail.toString('utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** What the default chose for `file`, and why (one more run, its report's stats.threads). */
function defaultChoice(file) {
  const r = sh(`${scan} '${file}' > '${OUT}'; true`, { capture: true, anyStatus: true });
  try {
    return JSON.parse(readFileSync(OUT, 'utf8')).stats?.threads?.reason ?? '(not reported)';
  } catch {
    return `(no report: ${r.stderr.trim().split('\n').at(-1)})`;
  }
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mib = (b) => (b / (1 << 20)).toFixed(0);
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

const scan = pickDriver();
const variantCmd = (v, file) => `${v === 'default' ? scan : `${scan} --threads ${v}`} '${file}' > '${OUT}'`;
const variantName = (v) => (v === 'default' ? 'default' : `--threads ${v}`);
const nodeStart = median(Array.from({ length: 5 }, () => measure(`${process.execPath} -e 0`).wall));
const speedup = parallelSpeedup();
console.log(
  `driver: ${scan}; variants ${variants.join(', ')}; median of ${runs} interleaved warm runs; ${availableParallelism()} CPUs; load average ${loadavg()}`,
);
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

const fmtRun = (t) =>
  `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU, ${t.rssMiB.toFixed(0)} MiB (loads ${t.runs.map((r) => r.load.toFixed(1)).join(' ')}` +
  `${t.runs[0]?.chose !== undefined ? `; threads chosen ${t.runs.map((r) => r.chose).join(' ')}` : ''})`;

for (const density of densities)
  for (const sz of sizes) {
    const { data, gz, meta } = await ensureData(density, sz);
    const perGiB = meta.perGiB;
    console.log(
      `\n[${density} ${sz}] ${data} (${mib(statSync(data).size)} MiB${withGz ? `; .gz ${mib(statSync(gz).size)} MiB` : ''})\n` +
        `  ${(meta.bytesPerRequest / 1024).toFixed(0)} KB of log per scheduling request; per GiB: ${perGiB.requests} requests, ` +
        `${perGiB.imagePropsLines} image_props_filter lines (${perGiB.rejections} rejected hosts), ` +
        `${perGiB.failedAttempts} "Filtering removed all hosts" lines`,
    );
    const target = sizeBytes(sz) >= 4 * GiB ? 1.0 : 1.5;
    const entry = {
      density: `${density} ${sz}`,
      size: sz,
      bytes: statSync(data).size,
      bytesPerRequest: meta.bytesPerRequest,
      perGiB,
    };
    const kinds = withGz
      ? [
          ['plain', data, `LC_ALL=C grep -c -F image_props_filter '${data}' > '${OUT}'`, target, 'grep -c -F'],
          ['gz', gz, `zcat '${gz}' | LC_ALL=C grep -c -F image_props_filter > '${OUT}'`, 0.5, 'zcat | grep'],
        ]
      : [['plain', data, `LC_ALL=C grep -c -F image_props_filter '${data}' > '${OUT}'`, target, 'grep -c -F']];
    for (const [kind, file, grepCmd, goal, tool] of kinds) {
      const t = timeInterleaved({
        tool: grepCmd,
        ...Object.fromEntries(variants.map((v) => [variantName(v), variantCmd(v, file)])),
      });
      console.log(`  ${kind.padEnd(5)}  ${tool.padEnd(20)} ${fmtRun(t.tool)}`);
      const byVariant = {};
      for (const v of variants) {
        const r = t[variantName(v)];
        const q = ratio(r, t.tool);
        byVariant[variantName(v)] = { scan: r, ratio: q };
        console.log(
          `         ${`scan ${variantName(v)}`.padEnd(20)} ${fmtRun(r)}; ratio wall ${q.wall} (target ≤ ${goal}), CPU ${q.cpu}`,
        );
      }
      const why = variants.includes('default') ? defaultChoice(file) : null;
      if (why) console.log(`         the default: ${why}`);
      const d = byVariant.default ?? Object.values(byVariant)[0];
      entry[kind] = {
        scan: d.scan,
        grep: t.tool,
        ratio: d.ratio,
        target: goal,
        variants: byVariant,
        defaultChoice: why,
      };
    }
    summary.results.push(entry);
  }
rmSync(OUT, { force: true });
summary.loadAfter = loadavg();
console.log(`\nload average after: ${summary.loadAfter}`);
console.log(`@@summary ${JSON.stringify(summary)}`);
