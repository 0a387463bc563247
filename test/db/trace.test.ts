// trace against the fixture cloud (nova_api + three cells written by nova's own code) on a private MariaDB:
// every scenario of manifest.json, read through nova.conf with templated cell URLs, and diagnosed.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { type NovaDatabases, openNova } from '../../src/db/trace.js';
import type { InstanceSnapshot, StaleValue } from '../../src/nova/snapshot.js';
import { diagnose } from '../../src/nova/staleness.js';
import { DIAGNOSED_SYSMETA_KEYS } from '../../src/nova/xenLeftovers.js';

interface ManifestStale {
  database: 'api' | 'cell';
  table: string;
  column?: string;
  key?: string;
  pointer?: string;
  property?: string | null;
  value: string;
  deleted?: boolean;
  touch: boolean;
}
interface ManifestInstance {
  uuid: string;
  label: string;
  cell: string | null;
  scenario: string;
  health: string;
  deleted: boolean;
  requestSpec: string;
  stale: ManifestStale[];
  mustNotChange: { pointer: string; value: unknown }[];
}
interface Manifest {
  cells: { name: string; uuid: string; disabled: boolean; databaseExists: boolean }[];
  instances: ManifestInstance[];
  specialRequestSpecRows: { instanceUuid: string }[];
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let manifest: Manifest;
let nova: NovaDatabases;
let confFile: string;

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  manifest = cloud.manifest as Manifest;
  confFile = join(server.baseDir, 'nova.conf');
  await writeFile(confFile, cloud.novaConf);
  nova = await openNova({ configFiles: [confFile], configDirs: [], apiDbUrl: null, cellDbUrls: [] });
});
afterAll(async () => {
  await nova?.close();
  await server?.stop();
});

/** A stale value as a comparable line: where it is and what it holds (rowId resolved to the row's deleted flag). */
function describeOurs(s: StaleValue, snap: InstanceSnapshot): string {
  switch (s.table) {
    case 'request_specs':
      return `api request_specs ${s.pointer} ${s.value} ${s.property}`;
    case 'instance_system_metadata': {
      const row = snap.systemMetadata.find((r) => r.id === s.rowId);
      return `cell instance_system_metadata ${s.key} ${s.value} ${s.property} deleted=${row ? row.deleted !== 0 : '?'}`;
    }
    case 'instances':
      return `cell instances ${s.column} ${s.value}`;
    case 'block_device_mapping':
      return `cell block_device_mapping ${s.column} ${s.value}`;
  }
}

function describeTheirs(s: ManifestStale): string {
  switch (s.table) {
    case 'request_specs':
      return `api request_specs ${s.pointer} ${s.value} ${s.property}`;
    case 'instance_system_metadata':
      return `cell instance_system_metadata ${s.key} ${s.value} ${s.property ?? null} deleted=${s.deleted}`;
    default:
      return `cell ${s.table} ${s.column} ${s.value}`;
  }
}

describe('cells', () => {
  it('lists every cell mapping: cell0, the live cells, and the retired disabled cell whose database is gone', () => {
    const cells = nova.cells();
    expect(cells.map((c) => c.name)).toEqual(manifest.cells.map((c) => c.name));
    for (const want of manifest.cells) {
      const got = cells.find((c) => c.uuid === want.uuid);
      expect(got).toBeDefined();
      expect(got?.disabled).toBe(want.disabled);
      expect(got?.isCell0).toBe(want.name === 'cell0');
      expect(got?.reachable).toBe(want.databaseExists);
      expect(got?.maskedUrl).not.toContain('nova-fixture-pw');
    }
    const retired = cells.find((c) => c.disabled);
    expect(retired?.error).toMatch(
      /^cell database cell3-retired \(.*\) mysql\+pymysql:\/\/nova:\*\*\*@localhost:3306\/nova_cell3\?charset=utf8&unix_socket=\S+\/mysqld\.sock: database 'nova_cell3' does not exist on \S+\/mysqld\.sock;/,
    );
    expect(retired?.error).not.toContain('\n');
  });

  it('reads compute nodes with their service state', () => {
    const cell1 = nova.cells().find((c) => c.name === 'cell1');
    const hosts = nova.cellHosts(cell1?.uuid ?? '');
    expect(hosts.map((h) => [h.host, h.enabled])).toEqual([
      ['kvm-c1-01', true],
      ['kvm-c1-02', true],
      ['kvm-c1-03', true],
      ['xen-c1-legacy01', false],
    ]);
    expect(hosts[0]?.supportedInstances).toContainEqual(['x86_64', 'kvm', 'hvm']);
    expect(hosts[0]?.hypervisorVersion).toBe(6002000);
  });

  it('exposes the pools for the repair engine, and refuses an unreachable cell with its reason', async () => {
    const [rows] = await nova.apiConnection().query('SELECT COUNT(*) AS n FROM cell_mappings');
    expect(rows).toEqual([{ n: '4' }]); // BIGINT comes back as a string (bigNumberStrings)
    const retired = nova.cells().find((c) => c.disabled);
    expect(() => nova.cellConnection(retired?.uuid ?? '')).toThrow(/does not exist/);
  });
});

describe('every manifest scenario', () => {
  it('snapshots and diagnoses match the oracle', async () => {
    const wanted = manifest.instances.map((i) => i.uuid);
    const snaps = await nova.snapshots(wanted);
    expect(snaps.map((s) => s.uuid)).toEqual(wanted);
    const failures: string[] = [];
    for (const [i, want] of manifest.instances.entries()) {
      const snap = snaps[i] as InstanceSnapshot;
      const d = diagnose(snap);
      if ((snap.cell?.name ?? null) !== want.cell)
        failures.push(`${want.label}: cell ${snap.cell?.name} != ${want.cell}`);
      if (d.health !== want.health)
        failures.push(
          `${want.label} (${want.scenario}): health ${d.health} != ${want.health}; problems: ${d.problems.join(' | ')}`,
        );
      const ours = d.stale.map((s) => describeOurs(s, snap)).sort();
      const theirs = want.stale.map(describeTheirs).sort();
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        failures.push(
          `${want.label} (${want.scenario}): stale differs\n  ours:   ${ours.join('\n          ')}\n  theirs: ${theirs.join('\n          ')}`,
        );
      }
      for (const s of d.stale) expect(s.reason.length).toBeGreaterThan(10);
    }
    expect(failures).toEqual([]);
  });

  it('soft-deleted system metadata rows are read (nova loads them), soft-deleted BDMs are not', async () => {
    const dup = manifest.instances.find((i) => i.scenario === 'xen-duplicate-sysmeta');
    const [snap] = await nova.snapshots([dup?.uuid ?? '']);
    const rows = snap?.systemMetadata.filter((r) => r.key === 'image_hypervisor_type') ?? [];
    expect(rows.map((r) => r.deleted !== 0).sort()).toEqual([false, true]);
    expect(diagnose(snap as InstanceSnapshot).problems.join('\n')).toMatch(
      /2 rows for image_hypervisor_type .*1 soft-deleted/,
    );
    expect(snap?.blockDeviceMappings.every((b) => b.deleted === 0)).toBe(true);
  });

  it('the request spec text is exactly what is stored (byte for byte)', async () => {
    const cafe = manifest.instances.find((i) => i.scenario === 'xen-non-ascii');
    const [snap] = await nova.snapshots([cafe?.uuid ?? '']);
    const c = await server.connect(cloud.databases.api);
    const [rows] = await c.query<import('mysql2').RowDataPacket[]>(
      'SELECT HEX(spec) AS h FROM request_specs WHERE instance_uuid = ?',
      [cafe?.uuid],
    );
    await c.end();
    expect(
      Buffer.from(snap?.requestSpec?.spec ?? '', 'utf8')
        .toString('hex')
        .toUpperCase(),
    ).toBe(rows[0]?.h);
    expect(snap?.requestSpec?.spec).toContain('\\u00e9'); // ensure_ascii escapes kept verbatim
  });

  it('the sweep streams every instance of every live cell once, skipping the marker row, cell0 and disabled cells', async () => {
    const seen: string[] = [];
    for await (const s of nova.sweep({ batchSize: 4 })) seen.push(s.uuid);
    expect(new Set(seen).size).toBe(seen.length);
    const expected = manifest.instances.filter((i) => i.cell !== 'cell0').map((i) => i.uuid);
    expect(seen.sort()).toEqual(expected.sort());
    expect(seen).not.toContain(manifest.specialRequestSpecRows[0]?.instanceUuid);

    const withCell0: string[] = [];
    for await (const s of nova.sweep({ includeCell0: true })) withCell0.push(s.uuid);
    expect(withCell0.sort()).toEqual(manifest.instances.map((i) => i.uuid).sort());
  });

  it('an abandoned sweep leaves the pools usable', async () => {
    for await (const _ of nova.sweep({ batchSize: 2 })) break;
    let n = 0;
    for await (const _ of nova.sweep({ batchSize: 9, specsPerRead: 2 })) if (++n === 5) break; // mid-page
    const snaps = await nova.snapshots([manifest.instances[0]?.uuid ?? '']);
    expect(snaps).toHaveLength(1);
  });

  it('sweep and snapshots agree', async () => {
    const bySweep = new Map<string, InstanceSnapshot>();
    for await (const s of nova.sweep({ batchSize: 3, includeCell0: true, allSystemMetadata: true }))
      bySweep.set(s.uuid, s);
    const direct = await nova.snapshots([...bySweep.keys()]);
    for (const d of direct) expect(bySweep.get(d.uuid)).toEqual(d);
    // Pages whose spec texts are read in several slices give the same snapshots, in the same order.
    const sliced: InstanceSnapshot[] = [];
    for await (const s of nova.sweep({ batchSize: 7, specsPerRead: 2, includeCell0: true, allSystemMetadata: true }))
      sliced.push(s);
    expect(sliced).toEqual([...bySweep.values()]);
    // Each spec is a plain text, the same as snapshots() reads (nothing else hangs off the row).
    let specs = 0;
    for await (const s of nova.sweep({ includeCell0: true })) {
      if (!s.requestSpec) continue;
      specs++;
      expect(Object.getOwnPropertyNames(s.requestSpec).sort()).toEqual(['id', 'instanceUuid', 'spec']);
      expect(typeof s.requestSpec.spec).toBe('string');
    }
    expect(specs).toBeGreaterThan(20);
  });

  it('a default sweep reads only the system metadata diagnosis needs, and diagnoses the same', async () => {
    const all = new Map<string, InstanceSnapshot>();
    for await (const s of nova.sweep({ includeCell0: true, allSystemMetadata: true })) all.set(s.uuid, s);
    let fewer = 0;
    for await (const s of nova.sweep({ includeCell0: true })) {
      const full = all.get(s.uuid) as InstanceSnapshot;
      expect(s.systemMetadata).toEqual(full.systemMetadata.filter((r) => DIAGNOSED_SYSMETA_KEYS.includes(r.key)));
      if (s.systemMetadata.length < full.systemMetadata.length) fewer++;
      expect(diagnose(s)).toEqual(diagnose(full));
    }
    expect(fewer).toBeGreaterThan(20);
  });
});

// Last in this file: it changes the cloud. A sweep reads the API and the cells as ranges of instance uuids;
// whatever the page and slice sizes, it must yield each instance nova has a spec or a mapping for once, in uuid
// order, as snapshots() (IN lists, another path) reads it, including instances between and across pages that
// nova maps without a spec, specs without a mapping, and runs of mappings longer than a page.
describe('the sweep in uuid order, over instances nova half knows', () => {
  it('yields each spec or mapping once, in uuid order, as snapshots() reads it, whatever the page size', async () => {
    const api = await server.connect(cloud.databases.api);
    try {
      const live = manifest.instances.filter((i) => i.cell === 'cell1' || i.cell === 'cell2').map((i) => i.uuid);
      expect(live.length).toBeGreaterThan(12);
      // A run of specs gone (mapped, no spec), mappings gone (a spec, found in its cell), and a spec of an
      // instance no cell has.
      const noSpec = live.slice(0, 6);
      const noMapping = live.slice(6, 9);
      await api.query('DELETE FROM request_specs WHERE instance_uuid IN (?)', [noSpec]);
      await api.query('DELETE FROM instance_mappings WHERE instance_uuid IN (?)', [noMapping]);
      const nowhere = 'ffffffff-0000-4000-8000-000000000001';
      await api.query(
        `INSERT INTO request_specs (created_at, instance_uuid, spec)
           SELECT created_at, ?, spec FROM request_specs WHERE instance_uuid = ?`,
        [nowhere, live[10]],
      );
      const [specRows] = await api.query<import('mysql2').RowDataPacket[]>('SELECT instance_uuid u FROM request_specs');
      const [mapRows] = await api.query<import('mysql2').RowDataPacket[]>(
        'SELECT im.instance_uuid u, cm.name c FROM instance_mappings im LEFT JOIN cell_mappings cm ON cm.id = im.cell_id',
      );
      const marker = manifest.specialRequestSpecRows[0]?.instanceUuid;
      const every = new Set([...specRows.map((r) => String(r.u)), ...mapRows.map((r) => String(r.u))]);
      every.delete(marker ?? '');
      const excluded = new Set(
        mapRows.filter((r) => r.c === 'cell0' || r.c === 'cell3-retired').map((r) => String(r.u)),
      );
      const inUuidOrder = [...every].sort();
      const direct = await nova.snapshots(inUuidOrder);
      for (const [batchSize, specsPerRead] of [
        [1, 1],
        [2, 1],
        [3, 2],
        [5, 500],
        [1000, 3],
        [1000, 500],
      ] as const) {
        const all: InstanceSnapshot[] = [];
        for await (const s of nova.sweep({
          batchSize,
          specsPerRead,
          includeCell0: true,
          includeDisabled: true,
          allSystemMetadata: true,
        }))
          all.push(s);
        expect(
          all.map((s) => s.uuid),
          `batchSize ${batchSize}, specsPerRead ${specsPerRead}`,
        ).toEqual(inUuidOrder);
        expect(all).toEqual(direct);
        const shown: string[] = [];
        for await (const s of nova.sweep({ batchSize, specsPerRead })) shown.push(s.uuid);
        expect(shown).toEqual(inUuidOrder.filter((u) => !excluded.has(u)));
      }
      const byUuid = new Map(direct.map((s) => [s.uuid, s]));
      for (const u of noSpec)
        expect(byUuid.get(u)?.problems).toContain(
          'no row in nova_api.request_specs: resize and cold migration fail with RequestSpecNotFound',
        );
      for (const u of noMapping)
        expect(byUuid.get(u)?.problems[0]).toMatch(
          /^no row in nova_api.instance_mappings: nova cannot find this instance, although cell cell[12] has it$/,
        );
      expect(byUuid.get(nowhere)?.problems[0]).toBe(
        'no row in nova_api.instance_mappings and in no reachable cell: unknown to nova',
      );
    } finally {
      await api.end();
    }
  });
});
