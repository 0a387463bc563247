import { describe, expect, it } from 'vitest';
import manifest from '../fixtures/nova/cloud/manifest.json' with { type: 'json' };
import { dumpRows, fixtureSpec } from '../helpers/fixtureRows.js';

describe('fixture dump reader (test helper)', () => {
  it('reads every request spec row, JSON where nova wrote JSON', () => {
    const rows = dumpRows('api', 'request_specs');
    expect(rows.length).toBe(manifest.instances.filter((i) => i.requestSpec !== 'missing').length + 1); // + marker row
    for (const i of manifest.instances) {
      if (['missing', 'not-json'].includes(i.requestSpec)) continue;
      expect(() => JSON.parse(fixtureSpec(i.uuid))).not.toThrow();
    }
    expect(rows.find((r) => r.instance_uuid === '00000000-0000-0000-0000-000000000000')?.spec).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});
