// Issue 12 through the real binary on the fixture cloud nova built: the qemu instances of cell2, where kvm-c2-04
// offers only kvm, are healthy (the filter passes on the hosts that offer qemu). trace reports their img_hv_type as
// narrowing, as the oracle says (manifest narrowedBy); repair leaves them alone unless told by name (--widen), and
// trace and repair list the same instances.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { runBin, workDir } from '../helpers/bin.js';

interface ManifestInstance {
  uuid: string;
  label: string;
  health: string;
  repair: boolean;
  narrowedBy?: { property: string; value: string; hostsPassing: string[]; hostsFailing: string[] }[];
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;
let narrowed: ManifestInstance[];

const run = (args: string[]) => runBin(args);

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  ({ dir, conf } = workDir(cloud, 'nd-narrow-'));
  narrowed = (cloud.manifest as { instances: ManifestInstance[] }).instances.filter((i) => i.narrowedBy?.length);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('values set on purpose that keep some hosts out', () => {
  it('trace reports them as narrowing on healthy instances, as nova-built oracle says', async () => {
    expect(narrowed.length).toBeGreaterThanOrEqual(2);
    const r = await run(['trace', '--json', '--all', '--config', conf]);
    const listed = JSON.parse(r.stdout).instances as {
      uuid: string;
      health: string;
      stale: unknown[];
      narrowing: { property: string; value: string; reason: string }[];
    }[];
    for (const m of narrowed) {
      const t = listed.find((i) => i.uuid === m.uuid);
      expect(t, m.label).toBeDefined();
      expect(t!.health, m.label).toBe('ok');
      expect(t!.stale, m.label).toEqual([]);
      const want = m.narrowedBy![0]!;
      const n = t!.narrowing.find((x) => x.property === want.property);
      expect(n?.value.toLowerCase(), m.label).toBe(want.value);
      expect(n?.reason, m.label).toContain(
        `passes on ${want.hostsPassing.length} of ${want.hostsPassing.length + want.hostsFailing.length}`,
      );
      expect(n?.reason, m.label).toContain(want.hostsFailing.join(', '));
    }
  }, 60_000);

  it('repair leaves them alone, widens them only by name, and lists what trace lists', async () => {
    const trace = await run(['trace', '--json', '--all', '--config', conf]);
    const traced = (JSON.parse(trace.stdout).instances as { uuid: string }[]).map((i) => i.uuid).sort();
    const dry = await run(['repair', '--json', '--all', '--config', conf]);
    const plans = JSON.parse(dry.stdout).instances as {
      uuid: string;
      status: string;
      warnings: string[];
      rowChanges: { oldValue: string; newValue: string }[];
      requestSpecPatch: unknown[];
    }[];
    expect(plans.map((p) => p.uuid).sort()).toEqual(traced);
    for (const m of narrowed) {
      const p = plans.find((x) => x.uuid === m.uuid)!;
      expect(p.status, m.label).toBe('nothing-to-do');
      expect(p.rowChanges, m.label).toEqual([]);
      expect(p.requestSpecPatch, m.label).toEqual([]);
      expect(p.warnings.join('\n'), m.label).toMatch(/--widen img_hv_type rewrites it/);
    }

    const widened = await run(['repair', '--json', '--all', '--widen', 'img_hv_type', '--config', conf]);
    const wplans = JSON.parse(widened.stdout).instances as typeof plans;
    for (const m of narrowed) {
      const p = wplans.find((x) => x.uuid === m.uuid)!;
      expect(p.status, m.label).toBe('dry-run');
      expect(p.warnings.join('\n'), m.label).toMatch(/widened on request \(--widen img_hv_type\)/);
      const changed = [
        ...p.rowChanges.map((c) => [c.oldValue.toLowerCase(), c.newValue]),
        ...(p.requestSpecPatch as { op: string; value?: string }[])
          .filter((o) => o.op === 'replace')
          .map((o) => ['qemu', o.value]),
      ];
      expect(changed.length, m.label).toBeGreaterThan(0);
      for (const [from, to] of changed) expect([from, to], m.label).toEqual(['qemu', 'kvm']);
    }
    // Everything else plans as without the option.
    const others = (ps: typeof plans) =>
      ps
        .filter((p) => !narrowed.some((m) => m.uuid === p.uuid))
        .map((p) => [p.uuid, p.status])
        .sort();
    expect(others(wplans)).toEqual(others(plans));

    const bad = await run(['repair', '--all', '--widen', 'hw_architecture', '--config', conf]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--widen 'hw_architecture' is not a property a repair can widen/);
  }, 90_000);
});
