// Apply, conflicts, journal and undo on a real MariaDB with the fixture cloud nova wrote. One cloud for the
// file; the tests run in order and each leaves the databases as it found them unless it says otherwise.
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairSummaryOf } from '../../src/cli/output/repairText.js';
import { applyPlans } from '../../src/repair/apply.js';
import { cloudOf } from '../../src/repair/cloudIdentity.js';
import { hydrateChanges } from '../../src/repair/engine.js';
import {
  changeSets,
  Journal,
  type JournalRecord,
  readJournal,
  sealChange,
  sha256,
  type WritableJournalVersion,
} from '../../src/repair/journal.js';
import { planRepair } from '../../src/repair/plan.js';
import type { RepairPlan } from '../../src/repair/types.js';
import { undoJournal } from '../../src/repair/undo.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { openTestCloud, type TestCloud } from './cloud.js';

const server = usePrivateMariadb();
let tc: TestCloud;
let original: Awaited<ReturnType<TestCloud['dump']>>;
let dir: string;

beforeAll(async () => {
  tc = await openTestCloud(server());
  original = await tc.dump();
  dir = await mkdtemp(join(tmpdir(), 'nova-doctor-repair-'));
});
afterAll(async () => {
  await tc?.close();
});

async function planAll(labels?: string[]): Promise<RepairPlan[]> {
  const uuids = (labels ? labels.map((l) => tc.instance(l)) : tc.manifest.instances).map((i) => i.uuid);
  const snaps = await tc.nova.snapshots(uuids);
  return snaps.map((s) => planRepair(s));
}

async function sql(db: 'api' | 'cell1' | 'cell2', query: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const conn = await tc.root(db);
  const [rows] = await conn.query<RowDataPacket[]>(query, params);
  return rows;
}

let journalN = 0;
const journalPath = () => join(dir, `journal-${++journalN}.jsonl`);

describe('dry run', () => {
  it('reads only and reports what would change', async () => {
    const plans = await planAll();
    const results = await applyPlans(plans, tc.conns, { apply: false });
    expect(
      results
        .filter((r) => r.status === 'dry-run')
        .map((r) => r.uuid)
        .sort(),
    ).toEqual(
      tc.manifest.instances
        .filter((i) => i.repair)
        .map((i) => i.uuid)
        .sort(),
    );
    expect(results.every((r) => ['dry-run', 'skipped', 'nothing-to-do'].includes(r.status))).toBe(true);
    expect(await tc.dump()).toEqual(original);
  });
});

describe('compare-and-swap', () => {
  it('a row changed between plan and apply (even only in case) is a conflict and nothing is overwritten', async () => {
    const [web01, db01, agent] = await planAll(['web01', 'db01', 'build-agent']);
    const web = tc.instance('web01');
    const db = tc.instance('db01');
    // One column of a row whose other columns still match: the multi-column CAS must fail as a whole.
    await sql('cell1', "UPDATE instances SET root_device_name = '/dev/XVDA' WHERE uuid = ?", [
      tc.instance('build-agent').uuid,
    ]);
    // nova's tables compare case-insensitively: 'XEN' = 'xen' there. The CAS must not be fooled.
    await sql(
      'cell1',
      "UPDATE instance_system_metadata SET value = 'XEN' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [web.uuid],
    );
    // Trailing space: PAD SPACE collations say '/dev/xvda ' = '/dev/xvda'.
    await sql(
      'cell1',
      "UPDATE block_device_mapping SET device_name = '/dev/xvda ' WHERE instance_uuid = ? AND device_name = '/dev/xvda'",
      [db.uuid],
    );
    const changed = await tc.dump();
    const dry = await applyPlans([web01!, db01!, agent!], tc.conns, { apply: false });
    expect(dry.map((r) => r.status)).toEqual(['conflict', 'conflict', 'conflict']);
    const results = await applyPlans([web01!, db01!, agent!], tc.conns, { apply: true, journal: journalPath() });
    expect(results.map((r) => r.status)).toEqual(['conflict', 'conflict', 'conflict']);
    expect(results[2]!.conflicts!.map((c) => [c.change.column, c.currentValue])).toEqual([
      ['root_device_name', '/dev/XVDA'],
    ]);
    expect(results[0]!.reason).toMatch(
      /instance_system_metadata id \d+ \(image_hypervisor_type\) changed since it was read \(now "XEN"\)/,
    );
    expect(results[0]!.conflicts![0]!.currentValue).toBe('XEN');
    expect(await tc.dump()).toEqual(changed); // 0 overwrites, nothing half done
    await sql(
      'cell1',
      "UPDATE instance_system_metadata SET value = 'xen' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [web.uuid],
    );
    await sql(
      'cell1',
      "UPDATE block_device_mapping SET device_name = '/dev/xvda' WHERE instance_uuid = ? AND device_name = '/dev/xvda '",
      [db.uuid],
    );
    await sql('cell1', "UPDATE instances SET root_device_name = '/dev/xvda' WHERE uuid = ?", [
      tc.instance('build-agent').uuid,
    ]);
    expect(await tc.dump()).toEqual(original);
  });

  it('a spec nova re-saved since the plan is a conflict', async () => {
    const [plan] = await planAll(['web01']);
    const uuid = tc.instance('web01').uuid;
    const [row] = await sql('api', 'SELECT spec FROM request_specs WHERE instance_uuid = ?', [uuid]);
    // Same meaning, other bytes: what a nova re-save does to the changes list order.
    const resaved = String(row!.spec).replace(
      '"nova_object.namespace": "nova", "nova_object.version": "1.8"',
      '"nova_object.namespace": "nova",  "nova_object.version": "1.8"',
    );
    expect(resaved).not.toBe(row!.spec);
    await sql('api', 'UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [resaved, uuid]);
    const [result] = await applyPlans([plan!], tc.conns, { apply: true, journal: journalPath() });
    expect(result!.status).toBe('conflict');
    expect(result!.reason).toMatch(/request_specs id \d+ changed since it was read/);
    await sql('api', 'UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [row!.spec, uuid]);
    expect(await tc.dump()).toEqual(original);
  });

  it('task_state set after the plan is seen under the lock: skipped, nothing changed', async () => {
    const [plan] = await planAll(['win-ad']);
    expect(plan!.status).toBe('planned');
    const uuid = tc.instance('win-ad').uuid;
    await sql('cell1', "UPDATE instances SET task_state = 'resize_prep' WHERE uuid = ?", [uuid]);
    const [result] = await applyPlans([plan!], tc.conns, { apply: true, journal: journalPath() });
    expect(result!.status).toBe('skipped');
    expect(result!.reason).toMatch(/task_state is resize_prep/);
    await sql('cell1', 'UPDATE instances SET task_state = NULL WHERE uuid = ?', [uuid]);
    expect(await tc.dump()).toEqual(original);
  });

  it('a row locked by someone else is reported after the bounded wait, not waited on forever', async () => {
    const [plan] = await planAll(['legacy-app']);
    const holder = await server().connect(tc.cloud.databases.cell1);
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT id FROM instances WHERE uuid = ? FOR UPDATE', [tc.instance('legacy-app').uuid]);
      const t0 = performance.now();
      const [result] = await applyPlans([plan!], tc.conns, {
        apply: true,
        journal: journalPath(),
        lockWaitTimeoutSeconds: 1,
      });
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(result!.status).toBe('conflict');
      expect(result!.reason).toMatch(/locked by another transaction \(waited 1s\)/);
      // The summary line says a lock is one kind of conflict, not only "changed since planned".
      expect(repairSummaryOf(new Map([[result!.status, 1]]), true)).toMatch(
        /1 in conflict \(changed or locked since planned\)/,
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await tc.dump()).toEqual(original);
  });
});

describe('repair, journal, undo', () => {
  let path: string;
  let repaired: Awaited<ReturnType<TestCloud['dump']>>;

  it('repairs every planned instance, re-reads and re-diagnoses it', async () => {
    const plans = await planAll();
    path = journalPath();
    const progress: number[] = [];
    const results = await applyPlans(plans, tc.conns, {
      apply: true,
      journal: path,
      onProgress: (d) => progress.push(d),
    });
    expect(progress.at(-1)).toBe(plans.length);
    const expected = tc.manifest.instances
      .filter((i) => i.repair)
      .map((i) => i.uuid)
      .sort();
    expect(
      results
        .filter((r) => r.status === 'repaired')
        .map((r) => r.uuid)
        .sort(),
    ).toEqual(expected);
    expect(results.filter((r) => r.status === 'repaired').every((r) => r.verified === true)).toBe(true);
    expect(results.filter((r) => !['repaired', 'skipped', 'nothing-to-do'].includes(r.status))).toEqual([]);
    // Planning again finds nothing left on any repaired instance.
    const again = await planAll();
    const left = again.filter((p) => expected.includes(p.uuid) && p.status !== 'nothing-to-do');
    expect(left.map((p) => `${p.uuid} ${p.status} ${p.reason}`)).toEqual([]);
    repaired = await tc.dump();
  });

  it('changed exactly the planned rows: untouched instances and columns are byte-identical', async () => {
    const repairedUuids = new Set(tc.manifest.instances.filter((i) => i.repair).map((i) => i.uuid));
    for (const [table, rows] of Object.entries(original)) {
      const now = repaired[table]!;
      expect(now.length, table).toBe(rows.length);
      rows.forEach((row, n) => {
        const after = now[n]!;
        const uuidHex = (row.instance_uuid ?? row.uuid) as string;
        const uuid = Buffer.from(uuidHex, 'hex').toString();
        if (!repairedUuids.has(uuid)) expect(after, `${table} row ${n}`).toEqual(row);
        // updated_at is left alone on purpose (undo must give byte-identical rows back)
        expect(after.updated_at, `${table} updated_at`).toEqual(row.updated_at);
      });
    }
    const changedCells = Object.entries(original).flatMap(([table, rows]) =>
      rows.flatMap((row, n) =>
        Object.keys(row)
          .filter((k) => row[k] !== repaired[table]![n]![k])
          .map((k) => `${table}.${k}`),
      ),
    );
    expect(new Set(changedCells)).toEqual(
      new Set([
        'api.request_specs.spec',
        'cell1.instance_system_metadata.value',
        'cell2.instance_system_metadata.value',
        'cell1.instances.kernel_id',
        'cell1.instances.ramdisk_id',
        'cell1.instances.root_device_name',
        'cell1.instances.vm_mode',
        'cell2.instances.kernel_id',
        'cell2.instances.ramdisk_id',
        'cell2.instances.root_device_name',
        'cell2.instances.vm_mode',
        'cell1.block_device_mapping.device_name',
        'cell2.block_device_mapping.device_name',
      ]),
    );
  });

  it('keeps a journal: 0600 in a 0700 directory, states in order, values with sha256, no password', async () => {
    const st = await stat(path);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0o000);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(tc.cloud.apiUrl.split(':')[2]!.split('@')[0]!); // the password
    expect(text).not.toContain('nova-fixture-pw');
    const sets = changeSets(await readJournal(path));
    expect(sets).toHaveLength(tc.manifest.instances.filter((i) => i.repair).length);
    for (const s of sets) {
      expect(s.state).toBe('done');
      expect(s.verified).toBe(true);
      expect(s.intent.databases.cell?.schema).toMatch(/nova_cell[12]$/);
      // An instance without a request spec changes only its cell: its change set opens no nova_api transaction.
      if (s.intent.changes.some((c) => c.database === 'api'))
        expect(s.intent.databases.api.schema).toMatch(/nova_api$/);
      else expect(s.intent.databases.api.schema).toBeNull();
      for (const c of s.intent.changes) {
        if (c.table === 'request_specs') {
          // Version 3: the spec's edits and the sha256 of both texts, not the texts (~10 KB an instance at scale).
          expect(c.before).toBeUndefined();
          expect(c.spans?.length).toBeGreaterThan(0);
          expect(c.beforeSha256).toMatch(/^[0-9a-f]{64}$/);
          continue;
        }
        expect(c.beforeSha256).toBe(sha256(c.before));
        expect(c.afterSha256).toBe(sha256(c.after));
      }
      const specLess = tc.manifest.instances.find((i) => i.uuid === s.intent.uuid)?.requestSpec === 'missing';
      expect(s.intent.changes.some((c) => c.table === 'request_specs')).toBe(!specLess);
    }
    const states = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; state?: string; id?: string });
    const first = states.find((r) => r.type === 'intent')!.id;
    expect(states.filter((r) => r.id === first).map((r) => r.state ?? r.type)).toEqual([
      'intent',
      'api-committed',
      'cell-committed',
      'done',
    ]);
  });

  it('refuses a world-writable journal directory and an existing journal file', async () => {
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    await expect(Journal.create(join(open, 'j.jsonl'))).rejects.toThrow(/world-writable/);
    await expect(Journal.create(path)).rejects.toThrow(/already exists/);
    // (web01 is repaired by now, so its plan is empty: force it to 'planned', the journal check comes first.)
    const plans = await planAll(['web01']);
    const before = await tc.dump();
    const stale = { ...plans[0]!, status: 'planned' as const };
    await expect(applyPlans([stale], tc.conns, { apply: true, journal: join(open, 'k.jsonl') })).rejects.toThrow(
      /world-writable/,
    );
    expect(await tc.dump()).toEqual(before);
  });

  it('undo dry run changes nothing; undo leaves a row changed since alone and restores the rest', async () => {
    const web = tc.instance('web01');
    // Someone changed one repaired row after the repair.
    await sql(
      'cell1',
      "UPDATE instance_system_metadata SET value = 'qemu' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [web.uuid],
    );
    const before = await tc.dump();
    const dry = await undoJournal(path, tc.conns, { apply: false });
    expect(await tc.dump()).toEqual(before);
    const webDry = dry.find((r) => r.uuid === web.uuid)!;
    expect(webDry.status).toBe('dry-run');
    expect(webDry.conflicts.map((c) => [c.change.key, c.currentValue])).toEqual([['image_hypervisor_type', 'qemu']]);

    const results = await undoJournal(path, tc.conns, { apply: true });
    const webResult = results.find((r) => r.uuid === web.uuid)!;
    expect(webResult.status).toBe('conflict');
    expect(webResult.reason).toMatch(/left alone/);
    expect(webResult.restored.length).toBeGreaterThan(5);
    expect(results.filter((r) => r.uuid !== web.uuid).every((r) => r.status === 'restored')).toBe(true);
    const [row] = await sql(
      'cell1',
      "SELECT value FROM instance_system_metadata WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [web.uuid],
    );
    expect(row!.value).toBe('qemu'); // left alone
    // Put the one row back by hand: then every row of the four tables is byte-identical to before the repair.
    await sql(
      'cell1',
      "UPDATE instance_system_metadata SET value = 'xen' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [web.uuid],
    );
    expect(await tc.dump()).toEqual(original);
  });

  it('undo twice: already undone', async () => {
    const results = await undoJournal(path, tc.conns, { apply: true });
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['nothing-to-do']));
    expect(await tc.dump()).toEqual(original);
  });
});

/** Repair every planned instance with a journal of this version (3: as written before version 4). */
async function repairAllWith(version: WritableJournalVersion): Promise<string> {
  const path = journalPath();
  const journal = version === 4 ? path : await Journal.create(path, { cloud: await cloudOf(tc.conns), version });
  const results = await applyPlans(await planAll(), tc.conns, { apply: true, journal });
  if (typeof journal !== 'string') await journal.close();
  expect(results.filter((r) => r.status === 'repaired').length).toBeGreaterThan(3);
  const header = JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as { version: number };
  expect(header.version).toBe(version);
  return path;
}

/** The request spec rows of a journal's intent lines, as the file holds them. */
function specRowsInFile(text: string): object[] {
  return text
    .split('\n')
    .filter((l) => l.includes('"type":"intent"'))
    .flatMap((l) => {
      const r = JSON.parse(l) as {
        changes?: { table: string }[];
        rows?: { update?: { request_specs?: object[] } };
      };
      return r.changes ? r.changes.filter((c) => c.table === 'request_specs') : (r.rows?.update?.request_specs ?? []);
    });
}

describe.each([4, 3] as const)('spec edits in the journal (version %i)', (version) => {
  it('journals a spec as its edits, not its texts, and undo gives every row back byte for byte', async () => {
    const path = await repairAllWith(version);
    const text = await readFile(path, 'utf8');
    const [spec] = await sql('api', 'SELECT spec FROM request_specs WHERE instance_uuid = ?', [
      tc.instance('web01').uuid,
    ]);
    expect(text).not.toContain(String(spec!.spec).slice(0, 200)); // no whole text, before or after
    // The spec's change is its edits and two sha256s: a few hundred bytes, not the two texts (~7 KB here).
    const specChanges = specRowsInFile(text);
    expect(specChanges.length).toBeGreaterThan(3);
    for (const c of specChanges) expect(JSON.stringify(c).length).toBeLessThan(700);
    expect((await undoJournal(path, tc.conns, { apply: true })).every((r) => r.status === 'restored')).toBe(true);
    expect(await tc.dump()).toEqual(original);
    // The undo was journaled in the journal's own version, and reads back as trusted.
    const sets = changeSets(await readJournal(path));
    const repairs = sets.filter((s) => s.intent.kind === 'repair').length;
    expect(sets.filter((s) => s.intent.kind === 'undo').length).toBe(repairs);
    expect(sets.every((s) => s.damage === null && s.state === 'done')).toBe(true);
    const intentLines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.includes('"type":"intent"'));
    for (const l of intentLines) expect(l.includes('"changes":')).toBe(version === 3);
  });

  it('a spec changed since the repair is left alone and reported, the other rows restored', async () => {
    const web = tc.instance('web01');
    const [old] = await sql('api', 'SELECT spec FROM request_specs WHERE instance_uuid = ?', [web.uuid]);
    const path = await repairAllWith(version);
    const [row] = await sql('api', 'SELECT spec FROM request_specs WHERE instance_uuid = ?', [web.uuid]);
    const repairedSpec = String(row!.spec);
    await sql('api', 'UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [`${repairedSpec} `, web.uuid]);
    const results = await undoJournal(path, tc.conns, { apply: true });
    const webResult = results.find((r) => r.uuid === web.uuid)!;
    expect(webResult.status).toBe('conflict');
    expect(webResult.conflicts.map((c) => [c.change.table, c.currentValue])).toEqual([
      ['request_specs', `${repairedSpec} `],
    ]);
    expect(webResult.restored.length).toBeGreaterThan(5);
    // Put the spec back by hand: then every row is byte-identical to before the repair.
    await sql('api', 'UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [String(old!.spec), web.uuid]);
    expect(await tc.dump()).toEqual(original);
  });
});

describe('journal version 4: what is common stated once', () => {
  it('names the databases and the instance once per change set, seals it with one sha256, and is smaller', async () => {
    const v3path = await repairAllWith(3);
    const v3 = await readFile(v3path, 'utf8');
    expect((await undoJournal(v3path, tc.conns, { apply: true })).every((r) => r.status === 'restored')).toBe(true);
    expect(await tc.dump()).toEqual(original);
    const path = await repairAllWith(4);
    const v4 = await readFile(path, 'utf8');
    const records = v4
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const intents = records.filter((r) => r.type === 'intent');
    for (const r of intents) {
      expect(Object.keys(r).sort()).toEqual(['at', 'cell', 'id', 'kind', 'rows', 'schemas', 'sha256', 'type', 'uuid']);
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.schemas).toMatchObject({ cell: expect.stringMatching(/nova_cell[12]$/) });
    }
    // No row repeats its database, instance or a hash of a short value; states name their change set only.
    const body = v4.slice(v4.indexOf('\n')); // the header names the cloud: databases, their names, servers
    expect(body).not.toMatch(/"instanceUuid"|"schema"|"database"|"beforeSha256"|"rowId"/);
    for (const r of records.filter((x) => x.type === 'state')) expect(r).not.toHaveProperty('uuid');
    // Read back, every row is whole again: the same changes as the version 3 journal, values and identity.
    const whole = (text: string) =>
      changeSets(
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    const fromV4 = changeSets(await readJournal(path));
    const fromV3 = whole(v3);
    expect(fromV3.every((s) => s.damage === null)).toBe(true);
    expect(fromV4.every((s) => s.damage === null)).toBe(true);
    const rowsOf = (sets: typeof fromV4) =>
      sets
        .flatMap((s) =>
          s.intent.changes.map((c) => ({
            uuid: s.intent.uuid,
            ...c,
            sha256: undefined,
          })),
        )
        .map((c) => JSON.stringify(Object.entries(c).sort()))
        .sort();
    expect(rowsOf(fromV4)).toEqual(rowsOf(fromV3));
    expect(v4.length).toBeLessThan(v3.length * 0.45);
    expect((await undoJournal(path, tc.conns, { apply: true })).every((r) => r.status === 'restored')).toBe(true);
    expect(await tc.dump()).toEqual(original);
  });
});

describe('whole texts (version 2)', () => {
  it('a version 2 journal (whole spec texts) is still undone byte for byte', async () => {
    const path = await repairAllWith(4);
    // Rewrite it as version 2 wrote it: the texts themselves, no edits.
    const records = await readJournal(path);
    const lines: string[] = [];
    let texts = 0;
    for (const r of records as JournalRecord[]) {
      if (r.type === 'header') lines.push(JSON.stringify({ ...r, version: 2 }));
      else if (r.type === 'intent') {
        await hydrateChanges(tc.conns, r.changes);
        const changes = r.changes.map(({ spans: _spans, sha256: _seal, ...c }) => sealChange(c));
        texts += changes.filter((c) => c.table === 'request_specs' && (c.before?.length ?? 0) > 500).length;
        const { sha256: _set, ...rest } = r;
        lines.push(JSON.stringify({ ...rest, changes }));
      } else lines.push(JSON.stringify({ ...r, uuid: 'n/a' }));
    }
    expect(texts).toBeGreaterThan(3);
    const v2 = journalPath();
    await writeFile(v2, `${lines.join('\n')}\n`, { mode: 0o600 });
    const results = await undoJournal(v2, tc.conns, { apply: true });
    expect(results.every((r) => r.status === 'restored')).toBe(true);
    expect(await tc.dump()).toEqual(original);
  });
});

describe.each([4, 3] as const)('hard deletes (--hv-type remove) and undo (journal version %i)', (version) => {
  it('removes img_hv_type from the spec, hard-deletes its sysmeta rows, and undo puts them back byte for byte', async () => {
    const snaps = await tc.nova.snapshots([tc.instance('dupmeta').uuid, tc.instance('newnames').uuid]);
    const plans = snaps.map((s) => planRepair(s, { hvType: 'remove' }));
    expect(plans.map((p) => p.status)).toEqual(['planned', 'planned']);
    const path = journalPath();
    const journal = version === 4 ? path : await Journal.create(path, { cloud: await cloudOf(tc.conns), version });
    const results = await applyPlans(plans, tc.conns, {
      apply: true,
      journal,
      planOptions: { hvType: 'remove' },
    });
    if (typeof journal !== 'string') await journal.close();
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['repaired', null],
      ['repaired', null],
    ]);
    const rows = await sql(
      'cell1',
      "SELECT id FROM instance_system_metadata WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [tc.instance('dupmeta').uuid],
    );
    expect(rows).toEqual([]); // both the live row and the soft-deleted duplicate are gone: nova loads both
    const [spec] = await sql('api', 'SELECT spec FROM request_specs WHERE instance_uuid = ?', [
      tc.instance('dupmeta').uuid,
    ]);
    expect(String(spec!.spec)).not.toMatch(/"img_hv_type"/);
    const sets = changeSets(await readJournal(path));
    const deleted = sets[0]!.intent.changes.filter((c) => c.action === 'delete');
    expect(deleted).toHaveLength(2);
    expect(deleted.every((c) => c.row?.created_at && c.row.instance_uuid === tc.instance('dupmeta').uuid)).toBe(true);

    const undone = await undoJournal(path, tc.conns, { apply: true });
    expect(undone.map((r) => r.status)).toEqual(['restored', 'restored']);
    expect(undone[0]!.restored.filter((c) => c.action === 'insert')).toHaveLength(2);
    expect(await tc.dump()).toEqual(original);
  });
});
