#!/usr/bin/env node
// The TUI's work over a grown cloud without the terminal: the doctor's session (sweep, brief plans, rows) and the
// list's state (sessionReducer folding the events in batches, the sorted and filtered list after each), as the
// binary does it (the same tight heap), to see where CPU, garbage collection and memory go without ink's frames.
// Prints CPU (user + sys, all threads), wall, GC time and count, and the heap kept for the rows (after a full GC).
// usage: npm run build && node --expose-gc bench/tui/session.mjs NOVA_CONF [--no-list]
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const conf = process.argv[2];
if (!conf || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc bench/tui/session.mjs NOVA_CONF [--no-list]');
  process.exit(2);
}
const withList = !process.argv.includes('--no-list');
if (!process.env.LOOSE_HEAP) (await import('../../dist/doctor/startup.js')).prepareDatabaseWork('tui');
const { createDoctor } = await import('../../dist/doctor/session.js');
const { doctorConfigFrom } = await import('../../dist/cli/options.js');
const { initialSession, sessionReducer } = await import('../../dist/tui/state.js');
const { sortInstances, narrowingFilter, listWindow } = await import('../../dist/tui/list.js');

let gcMs = 0;
let gcs = 0;
let gcMajorMs = 0;
let gcMajor = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcs += 1;
    if (e.detail?.kind !== 1) {
      gcMajorMs += e.duration;
      gcMajor += 1;
    }
  }
}).observe({ entryTypes: ['gc'] });

const config = doctorConfigFrom([], { config: [conf], all: true });
const doctor = createDoctor(config);
let state = initialSession(config, Date.now());
let queue = [];
const filter = narrowingFilter();
let renders = 0;
const render = () => {
  if (queue.length === 0) return;
  state = sessionReducer(state, { type: 'events', events: queue, at: Date.now() });
  queue = [];
  renders += 1;
  // What a frame derives: the sorted list and its first window.
  const visible = filter(sortInstances(state.views, 'status', false), '');
  listWindow(
    visible.slice(0, 40).map((r) => r.uuid),
    null,
    0,
    36,
  );
};
const timer = withList ? setInterval(render, 50) : null;
doctor.subscribe((e) => {
  if (withList) queue.push(e);
});
const t0 = performance.now();
const c0 = process.cpuUsage();
const rows = await doctor.start();
if (timer) clearInterval(timer);
render();
if (withList) state = sessionReducer(state, { type: 'started', views: rows, at: Date.now() });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const listed = rows.length;
const keptRows = withList ? state.views.size : listed;
gc();
gc();
const heap = process.memoryUsage();
console.log(
  JSON.stringify({
    listed,
    keptRows,
    renders,
    wallMs: Math.round(wall),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    gcMs: Math.round(gcMs),
    gcs,
    gcMajorMs: Math.round(gcMajorMs),
    gcMajor,
    heapUsedMiB: +(heap.heapUsed / 2 ** 20).toFixed(1),
    rssMiB: +(heap.rss / 2 ** 20).toFixed(0),
    load: +loadavg()[0].toFixed(2),
  }),
);
if (process.argv.includes('--snapshot')) {
  const file = (await import('node:v8')).writeHeapSnapshot();
  console.error(`heap snapshot: ${file}`);
  globalThis.keep = [rows, state];
}
await doctor.close();
process.exit(0);
