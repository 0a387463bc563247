#!/usr/bin/env node
// TUI responsiveness with many instances, through runTui() exactly as the binary mounts it
// (throttled ink rendering, no debug mode), over a fake doctor that hands over rows as the real one does (a row
// per instance; the full view, plan and spec text, only from detail() when one is opened). Prints figures
// against the budgets: first frame with 10,000 instances ≤ 500 ms; keypress to frame on the list ≤ 50 ms, at
// 10k and at 100k (issue 16); the streamed session's first rows and last, and this process's RSS.
// Run after `npm run build`:  node bench/tui/run.mjs [instances=100000] [presses=40]
// (bench/tui/cloud.mjs measures the real binary over a grown cloud.)
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';

// Under CI ink draws nothing until exit; this is a terminal measurement.
delete process.env.CI;
// React's development build records a performance mark per component per commit (and keeps them):
// several times slower and growing. The binary runs production React; so does this bench, unless
// asked: NODE_ENV=development node bench/tui/run.mjs
process.env.NODE_ENV ??= 'production';
const { runTui } = await import('../../dist/tui/index.js');

const N = Number(process.argv[2] ?? 100_000);
const PRESSES = Number(process.argv[3] ?? 40);
const COLUMNS = 120;
const ROWS = 40;

// A real spec text, as nova's RequestSpec wrote it: web01's row in the fixture cloud's nova_api dump.
function fixtureSpec() {
  const manifest = JSON.parse(
    readFileSync(new URL('../../test/fixtures/nova/cloud/manifest.json', import.meta.url), 'utf8'),
  );
  const web01 = manifest.instances.find((i) => i.displayName === 'web01' && i.repair);
  const dump = readFileSync(new URL('../../test/fixtures/nova/cloud/api.sql', import.meta.url), 'utf8');
  // mariadb-dump writes the row as (…,'<uuid>','<spec>',…) with backslash escapes inside quotes.
  const at = dump.indexOf(`'${web01.uuid}','{`);
  let i = at + web01.uuid.length + 4;
  let spec = '';
  for (; dump[i] !== "'"; i += 1) spec += dump[i] === '\\' ? dump[++i] : dump[i];
  if (!spec.includes('"img_hv_type": "xen"')) throw new Error("could not read web01's spec from api.sql");
  return { instanceUuid: web01.uuid, spec };
}
const fixture = fixtureSpec();
const PROPS = '/nova_object.data/image/nova_object.data/properties/nova_object.data';
const KVM = [
  ['i686', 'qemu', 'hvm'],
  ['i686', 'kvm', 'hvm'],
  ['x86_64', 'qemu', 'hvm'],
  ['x86_64', 'kvm', 'hvm'],
];

const uuidOf = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const timeOf = (i) =>
  `2026-11-27 ${String(10 + (Math.floor(i / 3600) % 14)).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.693`;

/** The list's row of instance i: what the doctor streams. */
function row(i) {
  const { snapshot: _s, diagnosis: _d, plan, ...rest } = view(i, false);
  return { ...rest, staleCount: 1, planSummary: { status: 'planned', reason: null, cell: plan.cell, writes: WRITES } };
}
const WRITES = [{ database: 'api', table: 'request_specs', rows: 1 }];

/** Instance i in full, as detail() reads it again. */
function view(i, withSpec = true) {
  const uuid = uuidOf(i);
  const spec = withSpec ? fixture.spec.replaceAll(fixture.instanceUuid, uuid) : '';
  const rejection = (host) => ({
    requestId: `req-11111111-2222-3333-4444-${String(i).padStart(12, '0')}`,
    time: timeOf(i),
    host,
    node: `${host}.example.org`,
    requested: { hw_architecture: 'x86_64', hw_vm_mode: 'xen', img_hv_type: 'xen' },
    supportedInstances: KVM,
    hypervisorVersion: 2011001,
    mismatches: [{ property: 'img_hv_type', value: 'xen', passingValues: ['qemu', 'kvm', null] }],
    location: { file: '/var/log/nova/nova-scheduler.log', line: 1000 + i * 3 },
  });
  const rejections = [rejection('kvm-compute1'), rejection('kvm-compute2')];
  return {
    uuid,
    status: 'stale',
    cellName: `cell${1 + (i % 3)}`,
    displayName: `web-${String(i).padStart(5, '0')}`,
    incident: {
      uuid,
      requestIds: [rejections[0].requestId],
      mismatches: [{ property: 'img_hv_type', value: 'xen' }],
      passingValues: { img_hv_type: ['qemu', 'kvm', null] },
      hostsRejected: ['kvm-compute1', 'kvm-compute2'],
      firstSeen: timeOf(i),
      lastSeen: timeOf(i),
      rejections,
      evidence: rejections.map((r) => r.location),
    },
    snapshot: null,
    diagnosis: null,
    plan: {
      uuid,
      cell: { uuid: 'c1', name: 'cell1' },
      status: 'planned',
      reason: null,
      requestSpecPatch: [
        { op: 'test', path: `${PROPS}/img_hv_type`, value: 'xen' },
        { op: 'replace', path: `${PROPS}/img_hv_type`, value: 'kvm' },
      ],
      specBefore: spec,
      specAfter: spec.replace('"img_hv_type": "xen"', '"img_hv_type": "kvm"'),
      rowChanges: [],
      warnings: [],
    },
    lastResult: null,
  };
}

class Stdout extends EventEmitter {
  isTTY = false;
  columns = COLUMNS;
  rows = ROWS;
  last = '';
  write(chunk) {
    this.last = stripVTControlCharacters(String(chunk));
    this.emit('frame', this.last, performance.now());
    return true;
  }
}

class Stdin extends EventEmitter {
  isTTY = true;
  data = null;
  write(data) {
    this.data = data;
    this.emit('readable');
  }
  read() {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

function doctor(views, mode) {
  const listeners = new Set();
  return {
    config: {
      logs: ['x'],
      db: { configFiles: [], configDirs: [], apiDbUrl: null, cellDbUrls: [] },
      all: false,
      readOnly: false,
      hvType: null,
      since: null,
      until: null,
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async start() {
      if (mode === 'stream') {
        // The trace reports instances as it goes, in bursts of 100 (a sweep reads 250 at a time).
        for (let k = 0; k < views.length; k += 100) {
          for (const v of views.slice(k, k + 100)) for (const l of listeners) l({ type: 'instance', view: v });
          await new Promise((r) => setImmediate(r));
        }
      }
      return views;
    },
    async detail(uuid) {
      return view(Number.parseInt(uuid.slice(-12), 16));
    },
    async repair() {
      return { journalPath: null, results: [] };
    },
    async undo() {
      return [];
    },
    async close() {},
  };
}

/** Resolves with the time of the first frame that satisfies `predicate`. */
function frameWhere(stdout, predicate, what, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    if (predicate(stdout.last)) return resolve(performance.now());
    const timer = setTimeout(() => {
      stdout.off('frame', on);
      reject(new Error(`no frame with ${what} within ${timeoutMs} ms; last:\n${stdout.last}`));
    }, timeoutMs);
    const on = (frame, at) => {
      if (!predicate(frame)) return;
      clearTimeout(timer);
      stdout.off('frame', on);
      resolve(at);
    };
    stdout.on('frame', on);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const selected = (frame) => frame.split('\n').find((l) => l.startsWith('›')) ?? '';
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function session(mode) {
  const views = Array.from({ length: N }, (_, i) => row(i + 1));
  const stdout = new Stdout();
  const stdin = new Stdin();
  const api = doctor(views, mode);
  const t0 = performance.now();
  const done = runTui(api, { stdin, stdout, stderr: stdout, patchConsole: false });
  const rowsAt = frameWhere(stdout, (f) => f.includes('00000000-0000-4000-8000-'), 'first rows', 60_000);
  const firstAt = await frameWhere(
    stdout,
    (f) => f.includes(`${N} instances`) && f.includes(uuidOf(1)) && /^ready/m.test(f),
    `${N} instances`,
    120_000,
  );
  return { stdout, stdin, done, first: firstAt - t0, rows: (await rowsAt) - t0 };
}

// CPU time of this process per key, next to the wall time: on a shared machine the wall time
// includes waiting for a core, the CPU time does not.
const cpuTimes = new Map();

async function press(s, key, predicate, what) {
  await sleep(40); // past ink's 30 fps throttle, so the figure is the app's latency, not the frame cap
  const t = performance.now();
  const c = process.cpuUsage();
  const at = frameWhere(s.stdout, predicate, what);
  s.stdin.write(key);
  const wall = (await at) - t;
  const used = process.cpuUsage(c);
  cpuTimes.set(wall, (used.user + used.system) / 1000);
  return wall;
}

function summary(name, xs, budget) {
  const sorted = [...xs].sort((a, b) => a - b);
  const p50 = pct(sorted, 50);
  const p95 = pct(sorted, 95);
  const cpu = xs.map((x) => cpuTimes.get(x) ?? Number.NaN).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(30)} wall median ${p50.toFixed(1).padStart(5)} p95 ${p95.toFixed(1).padStart(6)} ms · cpu median ${pct(cpu, 50).toFixed(1).padStart(5)} p95 ${pct(cpu, 95).toFixed(1).padStart(5)} ms · budget ${budget} ms, wall p50/budget ${(p50 / budget).toFixed(2)}`,
  );
}

const load = (await import('node:os')).loadavg()[0].toFixed(1);
console.log(
  `nova-doctor TUI bench: ${N} instances, ${COLUMNS}x${ROWS} terminal, node ${process.version}, React ${process.env.NODE_ENV}, load average ${load}`,
);

// Cold-ish first frame: all instances handed over at once by start().
const a = await session('all');
console.log(
  `${'first frame, all at once'.padEnd(34)} ${a.first.toFixed(1).padStart(6)} ms  budget 500 ms  ratio ${(a.first / 500).toFixed(2)}`,
);

const down = [];
for (let i = 2; i <= PRESSES + 1; i += 1) {
  down.push(await press(a, 'j', (f) => selected(f).includes(uuidOf(i)), `cursor on ${i}`));
}
summary('j (cursor down)', down, 50);

const pages = [];
for (let i = 0; i < 10; i += 1) {
  const before = selected(a.stdout.last);
  pages.push(await press(a, '\u001b[6~', (f) => selected(f) !== '' && selected(f) !== before, 'page down'));
}
summary('PgDn', pages, 50);

const jumps = [];
jumps.push(await press(a, 'G', (f) => selected(f).includes(uuidOf(N)), 'bottom'));
jumps.push(await press(a, 'g', (f) => selected(f).includes(uuidOf(1)), 'top'));
summary('G / g (bottom, top)', jumps, 50);

const sorts = [];
for (const label of ['last rejection', 'hosts rejected', 'cell', 'uuid', 'status']) {
  sorts.push(
    await press(
      a,
      's',
      (f) => f.includes(`sort: ${label} `) || f.includes(`sort: ${label}\n`) || f.includes(`sort: ${label} ·`),
      `sort ${label}`,
    ),
  );
}
summary(`s (re-sort ${N})`, sorts, 50);

await press(a, '/', (f) => f.split('\n').some((l) => l.startsWith('/')), 'filter field');
const typing = [];
let typed = '';
for (const ch of 'web-0999') {
  typed += ch;
  const want = `filter: ${typed} →`;
  typing.push(await press(a, ch, (f) => f.includes(want), want));
}
summary(`filter keystroke (over ${N})`, typing, 50);
await press(a, '\u001b', (f) => !f.includes('filter:'), 'filter cleared');

const opens = [];
for (let i = 0; i < 5; i += 1) {
  opens.push(await press(a, '\r', (f) => f.includes('[Evidence]'), 'detail'));
  opens.push(await press(a, 'p', (f) => f.includes('[Plan]') && f.includes('Spec text diff'), 'plan with diff'));
  await press(a, 'q', (f) => f.includes('sort: '), 'back to list');
}
summary('Enter / p (detail, plan diff)', opens, 50);

a.stdin.write('q');
await a.done;

// Streaming: instances arrive as events while the list is already up.
const b = await session('stream');
console.log(`${'streamed: first rows'.padEnd(34)} ${b.rows.toFixed(1).padStart(6)} ms`);
console.log(
  `${'streamed: all, ready'.padEnd(34)} ${b.first.toFixed(1).padStart(6)} ms  budget 500 ms  ratio ${(b.first / 500).toFixed(2)}`,
);
const mem = process.memoryUsage();
console.log(
  `${'memory after both sessions'.padEnd(34)} RSS ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB (rows of ${N} instances, twice)`,
);
b.stdin.write('q');
await b.done;
process.exit(0);
