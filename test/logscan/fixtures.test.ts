// End to end against the oracle: logs written by nova's own scheduler code (test/fixtures/nova/logs for Zed,
// test/fixtures/nova/2025.1/logs for nova 2025.1,
// made by test/fixtures/nova/generate.py) and expected.json, the generator's account of every request.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScanReport, scanLogs } from '../../src/logscan/index.js';

const NOVA = join(import.meta.dirname, '..', 'fixtures', 'nova');
const LOG_DIRS = [join(NOVA, 'logs'), join(NOVA, '2025.1', 'logs')];

interface Expected {
  instances: {
    uuid: string;
    requestIds: string[];
    mismatches: { property: string; value: string }[];
    hostsRejected: string[];
  }[];
  unattributed: {
    requestId: string;
    mismatches: { property: string; value: string }[];
    hostsRejected: string[];
    knownInstance: string | null;
  }[];
  noValidHost: { requestId: string; instance: string | null; filter: string | null }[];
}
const oracle: Record<string, Expected> = {};
/** The directory of each log the oracles name. */
const dirOf: Record<string, string> = {};
for (const d of LOG_DIRS) {
  const o: Record<string, Expected> = JSON.parse(readFileSync(join(d, 'expected.json'), 'utf8'));
  for (const [name, e] of Object.entries(o)) {
    oracle[name] = e;
    dirOf[name] = d;
  }
}
const LOGS = (name: string) => join(dirOf[name]!, name);

/** What the oracle knows, from a report. */
function view(r: ScanReport) {
  return {
    instances: r.instances
      .map((i) => ({
        uuid: i.uuid,
        requestIds: i.requestIds,
        mismatches: i.mismatches,
        hostsRejected: i.hostsRejected,
      }))
      .sort((a, b) => (a.uuid < b.uuid ? -1 : 1)),
    unattributed: r.unattributed.map((u) => ({
      requestId: u.requestId,
      mismatches: u.mismatches,
      hostsRejected: u.hostsRejected,
      knownInstance: u.knownInstance,
    })),
    noValidHost: r.noValidHost
      .filter((n) => n.source === 'scheduler')
      .map((n) => ({ requestId: n.requestId, instance: n.instance, filter: n.filter }))
      .sort(byRequest),
  };
}

// The report lists attempts by time, the oracle in the order they were asked for: two requests of the same
// minute can be logged the other way round (the JSON log has one such pair).
const byRequest = (a: { requestId: string | null }, b: { requestId: string | null }) =>
  (a.requestId ?? '') < (b.requestId ?? '') ? -1 : 1;

function want(e: Expected) {
  return {
    instances: e.instances
      .map((i) => ({
        uuid: i.uuid,
        requestIds: i.requestIds,
        mismatches: i.mismatches,
        hostsRejected: i.hostsRejected,
      }))
      .sort((a, b) => (a.uuid < b.uuid ? -1 : 1)),
    unattributed: e.unattributed.map((u) => ({
      requestId: u.requestId,
      mismatches: u.mismatches,
      hostsRejected: u.hostsRejected,
      knownInstance: u.knownInstance,
    })),
    noValidHost: e.noValidHost
      .map((n) => ({ requestId: n.requestId, instance: n.instance, filter: n.filter }))
      .sort(byRequest),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logscan-fx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A gzipped fixture (the JSON-format log) is scanned here as the plain file it holds; its .gz is scanned by
// the tests below like every other log's.
const plainCopies = mkdtempSync(join(tmpdir(), 'logscan-fx-plain-'));
afterAll(() => rmSync(plainCopies, { recursive: true, force: true }));

describe.each(Object.keys(oracle))('%s', (name) => {
  const raw = readFileSync(LOGS(name));
  const data = name.endsWith('.gz') ? gunzipSync(raw) : raw;
  const path = name.endsWith('.gz') ? join(plainCopies, name.slice(0, -3)) : LOGS(name);
  if (name.endsWith('.gz')) writeFileSync(path, data);

  it('plain: incidents, unattributed requests and every failed attempt as the oracle has them', async () => {
    const r = await scanLogs([path], { workers: 0 });
    // Where the oracle's prediction and nova's own INFO line disagree on the filter that removed the last
    // host, the log is the truth: prove it from the line, then compare everything else.
    const lines = data.toString().split('\n');
    const disputed = new Set<string>();
    for (const e of oracle[name]!.noValidHost) {
      const ours = r.noValidHost.find((n) => n.requestId === e.requestId && n.source === 'scheduler');
      if (!ours || ours.filter === e.filter) continue;
      const info = lines.find(
        (l) => l.includes(` INFO nova.filters [${e.requestId} `) && l.includes('Filtering removed all hosts'),
      );
      expect(info, `no INFO line for ${e.requestId}`).toBeDefined();
      expect(
        info!.endsWith(`'${ours.filter}: (start: 1, end: 0)']`) ||
          new RegExp(`'${ours.filter}: \\(start: \\d+, end: 0\\)'\\]$`).test(info!),
      ).toBe(true);
      disputed.add(e.requestId);
    }
    const drop = (v: ReturnType<typeof view>) => ({
      instances: v.instances.map((i) => ({
        ...i,
        requestIds: i.requestIds.filter((id) => !disputed.has(id as string)),
      })),
      unattributed: v.unattributed,
      noValidHost: v.noValidHost.filter((n) => !disputed.has(n.requestId as string)),
    });
    expect(drop(view(r))).toEqual(drop(want(oracle[name]!)));
    expect(disputed.size).toBeLessThanOrEqual(1);
    expect(r.warnings).toEqual([]);
    for (const i of r.instances) {
      // absence first; kvm and qemu in the order the rejecting hosts came (kvm-c2-04 offers only kvm)
      expect(i.passingValues.img_hv_type?.[0]).toBeNull();
      expect(new Set(i.passingValues.img_hv_type)).toEqual(new Set([null, 'qemu', 'kvm']));
      expect(i.evidence.length).toBeGreaterThan(0);
      expect(i.firstSeen <= i.lastSeen).toBe(true);
      // Every piece of evidence points at a real line of the file.
      const lines = data.toString().split('\n');
      for (const l of i.evidence) expect(lines[l.line - 1]).toBeDefined();
      for (const rej of i.rejections) {
        const text = lines[rej.location.line - 1]!;
        expect(text).toContain('Instance contains properties');
        expect(
          Buffer.byteLength(lines.slice(0, rej.location.line - 1).join('\n')) + (rej.location.line > 1 ? 1 : 0),
        ).toBe(rej.location.offset);
      }
    }
  });

  it('the same through worker threads over byte ranges, via stdin, and gzipped in several members', async () => {
    const base = await scanLogs([path], { workers: 0 });
    // Everything but the input's name (and timing) must be identical.
    const strip = (r: ScanReport, file: string) =>
      JSON.parse(
        JSON.stringify({ ...r, stats: undefined, files: undefined }, (k, v) => (k === 'file' && v === file ? 'F' : v)),
      );
    const expected = strip(base, path);

    const threaded = await scanLogs([path], { workers: 2, minBytesForWorkers: 0, splitMinBytes: 0 });
    expect(threaded.stats?.workers).toBe(2);
    expect(strip(threaded, path)).toEqual(expected);

    const stdin = new PassThrough();
    const viaStdin = scanLogs(['-'], { stdin, workers: 0 });
    stdin.end(data);
    expect(strip(await viaStdin, '-')).toEqual(expected);

    const gz = join(dir, `${name}.1.gz`);
    const third = Math.floor(data.length / 3);
    writeFileSync(
      gz,
      Buffer.concat([
        gzipSync(data.subarray(0, third)),
        gzipSync(data.subarray(third, 2 * third)),
        gzipSync(data.subarray(2 * third)),
      ]),
    );
    for (const workers of [0, 2]) {
      const r = await scanLogs([gz], { workers, minBytesForWorkers: 0 });
      expect(strip(r, gz)).toEqual(expected);
    }
    if (name.endsWith('.gz')) {
      const original = LOGS(name);
      expect(strip(await scanLogs([original], { workers: 0 }), original)).toEqual(expected);
    }
  });

  it('a truncated .gz gives what its readable part gives, and says it was cut', async () => {
    const gz = gzipSync(data);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const file = join(dir, `${name}.cut.gz`);
    writeFileSync(file, cut);
    const r = await scanLogs([file], { workers: 0 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toMatch(/^truncated gzip data/);
    // The readable part, decompressed independently, scanned as a plain file.
    const prefix = join(dir, `${name}.prefix.log`);
    writeFileSync(prefix, gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }));
    const plain = await scanLogs([prefix], { workers: 0 });
    expect(view(r)).toEqual(view(plain));
    expect(r.instances.length).toBeGreaterThan(0);
    expect(r.instances.length).toBeLessThanOrEqual(oracle[name]!.instances.length);
  });

  it('--since/--until keep only the attempts inside the window', async () => {
    const all = await scanLogs([path], { workers: 0 });
    const times = all.noValidHost.map((n) => n.time).sort();
    const mid = times[Math.floor(times.length / 2)]!;
    const early = await scanLogs([path], { workers: 0, until: mid });
    const late = await scanLogs([path], { workers: 0, since: mid });
    expect(early.noValidHost.every((n) => n.time <= mid)).toBe(true);
    expect(late.noValidHost.every((n) => n.time >= mid)).toBe(true);
    const at = all.noValidHost.filter((n) => n.time === mid).length;
    expect(early.noValidHost.length + late.noValidHost.length).toBe(all.noValidHost.length + at);
  });
});
