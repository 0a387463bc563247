// Nova 2023.2 added instances.compute_id (migration 1acf2c98e646) and keeps it in step with instances.node.
// Debian's nova (Zed) cannot write that schema, so the cells get the migration's own change here (the
// column and its index, on instances and shadow_instances) and compute_id the value nova 2023.2+ gives
// it: the id of the compute node the instance is on. --set-host must then move compute_id with node,
// compare-and-swap it like every other column, and undo must put it back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedCloud } from '../../src/db/loadCloud.js';
import { diagnose } from '../../src/nova/staleness.js';
import { applyPlans } from '../../src/repair/apply.js';
import { planRepair } from '../../src/repair/plan.js';
import { undoJournal } from '../../src/repair/undo.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { openTestCloud, type TestCloud } from './cloud.js';

const server = usePrivateMariadb();
let tc: TestCloud;
let dir: string;

/** What 1acf2c98e646 does to a cell database (instances part; migrations.dest_compute_id is not ours). */
async function migrateTo2023_2(cloud: LoadedCloud): Promise<void> {
  for (const cell of ['cell1', 'cell2'] as const) {
    const conn = await server().connect(cloud.databases[cell]);
    try {
      await conn.query('ALTER TABLE instances ADD COLUMN compute_id BIGINT NULL');
      await conn.query('CREATE INDEX instances_compute_id_deleted_idx ON instances (compute_id, deleted)');
      await conn.query('ALTER TABLE shadow_instances ADD COLUMN compute_id BIGINT NULL');
      await conn.query(
        `UPDATE instances i JOIN compute_nodes cn
            ON cn.host = i.host AND cn.hypervisor_hostname = i.node AND cn.deleted = 0
            SET i.compute_id = cn.id`,
      );
    } finally {
      await conn.end();
    }
  }
}

beforeAll(async () => {
  tc = await openTestCloud(server(), migrateTo2023_2);
  dir = await mkdtemp(join(tmpdir(), 'nova-doctor-compute-id-'));
});
afterAll(async () => {
  await tc?.close();
});

async function cell1(query: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const [rows] = await (await tc.root('cell1')).query<RowDataPacket[]>(query, params);
  return rows;
}

async function computeIdOf(uuid: string): Promise<number | null> {
  const [row] = await cell1('SELECT compute_id FROM instances WHERE uuid = ?', [uuid]);
  return row!.compute_id === null ? null : Number(row!.compute_id);
}

async function nodeId(host: string): Promise<number> {
  const [row] = await cell1('SELECT id FROM compute_nodes WHERE host = ? AND deleted = 0', [host]);
  return Number(row!.id);
}

describe('instances.compute_id (nova 2023.2+)', () => {
  it('is read, and --set-host moves it with host and node', async () => {
    const web = tc.instance('web01');
    const s = await tc.snapshot('web01');
    expect(s.instance?.computeId).toBe(String(await nodeId('kvm-c1-01')));
    const moved = planRepair(s, { setHost: 'kvm-c1-02' });
    expect(
      moved.rowChanges.filter((c) => c.table === 'instances' && ['host', 'node', 'compute_id'].includes(c.column)),
    ).toMatchObject([
      { column: 'host', oldValue: 'kvm-c1-01', newValue: 'kvm-c1-02' },
      { column: 'node', newValue: 'kvm-c1-02.cloud.example.org' },
      {
        column: 'compute_id',
        oldValue: String(await nodeId('kvm-c1-01')),
        newValue: String(await nodeId('kvm-c1-02')),
      },
    ]);
    // Without --set-host nothing moves, compute_id included.
    expect(planRepair(s).rowChanges.some((c) => c.column === 'compute_id')).toBe(false);
    expect(web.uuid).toBe(s.uuid);
  });

  it('a compute_id changed since the plan is a conflict: nothing is written', async () => {
    const web = tc.instance('web01');
    const plan = planRepair(await tc.snapshot('web01'), { setHost: 'kvm-c1-02' });
    const other = await nodeId('kvm-c1-03');
    await cell1('UPDATE instances SET compute_id = ? WHERE uuid = ?', [other, web.uuid]);
    const [result] = await applyPlans([plan], tc.conns, { apply: true, journal: join(dir, 'conflict.jsonl') });
    expect(result!.status).toBe('conflict');
    expect(await computeIdOf(web.uuid)).toBe(other);
    const [row] = await cell1('SELECT host FROM instances WHERE uuid = ?', [web.uuid]);
    expect(row!.host).toBe('kvm-c1-01');
    await cell1('UPDATE instances SET compute_id = ? WHERE uuid = ?', [await nodeId('kvm-c1-01'), web.uuid]);
  });

  it('applies, reads back and verifies; undo puts the old compute node back', async () => {
    const web = tc.instance('web01');
    const before = await nodeId('kvm-c1-01');
    const plan = planRepair(await tc.snapshot('web01'), { setHost: 'kvm-c1-02' });
    const journal = join(dir, 'moved.jsonl');
    const [result] = await applyPlans([plan], tc.conns, { apply: true, journal });
    expect(result!.status).toBe('repaired');
    expect(result!.verified).toBe(true);
    expect(await computeIdOf(web.uuid)).toBe(await nodeId('kvm-c1-02'));
    const [undone] = await undoJournal(journal, tc.conns, { apply: true });
    expect(undone!.status).toBe('restored');
    expect(await computeIdOf(web.uuid)).toBe(before);
  });
});

describe('where the instance record says it runs', () => {
  const PLACEMENT = /^instances\.(node|compute_id) /;

  it('no instance nova placed is flagged', async () => {
    const snaps = await tc.nova.snapshots(tc.manifest.instances.map((i) => i.uuid));
    expect(snaps.flatMap((s) => diagnose(s).problems.filter((p) => PLACEMENT.test(p)))).toEqual([]);
  });

  it("the field report's hand fix (host only) leaves node behind; --set-host sets node and compute_id", async () => {
    const web = tc.instance('web01');
    await cell1('UPDATE instances SET host = ? WHERE uuid = ?', ['kvm-c1-02', web.uuid]);
    try {
      const s = await tc.snapshot('web01');
      expect(diagnose(s).problems.filter((p) => PLACEMENT.test(p))).toEqual([
        expect.stringMatching(
          /^instances\.node 'kvm-c1-01\.cloud\.example\.org' is not a compute node of its host kvm-c1-02 .*repair --set-host kvm-c1-02 sets it$/,
        ),
      ]);
      const plan = planRepair(s, { setHost: 'kvm-c1-02' });
      const moved = plan.rowChanges.filter(
        (c) => c.table === 'instances' && ['host', 'node', 'compute_id'].includes(c.column),
      );
      expect(moved).toMatchObject([
        { column: 'node', newValue: 'kvm-c1-02.cloud.example.org' },
        { column: 'compute_id', newValue: String(await nodeId('kvm-c1-02')) },
      ]);
      const journal = join(dir, 'placement.jsonl');
      const [result] = await applyPlans([plan], tc.conns, { apply: true, journal });
      expect(result!.status).toBe('repaired');
      expect(diagnose(await tc.snapshot('web01')).problems.filter((p) => PLACEMENT.test(p))).toEqual([]);
      const [undone] = await undoJournal(journal, tc.conns, { apply: true });
      expect(undone!.status).toBe('restored');
    } finally {
      await cell1('UPDATE instances SET host = ? WHERE uuid = ?', ['kvm-c1-01', web.uuid]);
    }
  });

  it('a compute_id that is not its node is flagged; NULL (not moved since the upgrade) is not', async () => {
    const web = tc.instance('web01');
    const own = await nodeId('kvm-c1-01');
    try {
      await cell1('UPDATE instances SET compute_id = ? WHERE uuid = ?', [await nodeId('kvm-c1-03'), web.uuid]);
      expect(diagnose(await tc.snapshot('web01')).problems.filter((p) => PLACEMENT.test(p))).toEqual([
        expect.stringMatching(/^instances\.compute_id \d+ is not the id of its node kvm-c1-01\.cloud\.example\.org/),
      ]);
      await cell1('UPDATE instances SET compute_id = NULL WHERE uuid = ?', [web.uuid]);
      expect(diagnose(await tc.snapshot('web01')).problems.filter((p) => PLACEMENT.test(p))).toEqual([]);
    } finally {
      await cell1('UPDATE instances SET compute_id = ? WHERE uuid = ?', [own, web.uuid]);
    }
  });
});
