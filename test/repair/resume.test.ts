// A crash at each named point between the journal records and the two COMMITs, then resume: the journal and
// the databases together must say what happened, and resume must finish or roll back to a consistent state.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlans } from '../../src/repair/apply.js';
import { InjectedFault } from '../../src/repair/engine.js';
import { changeSets, readJournal } from '../../src/repair/journal.js';
import { planRepair } from '../../src/repair/plan.js';
import { resumeJournal } from '../../src/repair/resume.js';
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
  dir = await mkdtemp(join(tmpdir(), 'nova-doctor-resume-'));
});
afterAll(async () => {
  await tc?.close();
});

async function crashDuring(label: string, point: 'intent' | 'api-commit' | 'cell-commit', journal: string) {
  const [snapshot] = await tc.nova.snapshots([tc.instance(label).uuid]);
  const plan = planRepair(snapshot!);
  expect(plan.status).toBe('planned');
  await expect(applyPlans([plan], tc.conns, { apply: true, journal, failAfter: point })).rejects.toThrow(InjectedFault);
  await tc.crash(); // the process is gone: open transactions die with its connections
  return plan;
}

async function specOf(label: string): Promise<string> {
  const conn = await tc.root('api');
  const [rows] = await conn.query<RowDataPacket[]>('SELECT spec FROM request_specs WHERE instance_uuid = ?', [
    tc.instance(label).uuid,
  ]);
  return String(rows[0]!.spec);
}

async function sysmetaOf(label: string, key: string): Promise<string | null> {
  const i = tc.instance(label);
  const conn = await tc.root(i.cell as 'cell1');
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT value FROM instance_system_metadata WHERE instance_uuid = ? AND `key` = ? AND deleted = 0',
    [i.uuid, key],
  );
  return rows[0]?.value ?? null;
}

describe('resume after a crash', () => {
  it('crash after the intent record, before any COMMIT: nothing committed, resume records the roll-back', async () => {
    const path = join(dir, 'intent.jsonl');
    await crashDuring('web01', 'intent', path);
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['intent']);
    expect(await tc.dump()).toEqual(original);
    const dry = await resumeJournal(path, tc.conns, { apply: false });
    expect(dry.map((r) => [r.status, r.found])).toEqual([['dry-run', { api: 'old', cell: 'old' }]]);
    const [r] = await resumeJournal(path, tc.conns, { apply: true });
    expect(r!.status).toBe('rolled-back');
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['rolled-back']);
    expect(await resumeJournal(path, tc.conns, { apply: true })).toEqual([]); // nothing left open
    expect((await undoJournal(path, tc.conns, { apply: true }))[0]!.status).toBe('nothing-to-do');
    expect(await tc.dump()).toEqual(original);
  });

  it('crash between the api COMMIT and its record: resume finishes the cell half', async () => {
    const path = join(dir, 'api-commit.jsonl');
    const plan = await crashDuring('db01', 'api-commit', path);
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['intent']); // one step behind
    expect(await specOf('db01')).toBe(plan.specAfter); // api committed
    expect(await sysmetaOf('db01', 'image_hypervisor_type')).toBe('xen'); // cell rolled back by the crash
    const dry = await resumeJournal(path, tc.conns, { apply: false });
    expect(dry.map((r) => [r.status, r.found])).toEqual([['dry-run', { api: 'new', cell: 'old' }]]);
    expect(dry[0]!.reason).toMatch(/api is committed, cell is not: would apply the \d+ cell row/);
    const [r] = await resumeJournal(path, tc.conns, { apply: true });
    expect([r!.status, r!.reason]).toEqual(['finished', null]);
    expect(await sysmetaOf('db01', 'image_hypervisor_type')).toBe('kvm');
    const [again] = await tc.nova.snapshots([tc.instance('db01').uuid]);
    expect(planRepair(again!).status).toBe('nothing-to-do');
    const sets = changeSets(await readJournal(path));
    expect(sets.map((s) => [s.state, s.verified])).toEqual([['done', true]]);
    // and it can be undone like any repair
    expect((await undoJournal(path, tc.conns, { apply: true }))[0]!.status).toBe('restored');
    expect(await tc.dump()).toEqual(original);
  });

  it('crash between the api COMMIT and its record: resume --rollback restores the api half', async () => {
    const path = join(dir, 'api-commit-rollback.jsonl');
    await crashDuring('cafe', 'api-commit', path);
    expect(await tc.dump()).not.toEqual(original);
    const [r] = await resumeJournal(path, tc.conns, { apply: true, mode: 'rollback' });
    expect(r!.status).toBe('rolled-back');
    expect(r!.changed.map((c) => c.table)).toEqual(['request_specs']);
    expect(await tc.dump()).toEqual(original);
    const sets = changeSets(await readJournal(path));
    expect(sets.map((s) => [s.intent.kind, s.state])).toEqual([
      ['repair', 'rolled-back'],
      ['resume-rollback', 'done'],
    ]);
  });

  it('crash after both COMMITs, before the records: resume finds everything committed', async () => {
    const path = join(dir, 'cell-commit.jsonl');
    await crashDuring('api-gw', 'cell-commit', path);
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['api-committed']);
    const [r] = await resumeJournal(path, tc.conns, { apply: true });
    expect([r!.status, r!.found]).toEqual(['complete', { api: 'new', cell: 'new' }]);
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['done']);
    expect((await undoJournal(path, tc.conns, { apply: true }))[0]!.status).toBe('restored');
    expect(await tc.dump()).toEqual(original);
  });

  it('rows changed by someone else after the crash: resume touches nothing and says so', async () => {
    const path = join(dir, 'mixed.jsonl');
    await crashDuring('research-hpc', 'api-commit', path);
    const i = tc.instance('research-hpc');
    const conn = await tc.root('cell2');
    await conn.query(
      "UPDATE instance_system_metadata SET value = 'qemu' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [i.uuid],
    );
    const before = await tc.dump();
    const [r] = await resumeJournal(path, tc.conns, { apply: true });
    expect(r!.status).toBe('conflict');
    expect(r!.reason).toMatch(/image_hypervisor_type\) changed since/);
    expect(await tc.dump()).toEqual(before);
    // undo refuses an interrupted repair until it is resolved
    expect((await undoJournal(path, tc.conns, { apply: true }))[0]!.reason).toMatch(/interrupted/);
    // put the row back: resume can then finish
    await conn.query(
      "UPDATE instance_system_metadata SET value = 'xen' WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [i.uuid],
    );
    const [again] = await resumeJournal(path, tc.conns, { apply: true, mode: 'rollback' });
    expect(again!.status).toBe('rolled-back');
    expect(await tc.dump()).toEqual(original);
  });

  it('NOVA_DOCTOR_FAIL_AFTER is the same hook for the command line', async () => {
    const path = join(dir, 'env.jsonl');
    const [snapshot] = await tc.nova.snapshots([tc.instance('xenial-web').uuid]);
    process.env.NOVA_DOCTOR_FAIL_AFTER = 'intent';
    try {
      await expect(applyPlans([planRepair(snapshot!)], tc.conns, { apply: true, journal: path })).rejects.toThrow(
        /injected fault after intent/,
      );
    } finally {
      delete process.env.NOVA_DOCTOR_FAIL_AFTER;
    }
    await tc.crash();
    expect((await resumeJournal(path, tc.conns, { apply: true }))[0]!.status).toBe('rolled-back');
    expect(await tc.dump()).toEqual(original);
  });
});
