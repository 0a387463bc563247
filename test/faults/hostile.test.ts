// Faults around one repair, through the library on a real MariaDB: the repair's connection killed mid-apply, a
// journal that cannot be written (full tmpfs, read-only mount), a user without write grants, broken rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeMissingGrants,
  missingFromGrants,
  missingRepairGrants,
  repairGrantNeeds,
} from '../../src/db/grants.js';
import { applyPlans } from '../../src/repair/apply.js';
import { planRepair } from '../../src/repair/plan.js';
import { resumeJournal } from '../../src/repair/resume.js';
import { undoJournal } from '../../src/repair/undo.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { openTestCloud, type TestCloud } from '../repair/cloud.js';

const server = usePrivateMariadb();
let tc: TestCloud;
let original: Awaited<ReturnType<TestCloud['dump']>>;
let dir: string;

beforeAll(async () => {
  tc = await openTestCloud(server());
  original = await tc.dump();
  dir = mkdtempSync(join(tmpdir(), 'nd-hostile-'));
});
afterAll(async () => {
  await tc?.close();
});

async function plan(label: string) {
  const [s] = await tc.nova.snapshots([tc.instance(label).uuid]);
  const p = planRepair(s!);
  expect(p.status).toBe('planned');
  return p;
}

describe('KILL CONNECTION of the repair mid-apply', () => {
  it('rolls back, says so, and the instance can be repaired (and undone) afterwards', async () => {
    const p = await plan('web01');
    const holder = await tc.root('api');
    await holder.beginTransaction();
    await holder.query('SELECT id FROM request_specs WHERE instance_uuid = ? FOR UPDATE', [p.uuid]);
    const journal = join(dir, 'killconn.jsonl');
    const threadId = tc.conns.api.threadId;
    const running = applyPlans([p], tc.conns, { apply: true, journal, lockWaitTimeoutSeconds: 30 });
    // Wait until the repair is inside its api UPDATE (blocked on our lock, its cell changes already made).
    const watcher = await tc.root('api');
    for (let i = 0; i < 200; i++) {
      const [rows] = await watcher.query<RowDataPacket[]>(
        "SELECT info FROM information_schema.processlist WHERE id = ? AND info LIKE 'UPDATE%'",
        [threadId],
      );
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await watcher.query(`KILL CONNECTION ${Number(threadId)}`);
    const [r] = await running;
    await holder.rollback();
    expect(r!.status).toBe('failed');
    expect(r!.reason).toMatch(/nothing was changed/);
    expect(r!.reason).not.toMatch(/\n\s+at /); // one line, no stack
    expect(await tc.dump()).toEqual(original);
    await tc.crash(); // the pool hands out fresh connections, as a new run would have
    expect(await resumeJournal(journal, tc.conns, { apply: true }).catch(() => [])).toEqual([]);
    const [again] = await applyPlans([await plan('web01')], tc.conns, { apply: true, journal: join(dir, 'k2.jsonl') });
    expect(again!.status).toBe('repaired');
    expect((await undoJournal(join(dir, 'k2.jsonl'), tc.conns, { apply: true }))[0]!.status).toBe('restored');
    expect(await tc.dump()).toEqual(original);
  });
});

describe('a journal that cannot be written', () => {
  it('disk full after the header (tiny tmpfs): nothing is written to the database', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'nd-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt]);
    try {
      // Fill it: not even the journal's header fits.
      const fill = join(mnt, 'fill');
      try {
        writeFileSync(fill, Buffer.alloc(128 * 1024));
      } catch {
        // ENOSPC while filling is fine: the point is a nearly full disk
      }
      const p = await plan('db01');
      let outcome: string;
      try {
        const [r] = await applyPlans([p], tc.conns, { apply: true, journal: join(mnt, 'j', 'full.jsonl') });
        outcome = `${r!.status}: ${r!.reason}`;
      } catch (err) {
        outcome = `refused: ${(err as Error).message}`;
      }
      expect(outcome).toMatch(/ENOSPC|no space|refused|failed/i);
      expect(outcome).not.toMatch(/^repaired/);
      expect(await tc.dump()).toEqual(original);
    } finally {
      execFileSync('umount', ['-l', mnt]); // lazy: see the report (an fd left open by a failed Journal.create)
    }
  });

  it('read-only journal directory (root ignores mode bits: a read-only bind mount): refused before any write', async () => {
    const ro = mkdtempSync(join(tmpdir(), 'nd-ro-'));
    execFileSync('mount', ['--bind', ro, ro]);
    execFileSync('mount', ['-o', 'remount,ro,bind', ro]);
    try {
      const p = await plan('db01');
      await expect(applyPlans([p], tc.conns, { apply: true, journal: join(ro, 'ro.jsonl') })).rejects.toThrow(
        /read-only|EROFS|journal/i,
      );
      expect(await tc.dump()).toEqual(original);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

describe('privileges', () => {
  it('missingRepairGrants names exactly the grants a SELECT-only user lacks, and the repair writes nothing', async () => {
    const root = await tc.root('api');
    const dbs = tc.cloud.databases;
    await root.query("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'r3ader-pw'");
    for (const db of [dbs.api, dbs.cell1, dbs.cell2]) await root.query(`GRANT SELECT ON \`${db}\`.* TO 'reader'@'%'`);
    await root.query(`GRANT UPDATE ON \`${dbs.cell1}\`.\`instances\` TO 'reader'@'%'`);
    const s = server();
    const reader = await mysql.createConnection({
      socketPath: s.socketPath,
      user: 'reader',
      password: 'r3ader-pw',
      database: dbs.api,
    });
    try {
      const missing = await missingRepairGrants(reader, { api: dbs.api, cells: [dbs.cell1, dbs.cell2] });
      const text = missing.map((m) => `${m.privilege} ${m.database}.${m.table}`);
      expect(text).toContain(`UPDATE ${dbs.api}.request_specs`);
      expect(text).toContain(`DELETE ${dbs.cell2}.instance_system_metadata`);
      expect(text).not.toContain(`UPDATE ${dbs.cell1}.instances`); // granted on the table
      expect(text.some((t) => t.startsWith('SELECT'))).toBe(false);
      expect(missing).toHaveLength(10); // api UPDATE; cell1: isys U,I,D + bdm U; cell2: instances U, isys U,I,D, bdm U
      expect(describeMissingGrants(missing, "'reader'@'%'")).toContain(
        `GRANT UPDATE ON \`${dbs.api}\`.\`request_specs\` TO 'reader'@'%';`,
      );
      // The nova user of the fixture has everything.
      const nova = tc.conns.api;
      expect(await missingRepairGrants(nova, { api: dbs.api, cells: [dbs.cell1, dbs.cell2] })).toEqual([]);
    } finally {
      await reader.end();
    }
  });

  it('privileges that come through the enabled role (and roles granted to it) count; a role not enabled does not', async () => {
    const root = await tc.root('api');
    const dbs = tc.cloud.databases;
    const all = { api: dbs.api, cells: [dbs.cell1, dbs.cell2] };
    await root.query("CREATE USER IF NOT EXISTS 'roleuser'@'%' IDENTIFIED BY 'r0le-pw'");
    await root.query('CREATE ROLE IF NOT EXISTS nd_reader');
    await root.query('CREATE ROLE IF NOT EXISTS nd_repairer');
    for (const db of [dbs.api, dbs.cell1, dbs.cell2]) await root.query(`GRANT SELECT ON \`${db}\`.* TO nd_reader`);
    await root.query(`GRANT UPDATE ON \`${dbs.api}\`.\`request_specs\` TO nd_repairer`);
    for (const db of [dbs.cell1, dbs.cell2]) {
      await root.query(`GRANT UPDATE ON \`${db}\`.\`instances\` TO nd_repairer`);
      await root.query(`GRANT UPDATE, INSERT, DELETE ON \`${db}\`.\`instance_system_metadata\` TO nd_repairer`);
      await root.query(`GRANT UPDATE ON \`${db}\`.\`block_device_mapping\` TO nd_repairer`);
    }
    await root.query('GRANT nd_reader TO nd_repairer'); // nested: SELECT comes through the inner role
    await root.query("GRANT nd_repairer TO 'roleuser'@'%'");
    const s = server();
    // No default database: without its role the user may not even open one.
    const connect = () => mysql.createConnection({ socketPath: s.socketPath, user: 'roleuser', password: 'r0le-pw' });
    // Granted but not enabled: the server would refuse the writes, and so do we.
    const notEnabled = await connect();
    try {
      expect((await missingRepairGrants(notEnabled, all)).length).toBe(18); // every privilege of repairGrantNeeds
    } finally {
      await notEnabled.end();
    }
    await root.query("SET DEFAULT ROLE nd_repairer FOR 'roleuser'@'%'");
    const enabled = await connect();
    try {
      expect(await missingRepairGrants(enabled, all)).toEqual([]);
      // And what the grants check allows, the server allows: the role's privileges are live in this session.
      await enabled.query(`SELECT id FROM \`${dbs.cell2}\`.instance_system_metadata LIMIT 1`);
    } finally {
      await enabled.end();
    }
  });

  it('grant parsing: wildcards, escapes, ALL PRIVILEGES, column grants', () => {
    const needs = repairGrantNeeds({ api: 'nova_api', cells: ['nova_cell1'] });
    expect(missingFromGrants(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`'], needs)).toEqual([]);
    expect(missingFromGrants(['GRANT SELECT, INSERT, UPDATE, DELETE ON `nova\\_%`.* TO `n`@`%`'], needs)).toEqual([]);
    // Escaped underscore: `nova\_api` is not `novaXapi`; unescaped `_` is any one character.
    expect(
      missingFromGrants(
        ['GRANT ALL PRIVILEGES ON `nova\\_api`.* TO `n`@`%`'],
        [{ database: 'novaXapi', table: 'request_specs', privileges: ['UPDATE'] }],
      ),
    ).toHaveLength(1);
    // A column grant does not stand for the table.
    expect(
      missingFromGrants(
        ['GRANT SELECT, UPDATE (`spec`) ON `nova_api`.`request_specs` TO `n`@`%`'],
        [{ database: 'nova_api', table: 'request_specs', privileges: ['SELECT', 'UPDATE'] }],
      ),
    ).toEqual([{ database: 'nova_api', table: 'request_specs', privilege: 'UPDATE' }]);
  });
});

describe('broken rows', () => {
  it('an unexpected object version, NULLs nova never writes, a spec near the MEDIUMTEXT limit: plan refuses or copes, never throws', async () => {
    const api = await tc.root('api');
    const cell1 = await tc.root('cell1');
    const web = tc.instance('web01');
    const db = tc.instance('db01');
    const agent = tc.instance('build-agent');
    await api.query(
      `UPDATE request_specs SET spec = REPLACE(spec, '"nova_object.version": "1.', '"nova_object.version": "9.') WHERE instance_uuid = ?`,
      [web.uuid],
    );
    await cell1.query(
      "UPDATE instance_system_metadata SET value = NULL WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
      [db.uuid],
    );
    // ~15 MB: a property value nova would never hold, close to MEDIUMTEXT's 16 MiB.
    await api.query('SET SESSION max_allowed_packet = 67108864').catch(() => undefined);
    await api.query(
      `UPDATE request_specs SET spec = REPLACE(spec, '"img_hv_type": "xen"', CONCAT('"img_hv_type": "xen", "x_pad": "', REPEAT('a', 15000000), '"')) WHERE instance_uuid = ?`,
      [agent.uuid],
    );
    const snaps = await tc.nova.snapshots([web.uuid, db.uuid, agent.uuid]);
    const plans = snaps.map((s) => planRepair(s));
    for (const p of plans) {
      expect(['planned', 'refused', 'nothing-to-do', 'skipped']).toContain(p.status);
      if (p.status !== 'planned') expect(p.reason ?? '').not.toBe('');
    }
    // nova refuses to load an object version it does not know, and so does the planner.
    expect(plans[0]!.status).toBe('skipped');
    expect(plans[0]!.reason).toMatch(/object version "9\.\d+" is not one nova writes/);
    const results = await applyPlans(plans, tc.conns, { apply: false });
    expect(results).toHaveLength(3);
  });
});
