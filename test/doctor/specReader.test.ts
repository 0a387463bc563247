import { describe, expect, it } from 'vitest';
import { startSpecReader, withSpecReadings } from '../../src/doctor/specReader.js';
import { readSpec } from '../../src/nova/requestSpec.js';
import type { InstanceSnapshot, RequestSpecRow } from '../../src/nova/snapshot.js';
import { dumpRows } from '../helpers/fixtureRows.js';

// Every spec nova wrote for the fixture cloud, plus the broken ones a real cloud may hold.
const specs: (string | null)[] = [
  ...dumpRows('api', 'request_specs').map((r) => String(r.spec)),
  '{"nova_object.name": "RequestSpec", "nova_object.data": {',
  '{"nova_object.name": "Flavor"}',
  '[]',
  null,
];

function row(i: number, spec: string | null, bytes = false): RequestSpecRow | null {
  if (spec === null) return null;
  const r = { id: i, instanceUuid: `uuid-${i}`, spec };
  if (bytes) Object.defineProperty(r, 'specBytes', { value: Buffer.from(spec, 'utf8'), enumerable: false });
  return r;
}

const snapshot = (i: number, spec: string | null) =>
  ({ uuid: `uuid-${i}`, requestSpec: row(i, spec, i % 2 === 0) }) as unknown as InstanceSnapshot;

async function* stream<T>(items: T[]) {
  for (const x of items) yield x;
}

describe('reading request specs on a worker thread', () => {
  it('gives exactly what readSpec gives, in order', async () => {
    const reader = startSpecReader();
    expect(reader.onWorker).toBe(true); // npm test builds dist/ first
    try {
      const expected = specs.map((s) => (s === null ? null : readSpec(s)));
      const got = await reader.read(specs.map((s, i) => row(i, s)));
      expect(got).toEqual(expected);
      expect(got.filter((r) => r?.ok).length).toBeGreaterThan(20);
      // As a sweep reads them: UTF-8 bytes packed into one buffer handed over to the worker.
      const asBytes = specs.map((s, i) => row(i, s, true));
      expect(asBytes.every((r) => r === null || r.specBytes)).toBe(true);
      expect(await reader.read(asBytes)).toEqual(expected);
    } finally {
      await reader.close();
    }
  });

  it('pairs every snapshot with its own reading, whatever the batch size', async () => {
    const snaps = [...specs, ...specs, ...specs].map((s, i) => snapshot(i, s));
    for (const size of [1, 7, 250]) {
      const reader = startSpecReader();
      try {
        const got: string[] = [];
        for await (const { snapshot: s, reading } of withSpecReadings(stream(snaps), reader, size)) {
          expect(reading).toEqual(s.requestSpec ? readSpec(s.requestSpec.spec) : null);
          got.push(s.uuid);
        }
        expect(got).toEqual(snaps.map((s) => s.uuid));
      } finally {
        await reader.close();
      }
    }
  });

  it('still answers, from this thread, when the worker is gone', async () => {
    const reader = startSpecReader();
    const first = reader.read(specs.map((s, i) => row(i, s)));
    await reader.close(); // the worker is terminated with a batch in flight
    expect(await reader.read(specs.map((s, i) => row(i, s, true)))).toEqual(
      specs.map((s) => (s === null ? null : readSpec(s))),
    );
    await expect(Promise.race([first, new Promise((r) => setTimeout(() => r('hung'), 2000))])).resolves.not.toBe(
      'hung',
    );
  });
});
