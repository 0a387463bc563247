// Conformance with nova itself: repair a fixture cloud, then let nova's own code load every instance, run nova's
// ImagePropertiesFilter and a scheduler pass (nova's HostManager, the release's default enabled_filters, weighers:
// test/conformance/check_nova.py). Two releases, each on the cloud its own code wrote:
// - Zed: Debian bookworm's python3-nova 26.2.2 (/usr/bin/python3), on test/fixtures/nova/cloud;
// - 2025.1: Debian trixie's python3-nova 31.0.0 in the trixie root (.ci/trixie-root.sh builds it,
//   test/conformance/in-trixie.sh runs python in it), on test/fixtures/nova/2025.1/cloud.
// The repair must change exactly the instances the oracle (manifest.json) says carry Xen leftovers, nothing of an
// instance nova already accepts (the qemu ones that pass on some hosts included), and nova must accept the result.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlans } from '../../src/repair/apply.js';
import { planRepair } from '../../src/repair/plan.js';
import type { ApplyResult } from '../../src/repair/types.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { CLOUD_2025_1, type ManifestInstance, openTestCloud, type TestCloud } from './cloud.js';

const CHECK = join(import.meta.dirname, '..', 'conformance', 'check_nova.py');
const IN_TRIXIE = join(import.meta.dirname, '..', 'conformance', 'in-trixie.sh');
const TRIXIE_ROOT = process.env.NOVA_DOCTOR_TRIXIE_ROOT ?? '/var/cache/nova-doctor/trixie-root';

/** null when `python` can import nova's filter and PyMySQL, else why not. */
function novaImportable(python: string[]): string | null {
  try {
    execFileSync(python[0]!, [...python.slice(1), '-c', 'import nova.scheduler.filters.image_props_filter, pymysql'], {
      stdio: 'pipe',
    });
    return null;
  } catch (err) {
    return `${python.join(' ')} cannot import nova (${String((err as { stderr?: Buffer }).stderr ?? err)
      .trim()
      .split('\n')
      .at(-1)})`;
  }
}

/** The 2025.1 half is skipped only when there is no trixie root; one that is there but unusable fails the suite. */
function trixieSkipReason(): string | null {
  if (!existsSync(join(TRIXIE_ROOT, '.nova-doctor-root')))
    return `no trixie root with nova 2025.1 at ${TRIXIE_ROOT} (build it with .ci/trixie-root.sh, or set NOVA_DOCTOR_TRIXIE_ROOT)`;
  return null;
}

function trixieBroken(): string | null {
  if (trixieSkipReason()) return null;
  if (process.getuid?.() !== 0)
    return `the trixie root at ${TRIXIE_ROOT} is there, but running python in it (chroot) needs root`;
  return novaImportable([IN_TRIXIE, '--']);
}

const RELEASES = [
  {
    name: 'Zed (nova 26)',
    python: ['/usr/bin/python3'],
    cloudDir: undefined,
    novaVersion: '26.',
    skip: novaImportable(['/usr/bin/python3']),
    broken: null,
  },
  {
    name: '2025.1 (nova 31)',
    python: [IN_TRIXIE, '--'],
    cloudDir: CLOUD_2025_1,
    novaVersion: '31.',
    skip: trixieSkipReason(),
    broken: trixieBroken(),
  },
];
for (const r of RELEASES) if (r.skip) console.warn(`conformance with nova ${r.name} skipped: ${r.skip}`);

interface NovaVerdict {
  loaded: boolean;
  error: string | null;
  deleted: boolean;
  passesSpec: boolean | null;
  passesSysmeta: boolean | null;
  specError: string | null;
  sysmetaError: string | null;
  props: { spec: Record<string, unknown> | null; sysmeta: Record<string, unknown> | null };
  hosts: { host: string; passesSpec: boolean | null; passesSysmeta: boolean | null }[];
  /** nova's scheduler pass in the instance's cell; null for cell0 / no cell / nothing to schedule. */
  schedule?: { spec: SchedulerPass | null; sysmeta: SchedulerPass | null };
}

interface SchedulerPass {
  /** Hosts that pass the whole filter chain, in nova's weighed order. */
  passes: string[];
  weighed: { host: string; node: string; weight: number }[];
  /** Every host state of the cell, and the first filter of the chain that removes it. */
  candidates: { host: string; node: string; passes: boolean; rejectedBy: string | null }[];
  error: string | null;
  filters: string[];
  weighers: string[];
  novaVersion: string;
  serviceDownTime: number;
}

/** [filter_scheduler] enabled_filters default in nova/conf/scheduler.py, the same in Zed and 2025.1. */
const DEFAULT_FILTERS = [
  'ComputeFilter',
  'ComputeCapabilitiesFilter',
  'ImagePropertiesFilter',
  'ServerGroupAntiAffinityFilter',
  'ServerGroupAffinityFilter',
];

const labels = (xs: { label: string }[]) => xs.map((x) => x.label).sort();
/** The instance whose request_specs row is gone: nova cannot load it whole, only its cell rows can be repaired. */
const specMissing = (i: ManifestInstance) => i.requestSpec === 'missing';

describe.each(RELEASES)('repaired cloud as nova $name sees it', ({ python, cloudDir, novaVersion, skip, broken }) => {
  const server = usePrivateMariadb();
  let tc: TestCloud;
  let before: Record<string, NovaVerdict>;
  let after: Record<string, NovaVerdict>;
  let results: ApplyResult[];
  let dumpBefore: Awaited<ReturnType<TestCloud['dump']>>;
  let dumpAfter: Awaited<ReturnType<TestCloud['dump']>>;
  let journalDir: string | undefined;

  async function checkNova(): Promise<Record<string, NovaVerdict>> {
    const cellArgs = Object.entries(tc.cloud.cellUrls).flatMap(([name, url]) => ['--cell-url', `${name}=${url}`]);
    const uuids = tc.manifest.instances.map((i) => i.uuid);
    // The private server listens on a socket only, in its own 0700 temp dir: the trixie root sees it through a
    // bind mount (its /tmp is a fresh tmpfs).
    const bind = python[0] === IN_TRIXIE ? ['--bind', dirname(server().socketPath)] : [];
    const [cmd, ...pre] = [python[0]!, ...bind, ...python.slice(1)];
    const { stdout } = await promisify(execFile)(
      cmd!,
      [...pre, CHECK, '--api-url', tc.cloud.apiUrl, ...cellArgs, ...uuids],
      { maxBuffer: 64 * 1024 * 1024 },
    ).catch((err: { code?: number; stdout?: string; stderr?: string }) => {
      // exit 3: some instance could not be loaded (expected for the hostile fixtures); stdout still has the verdicts
      if (err.code === 3 && err.stdout) return { stdout: err.stdout };
      throw new Error(`check_nova.py failed: ${err.stderr ?? err}`);
    });
    return JSON.parse(stdout) as Record<string, NovaVerdict>;
  }

  beforeAll(async () => {
    if (skip) return;
    if (broken) throw new Error(`conformance with nova cannot run: ${broken}`);
    tc = await openTestCloud(server(), undefined, cloudDir);
    dumpBefore = await tc.dump();
    before = await checkNova();
    const snapshots = await tc.nova.snapshots(tc.manifest.instances.map((i) => i.uuid));
    const plans = snapshots.map((s) => planRepair(s));
    journalDir = await mkdtemp(join(tmpdir(), 'nova-doctor-conformance-'));
    results = await applyPlans(plans, tc.conns, { apply: true, journal: join(journalDir, 'journal.jsonl') });
    dumpAfter = await tc.dump();
    after = await checkNova();
  }, 180_000);
  afterAll(async () => {
    await tc?.close();
    if (journalDir) await rm(journalDir, { recursive: true, force: true });
  });

  it.skipIf(skip !== null)('the stale instances fail in nova before the repair (the check can tell)', () => {
    for (const i of tc.manifest.instances.filter((x) => x.repair && x.stale.some((e) => e.table === 'request_specs'))) {
      expect(before[i.uuid]!.loaded, i.label).toBe(true);
      expect(before[i.uuid]!.passesSpec, i.label).toBe(false);
    }
    // system metadata nova cannot read back ('xen ', 'xen\x1b[31m'): nova says why, as the oracle does
    for (const i of tc.manifest.instances) {
      const unreadable = i.stale.filter((e) => e.novaError !== undefined).map((e) => e.novaError);
      if (unreadable.length > 0) expect(before[i.uuid]!.sysmetaError, i.label).toBe(unreadable.join('; '));
    }
  });

  it.skipIf(skip !== null)('repairs every instance the oracle says has Xen leftovers', () => {
    const repaired = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
    const missed = tc.manifest.instances.filter((i) => i.repair && !repaired.has(i.uuid));
    expect(labels(missed), 'oracle says repair, the repair did not').toEqual([]);
  });

  it.skipIf(skip !== null)('changes nothing of an instance nova already accepts (or that must not be repaired)', () => {
    const repaired = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
    const extra = tc.manifest.instances.filter((i) => !i.repair && repaired.has(i.uuid));
    expect(labels(extra), 'oracle says leave alone, the repair changed it').toEqual([]);
  });

  it.skipIf(skip !== null)('nova loads every repaired instance and its filter passes on every KVM host', () => {
    const repaired = results.filter((r) => r.status === 'repaired');
    expect(repaired.length).toBeGreaterThan(10);
    for (const r of repaired) {
      const v = after[r.uuid]!;
      const i = tc.manifest.instances.find((x) => x.uuid === r.uuid)!;
      const label = i.label;
      // by system metadata: what nova rebuilds the image properties from
      expect([label, v.passesSysmeta, v.sysmetaError], label).toEqual([label, true, null]);
      expect(v.hosts.length, label).toBeGreaterThan(0);
      if (specMissing(i)) {
        // still no spec, and nothing else nova complains about
        expect([label, v.loaded, v.error?.startsWith('RequestSpecNotFound')], label).toEqual([label, false, true]);
        continue;
      }
      expect([label, v.loaded, v.error], label).toEqual([label, true, null]);
      expect([label, v.passesSpec, v.specError], label).toEqual([label, true, null]);
      // nova reads exactly the values the plan wrote
      expect(v.props.spec?.img_hv_type, label).toBe(r.plan.target?.hvType);
      if (before[r.uuid]!.props.spec?.hw_vm_mode !== undefined) expect(v.props.spec?.hw_vm_mode, label).toBe('hvm');
      // nothing else nova reads from the image properties changed
      const others = (p: Record<string, unknown> | null) =>
        Object.fromEntries(Object.entries(p ?? {}).filter(([k]) => !['img_hv_type', 'hw_vm_mode'].includes(k)));
      expect(others(v.props.spec), label).toEqual(others(before[r.uuid]!.props.spec));
    }
  });

  it.skipIf(skip !== null)('the qemu instances that pass on some hosts still pass there, with the same values', () => {
    const narrowed = tc.manifest.instances.filter((i) => i.narrowedBy);
    expect(narrowed.length).toBeGreaterThanOrEqual(3);
    for (const i of narrowed) {
      const v = after[i.uuid]!;
      expect([i.label, v.loaded, v.props.spec?.img_hv_type], i.label).toEqual([i.label, true, 'qemu']);
      const failing = v.hosts.filter((h) => h.passesSpec === false).map((h) => h.host);
      expect(failing, i.label).toEqual(i.narrowedBy!.flatMap((n) => n.hostsFailing));
    }
  });

  it.skipIf(skip !== null)(
    'every instance the repair did not touch is byte-identical and looks the same to nova',
    () => {
      const touched = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
      const untouched = tc.manifest.instances.filter((i) => !touched.has(i.uuid));
      expect(untouched.length).toBeGreaterThan(10);
      for (const i of untouched) expect(after[i.uuid], i.label).toEqual(before[i.uuid]);
      const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();
      for (const [table, rows] of Object.entries(dumpBefore)) {
        rows.forEach((row, n) => {
          const owner = (row.instance_uuid ?? row.uuid) as string;
          const isUntouched = untouched.some((i) => hex(i.uuid) === owner);
          if (isUntouched || !tc.manifest.instances.some((i) => hex(i.uuid) === owner)) {
            expect(dumpAfter[table]![n], `${table} row ${n}`).toEqual(row);
          }
        });
      }
    },
  );

  /** The oracle's hosts for an instance: the enabled KVM hosts of its cell, less those its image props narrow out. */
  function oracleHosts(i: ManifestInstance): string[] {
    const failing = new Set((i.narrowedBy ?? []).flatMap((n) => n.hostsFailing));
    return tc.manifest.hosts
      .filter((h) => h.cell === i.cell && !h.serviceDisabled)
      .filter((h) => h.supportedInstances.some(([, hv]) => hv === 'kvm' || hv === 'qemu'))
      .map((h) => h.host)
      .filter((h) => !failing.has(h))
      .sort();
  }
  /** The scheduler pass's verdict in one comparable shape: [label, error, hosts passing (sorted)]. */
  const verdict = (label: string, p: SchedulerPass | null | undefined) => [
    label,
    p?.error ?? (p ? null : 'no scheduler pass'),
    [...(p?.passes ?? [])].sort(),
  ];
  /** A Xen spec must be refused by the image filter on every enabled KVM host, not by some other filter. */
  function expectRejectedForXen(i: ManifestInstance, p: SchedulerPass | null | undefined) {
    expect(verdict(i.label, p), i.label).toEqual([i.label, null, []]);
    const byHost = Object.fromEntries((p?.candidates ?? []).map((c) => [c.host, c.rejectedBy]));
    const kvm = oracleHosts({ ...i, narrowedBy: undefined });
    expect(kvm.length, i.label).toBeGreaterThan(0);
    expect(
      kvm.map((h) => [h, byHost[h]]),
      i.label,
    ).toEqual(kvm.map((h) => [h, 'ImagePropertiesFilter']));
  }

  it.skipIf(skip !== null)("nova's scheduler pass runs the release's default filters, heartbeats counted as up", () => {
    const passes = Object.values(before).flatMap((v) => [v.schedule?.spec, v.schedule?.sysmeta].filter((p) => p));
    expect(passes.length).toBeGreaterThan(40);
    for (const p of passes) {
      expect(p!.filters).toEqual(DEFAULT_FILTERS);
      expect(p!.novaVersion.startsWith(novaVersion), p!.novaVersion).toBe(true);
      expect(p!.serviceDownTime).toBeGreaterThan(10 * 365 * 24 * 3600);
    }
    // the weighed order is nova's, highest weight first
    for (const p of passes) {
      expect(p!.weighed.map((w) => w.host)).toEqual(p!.passes);
      const ws = p!.weighed.map((w) => w.weight);
      expect(ws).toEqual([...ws].sort((a, b) => b - a));
    }
    // the disabled services (xen-c1-legacy01, kvm-c2-03) fall to ComputeFilter, every enabled one is up
    const kvmWeb1 = before[tc.instance('kvm-web1').uuid]!.schedule!.spec!;
    expect(kvmWeb1.candidates.map((c) => [c.host, c.rejectedBy])).toEqual([
      ['kvm-c1-01', null],
      ['kvm-c1-02', null],
      ['kvm-c1-03', null],
      ['xen-c1-legacy01', 'ComputeFilter'],
    ]);
  });

  it.skipIf(skip !== null)(
    "nova's scheduler rejects every stale Xen spec before the repair (the pass can fail)",
    () => {
      const xen = tc.manifest.instances.filter((i) => i.repair && i.stale.some((e) => e.table === 'request_specs'));
      expect(xen.length).toBeGreaterThan(10);
      for (const i of xen) expectRejectedForXen(i, before[i.uuid]!.schedule?.spec);
    },
  );

  it.skipIf(skip !== null)(
    'after the repair nova schedules every repaired instance on the enabled KVM hosts of its cell',
    () => {
      // every instance the oracle wants repaired (whatever the repair reported), and every one it did repair
      const repaired = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
      const wanted = tc.manifest.instances.filter((i) => i.repair || repaired.has(i.uuid));
      expect(wanted.length).toBeGreaterThan(10);
      for (const i of wanted) {
        const hosts = oracleHosts(i);
        expect(hosts.length, i.label).toBeGreaterThan(0);
        const s = after[i.uuid]!.schedule;
        // the stored request spec (there is none for the spec-less instance: nova would build one, below)
        if (!specMissing(i)) expect(verdict(i.label, s?.spec), i.label).toEqual([i.label, null, hosts]);
        // the spec nova-conductor builds from the instance and its system metadata
        expect(verdict(i.label, s?.sysmeta), i.label).toEqual([i.label, null, hosts]);
      }
    },
  );

  it.skipIf(skip !== null)(
    'the healthy instances the repair left alone schedule as before (qemu ones where qemu is)',
    () => {
      const touched = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
      const healthy = tc.manifest.instances.filter(
        (i) => !touched.has(i.uuid) && i.health === 'ok' && i.cell !== null && i.cell !== 'cell0',
      );
      expect(healthy.length).toBeGreaterThanOrEqual(8);
      expect(healthy.filter((i) => i.narrowedBy).length).toBeGreaterThanOrEqual(3);
      for (const i of healthy) {
        const s = after[i.uuid]!.schedule;
        expect(verdict(i.label, s?.spec), i.label).toEqual([i.label, null, oracleHosts(i)]);
        expect(s, i.label).toEqual(before[i.uuid]!.schedule);
      }
    },
  );

  it.skipIf(skip !== null)('a Xen instance the repair must not touch is still rejected by the scheduler', () => {
    const touched = new Set(results.filter((r) => r.status === 'repaired').map((r) => r.uuid));
    const leftXen = tc.manifest.instances.filter(
      (i) =>
        !touched.has(i.uuid) &&
        (i.cell === 'cell1' || i.cell === 'cell2') &&
        i.stale.some((e) => e.table === 'request_specs'),
    );
    // mid-resize, mid-migration, soft-deleted
    expect(labels(leftXen)).toEqual(['etl-worker', 'migrating', 'old-mail']);
    for (const i of leftXen) expectRejectedForXen(i, after[i.uuid]!.schedule?.spec);
  });
});
