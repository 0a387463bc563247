#!/usr/bin/env node
// Builds a large nova-scheduler debug log for the scan benchmark by replaying the records of the generated
// fixture log (nova's own output) over and over, each copy with fresh request ids, fresh instance uuids and
// later timestamps. Two densities:
//
//   dense      the fixture as it is: ~39 KB of log per scheduling request, because the fixture cloud has
//              7 small compute nodes (no NUMA topology, a handful of instances). A worst case for the
//              scanner: ~65k ImagePropertiesFilter lines per GiB.
//   realistic  the same requests, each with the per-host noise a real cell adds: before the filters run,
//              nova logs every compute node's full state (ComputeNode repr with its NUMA topology JSON,
//              aggregates, service, the uuid of every instance on it; nova-facts.md §11). That noise is
//              written by nova's own HostState.update() (test/fixtures/nova/bench/host_noise.py: 16 hosts of
//              2x16x2 CPUs with 40 instances each, ~11 KB per host), inserted before each request's
//              "Starting with N host(s)" line with the request's time and context. ~215 KB per request,
//              i.e. ~5,000 requests per GiB ("a few thousand requests produce hundreds of megabytes").
//              The request mix stays the fixture's (3 of 4 requests fail on ImagePropertiesFilter, a cloud
//              in the middle of its Xen→KVM move), so rejections are still frequent; the noise hosts do not
//              appear in the filter results (the scanner never reads those counts).
//
//   node bench/make-log.mjs [SIZE] [OUT] [--mode dense|realistic] [--from FIXTURE.log ...] [--noise FILE]
//                           [--same-instances]
//   --same-instances: every copy keeps the fixture's instance uuids (only request ids and times are new): one
//   cloud's instances failing again and again over a longer period, where the report's instances stay the same.
//   SIZE: bytes, or with a suffix K/M/G (default 1G); OUT: default bench/data/scheduler-<mode>-<size>.log
// Writes OUT.json beside it: the density (bytes per request, rejection lines per GiB) for the bench to print.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_FROM = [join(ROOT, 'test/fixtures/nova/logs/scheduler-zed.log')];
const DEFAULT_NOISE = join(ROOT, 'test/fixtures/nova/bench/host-noise.log');
const NOISE_GENERATOR = join(ROOT, 'test/fixtures/nova/bench/host_noise.py');
// What host_noise.py writes where a request's time and context go.
const NOISE_TIME = '2000-01-01 00:00:00.000';
const NOISE_CONTEXT =
  '[None req-00000000-0000-4000-8000-000000000000 uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu pppppppppppppppppppppppppppppppp - - default default]';

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([kmg]i?b?)?$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  const mult = { k: 1 << 10, m: 1 << 20, g: 1 << 30 }[(m[2] ?? '').charAt(0).toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

const args = process.argv.slice(2);
const from = [];
const positional = [];
let mode = 'dense';
let sameInstances = false;
let noiseFile = DEFAULT_NOISE;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--from') from.push(args[++i]);
  else if (args[i] === '--mode') mode = args[++i];
  else if (args[i] === '--same-instances') sameInstances = true;
  else if (args[i] === '--noise') noiseFile = args[++i];
  else positional.push(args[i]);
}
if (mode !== 'dense' && mode !== 'realistic') throw new Error(`--mode dense|realistic, not ${mode}`);
const sizeArg = positional[0] ?? '1G';
const size = parseSize(sizeArg);
const out = positional[1] ?? join(ROOT, 'bench', 'data', `scheduler-${mode}-${sizeArg.toLowerCase()}.log`);
const sources = from.length > 0 ? from : DEFAULT_FROM;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
let text = sources.map((f) => readFileSync(f, 'utf8')).join('');
if (!text.endsWith('\n')) throw new Error('fixture must end with a newline');

// Instance uuids are the ones the scheduler names as instances; other uuids (nodes, images) stay.
const instances = new Set();
for (const m of text.matchAll(new RegExp(`(?:instance ID '|\\[instance: )(${UUID})`, 'g'))) instances.add(m[1]);
for (const m of text.matchAll(/Starting to schedule for instances: (\[[^\]]*\])/g)) {
  for (const u of m[1].matchAll(new RegExp(UUID, 'g'))) instances.add(u[0]);
}

if (mode === 'realistic') text = withHostNoise(text, loadNoise());

/** nova's per-host noise, generated with nova's own code when the committed copy is missing. */
function loadNoise() {
  if (!existsSync(noiseFile)) {
    process.stderr.write(`generating ${noiseFile} with nova's HostState (python3-nova) …\n`);
    const r = spawnSync('/usr/bin/python3', [NOISE_GENERATOR, noiseFile], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${NOISE_GENERATOR} failed; install python3-nova or use --mode dense`);
  }
  const noise = readFileSync(noiseFile, 'utf8');
  if (!noise.includes(NOISE_CONTEXT) || !noise.startsWith(NOISE_TIME))
    throw new Error(`${noiseFile}: not host_noise.py output`);
  return noise;
}

/** Inserts the noise before every "Starting with N host(s)" line, in that line's time and context. */
function withHostNoise(log, noise) {
  const at =
    /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \d+ DEBUG nova\.filters (\[[^\]]*\]) Starting with \d+ host\(s\)/gm;
  let inserted = 0;
  const outText = log.replace(at, (line, time, ctx) => {
    inserted++;
    return noise.replaceAll(NOISE_TIME, time).replaceAll(NOISE_CONTEXT, ctx) + line;
  });
  if (inserted === 0) throw new Error('no "Starting with N host(s)" line to put host noise before');
  return outText;
}

// The template: literal pieces and slots (timestamps at line starts, request ids, instance uuids).
const TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})/;
const slotRe = new RegExp(`(^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})|req-(${UUID})|(${UUID})`, 'gm');
const pieces = [];
const slots = []; // {kind: 't', ms} | {kind: 'u', tail} (uuid minus its first 8 hex digits)
let last = 0;
let firstMs = null;
let lastMs = 0;
for (const m of text.matchAll(slotRe)) {
  if (m[3] !== undefined && !instances.has(m[3])) continue;
  pieces.push(text.slice(last, m.index));
  if (m[1] !== undefined) {
    const t = TIME.exec(m[1]);
    const ms = Date.UTC(+t[1], +t[2] - 1, +t[3], +t[4], +t[5], +t[6], +t[7]);
    firstMs ??= ms;
    lastMs = Math.max(lastMs, ms);
    slots.push({ kind: 't', ms });
  } else {
    const u = m[2] ?? m[3];
    slots.push({ kind: 'u', prefix: m[2] !== undefined ? 'req-' : '', head: u.slice(0, 8), tail: u.slice(8) });
  }
  last = m.index + m[0].length;
}
pieces.push(text.slice(last));
const span = lastMs - (firstMs ?? 0) + 1000;

const pad = (n, w = 2) => String(n).padStart(w, '0');
const fmt = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
};

/** What the scanner has to find in a piece of log: the density the bench reports. */
const COUNTED = {
  requests: 'Starting to schedule for instances',
  imagePropsLines: 'image_props_filter',
  rejections: 'Instance contains properties',
  failedAttempts: 'Filtering removed all hosts',
};
function countLines(buf) {
  const counts = {};
  for (const [k, needle] of Object.entries(COUNTED)) {
    const nb = Buffer.from(needle);
    let n = 0;
    for (let i = buf.indexOf(nb); i !== -1; i = buf.indexOf(nb, buf.indexOf(10, i) + 1)) n++;
    counts[k] = n;
  }
  return counts;
}

mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp`;
const fd = openSync(tmp, 'w');
let written = 0;
let copy = 0;
const totals = Object.fromEntries(Object.keys(COUNTED).map((k) => [k, 0]));
let perCopy = null;
const t0 = Date.now();
while (written < size) {
  // Copy n: uuids get n as their first 8 hex digits (unique per copy), times move on by n spans.
  const hex = (copy + 1).toString(16).padStart(8, '0');
  const shift = copy * span;
  const parts = [];
  for (let i = 0; i < slots.length; i++) {
    parts.push(pieces[i]);
    const s = slots[i];
    const head = sameInstances && s.prefix === '' ? s.head : hex; // request ids are always new
    parts.push(s.kind === 't' ? fmt(s.ms + shift) : `${s.prefix}${head}${s.tail}`);
  }
  parts.push(pieces[slots.length]);
  let chunk = Buffer.from(parts.join(''));
  let partial = false;
  if (written + chunk.length > size) {
    // Stop at a line end so the file stays well-formed.
    const cut = chunk.lastIndexOf(10, size - written - 1);
    chunk = chunk.subarray(0, cut + 1);
    partial = true;
    if (chunk.length === 0) break;
  }
  perCopy ??= countLines(chunk);
  const counts = partial ? countLines(chunk) : perCopy;
  for (const k of Object.keys(totals)) totals[k] += counts[k];
  writeSync(fd, chunk);
  written += chunk.length;
  copy++;
}
closeSync(fd);
renameSync(tmp, out);
const perGiB = (n) => Math.round((n * (1 << 30)) / written);
const meta = {
  mode,
  bytes: written,
  copies: copy,
  sources,
  sameInstances,
  noise: mode === 'realistic' ? noiseFile : null,
  ...totals,
  bytesPerRequest: Math.round(written / Math.max(1, totals.requests)),
  perGiB: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, perGiB(v)])),
};
writeFileSync(`${out}.json`, `${JSON.stringify(meta, null, 2)}\n`);
process.stderr.write(
  `${out}: ${written} bytes, ${mode}, ${copy} copies of ${sources.join(', ')} (${instances.size} instance uuids ${sameInstances ? 'kept' : 'renamed per copy'}) in ${((Date.now() - t0) / 1000).toFixed(1)}s\n` +
    `  ${describeDensity(meta)}\n`,
);

function describeDensity(m) {
  return `${(m.bytesPerRequest / 1024).toFixed(0)} KB per scheduling request; per GiB: ${m.perGiB.requests} requests, ${m.perGiB.imagePropsLines} image_props_filter lines (${m.perGiB.rejections} rejections), ${m.perGiB.failedAttempts} "Filtering removed all hosts" lines`;
}
