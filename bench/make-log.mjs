#!/usr/bin/env node
// Builds a large, realistic nova-scheduler debug log by replaying the records of the generated fixture
// logs (nova's own output) over and over, each copy with fresh request ids, fresh instance uuids and
// later timestamps. Every copy is the fixture, so the density of rejections stays the fixture's.
//
//   node bench/make-log.mjs [SIZE] [OUT] [--from FIXTURE.log ...]
//   SIZE: bytes, or with a suffix K/M/G (default 1G); OUT: default bench/data/scheduler-1g.log
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_FROM = [join(ROOT, 'test/fixtures/nova/logs/scheduler-zed.log')];

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([kmg]i?b?)?$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  const mult = { k: 1 << 10, m: 1 << 20, g: 1 << 30 }[(m[2] ?? '').charAt(0).toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

const args = process.argv.slice(2);
const from = [];
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--from') from.push(args[++i]);
  else positional.push(args[i]);
}
const size = parseSize(positional[0] ?? '1G');
const out = positional[1] ?? join(ROOT, 'bench/data/scheduler-1g.log');
const sources = from.length > 0 ? from : DEFAULT_FROM;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const text = sources.map((f) => readFileSync(f, 'utf8')).join('');
if (!text.endsWith('\n')) throw new Error('fixture must end with a newline');

// Instance uuids are the ones the scheduler names as instances; other uuids (nodes, images) stay.
const instances = new Set();
for (const m of text.matchAll(new RegExp(`(?:instance ID '|\\[instance: )(${UUID})`, 'g'))) instances.add(m[1]);
for (const m of text.matchAll(/Starting to schedule for instances: (\[[^\]]*\])/g)) {
  for (const u of m[1].matchAll(new RegExp(UUID, 'g'))) instances.add(u[0]);
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
    slots.push({ kind: 'u', prefix: m[2] !== undefined ? 'req-' : '', tail: u.slice(8) });
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

mkdirSync(dirname(out), { recursive: true });
const fd = openSync(out, 'w');
let written = 0;
let copy = 0;
const t0 = Date.now();
while (written < size) {
  // Copy n: uuids get n as their first 8 hex digits (unique per copy), times move on by n spans.
  const hex = (copy + 1).toString(16).padStart(8, '0');
  const shift = copy * span;
  const parts = [];
  for (let i = 0; i < slots.length; i++) {
    parts.push(pieces[i]);
    const s = slots[i];
    parts.push(s.kind === 't' ? fmt(s.ms + shift) : `${s.prefix}${hex}${s.tail}`);
  }
  parts.push(pieces[slots.length]);
  let chunk = Buffer.from(parts.join(''));
  if (written + chunk.length > size) {
    // Stop at a line end so the file stays well-formed.
    const cut = chunk.lastIndexOf(10, size - written - 1);
    chunk = chunk.subarray(0, cut + 1);
    if (chunk.length === 0) break;
  }
  writeSync(fd, chunk);
  written += chunk.length;
  copy++;
}
closeSync(fd);
process.stderr.write(
  `${out}: ${written} bytes, ${copy} copies of ${sources.join(', ')} (${instances.size} instance uuids renamed per copy) in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`,
);
