// Undo and resume write only to the cloud and the rows a journal was written for (issue 13, items 1 and 2), through
// the real binary:
// - a TWIN cloud: the same dump loaded into a second private server (staging restored from production's dump:
//   same cell uuids, row ids and values), and into a second set of databases on production's own server;
// - a journal line whose row id was edited to point at a healthy instance's row (with and without its change
//   set's sha256 recomputed): reported and skipped, the healthy row never written;
// - a version 1 journal (before cloud identity): undone on its own cloud, refused on the twin;
// - journals and directories others own or can write: refused before any write.
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, loadCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import {
  changeSetDigest,
  cloudSeal,
  decodeIntentV4,
  type JournalRecord,
  readJournal,
} from '../../src/repair/journal.js';
import type { Manifest } from '../repair/cloud.js';
import { type InstanceRows, instanceRows, runBin, workDir } from './support.js';

const PASSWORD = 'tw1n;cl0ud-pw';
const user = { name: 'nova', password: PASSWORD };

interface Cloud {
  server: PrivateMariadb;
  cloud: LoadedCloud;
  conf: string;
  dir: string;
}

let prod: Cloud;
let staging: Cloud;
let original: Map<string, InstanceRows>;
let jn = 0;

async function start(): Promise<Cloud> {
  const { server, cloud } = await startCloudServer({ user });
  return { server, cloud, ...workDir(cloud, 'nd-trust-') };
}

beforeAll(async () => {
  prod = await start();
  staging = await start(); // the same dump on a second server: a staging cloud restored from production's dump
  original = await instanceRows(prod.server, prod.cloud);
});
afterAll(async () => {
  await prod?.server.stop();
  await staging?.server.stop();
});

const journalIn = (c: Cloud) => join(c.dir, `j${++jn}.jsonl`);
const repairAll = (conf: string, journal: string, env: Record<string, string> = {}) =>
  runBin(['repair', '--config', conf, '--all', '--apply', '--yes', '--journal', journal, '--json'], env);
const undo = (conf: string, journal: string, apply = true) =>
  runBin(['undo', '--config', conf, '--journal', journal, ...(apply ? ['--apply', '--yes'] : []), '--json']);
const resume = (conf: string, journal: string) =>
  runBin(['repair', '--config', conf, '--resume', '--journal', journal, '--apply', '--yes', '--json']);

const rowsOf = (c: Cloud) => instanceRows(c.server, c.cloud);
const readRecords = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalRecord);
const writeRecords = (path: string, records: readonly JournalRecord[]) =>
  writeFileSync(path, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`, { mode: 0o600 });

function uuidOf(label: string): string {
  const i = (prod.cloud.manifest as Manifest).instances.find((x) => x.label === label);
  if (!i) throw new Error(`no ${label}`);
  return i.uuid;
}

/** Repair production (every repairable instance) and return the journal and the repaired rows. */
async function repairProduction(): Promise<{ journal: string; repaired: Map<string, InstanceRows> }> {
  const journal = journalIn(prod);
  const r = await repairAll(prod.conf, journal);
  expect(JSON.parse(r.stdout).summary.repaired).toBeGreaterThan(5);
  return { journal, repaired: await rowsOf(prod) };
}

async function undoProduction(journal: string): Promise<void> {
  const u = await undo(prod.conf, journal);
  expect(u.code, u.stderr).toBe(0);
  expect(await rowsOf(prod)).toEqual(original);
}

describe('a twin cloud: the same dump on another server', () => {
  it("undo and resume refuse the staging journal on production (exit 2), before any write; each cloud's own journal works", async () => {
    // Staging: repaired, the first instance left half done (api committed, cell not) as a crash leaves it.
    const sj = journalIn(staging);
    const crashed = await repairAll(staging.conf, sj, { NOVA_DOCTOR_FAIL_AFTER: 'api-commit' });
    expect(crashed.code).toBe(70); // the injected crash
    // Production: the same, with its own journal.
    const pj = journalIn(prod);
    expect((await repairAll(prod.conf, pj, { NOVA_DOCTOR_FAIL_AFTER: 'api-commit' })).code).toBe(70);
    const halfDone = await rowsOf(prod);
    expect(halfDone).not.toEqual(original);
    const stagingJournal = readFileSync(sj, 'utf8');

    for (const run of [
      () => resume(prod.conf, sj),
      () => undo(prod.conf, sj, false),
      () => undo(prod.conf, sj),
      () => runBin(['repair', '--config', prod.conf, '--resume', '--rollback', '--journal', sj, '--apply', '--yes']),
    ]) {
      const r = await run();
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /written for another cloud, nothing was changed: nova_api: the journal names database nova_api on /,
      );
      // The private servers listen on no TCP port (@@port 0): their sockets tell them apart.
      expect(r.stderr).toMatch(/another server \((server id|host or port|no TCP, and its socket) differs\)/);
      expect(r.stderr).not.toContain(PASSWORD);
      expect(await rowsOf(prod)).toEqual(halfDone); // not a byte written
      expect(readFileSync(sj, 'utf8')).toBe(stagingJournal); // nor a record appended
    }

    // The staging journal is fine on staging, and production's own journal on production.
    const rs = await resume(staging.conf, sj);
    expect(rs.code, rs.stderr).toBe(0);
    expect(JSON.parse(rs.stdout).instances.map((i: { status: string }) => i.status)).toEqual(['finished']);
    const rp = await resume(prod.conf, pj);
    expect(rp.code, rp.stderr).toBe(0);
    await undoProduction(pj);
    expect((await undo(staging.conf, sj)).code).toBe(0);
    expect(await rowsOf(staging)).toEqual(original);
  });

  it('a twin in a second set of databases on the same server is refused by its database names', async () => {
    const twin = workDir(await loadCloud(prod.server, { prefix: 'staging_', user }), 'nd-trust-twin-');
    const tj = join(twin.dir, 'twin.jsonl');
    const r = await repairAll(twin.conf, tj);
    expect(JSON.parse(r.stdout).summary.repaired).toBeGreaterThan(5);
    const u = await undo(prod.conf, tj);
    expect(u.code, u.stderr).toBe(2);
    expect(u.stderr).toMatch(/another database \(staging_nova_api vs nova_api\)/);
    expect(await rowsOf(prod)).toEqual(original);
    expect((await undo(twin.conf, tj)).code).toBe(0);
  });
});

describe('a journal line edited to point at a healthy instance', () => {
  it('is reported and skipped, with or without its sha256 recomputed; the healthy row is never written', async () => {
    const { journal, repaired } = await repairProduction();
    const victim = uuidOf('win-ad'); // repaired: its block_device_mapping /dev/xvda -> /dev/vda
    const healthy = uuidOf('kvm-web1'); // never touched: its block device is /dev/vda already
    const cell1 = await prod.server.connect(prod.cloud.databases.cell1);
    const [bdm] = await cell1.query<RowDataPacket[]>(
      'SELECT id, device_name FROM block_device_mapping WHERE instance_uuid = ? AND deleted = 0',
      [healthy],
    );
    await cell1.end();
    const healthyRow = Number(bdm[0]!.id);

    const records = readRecords(journal);
    const header = records[0] as Extract<JournalRecord, { type: 'header' }>;
    expect(header.version).toBe(4);
    const line = records.findIndex((r) => r.type === 'intent' && r.uuid === victim);
    // Version 4 lists the rows by action and table; one sha256 seals the change set.
    const intent = records[line] as unknown as { rows: { update: Record<string, { id: number; new: string }[]> } };
    const change = intent.rows.update.block_device_mapping![0]!;
    // The precondition that made this an attack: the healthy row holds exactly what the repair wrote, so a
    // compare-and-swap on the value alone would have put /dev/xvda into it.
    expect(bdm[0]!.device_name).toBe(change.new);
    expect(healthyRow).not.toBe(change.id);

    const edit = (): Record<string, unknown> => {
      const copy = structuredClone(intent);
      copy.rows.update.block_device_mapping![0]!.id = healthyRow;
      return copy;
    };
    const resealed = edit();
    resealed.sha256 = changeSetDigest(decodeIntentV4(resealed), cloudSeal(header.cloud));
    const variants = {
      // Only the row id edited: the change set's sha256 (over every row's identity too) no longer matches.
      edited: edit(),
      // The row id edited and the sha256 recomputed (anyone can): the row's instance, checked under the lock, differs.
      resealed,
    };
    for (const [name, tampered] of Object.entries(variants)) {
      const path = join(prod.dir, `tampered-${name}.jsonl`);
      const copy = structuredClone(records);
      copy[line] = tampered as unknown as JournalRecord;
      writeRecords(path, copy);
      const before = await rowsOf(prod);
      const u = await undo(prod.conf, path);
      expect(u.code, `${name}: ${u.stderr}`).toBe(5); // incomplete: one instance left as it is
      const out = JSON.parse(u.stdout) as { instances: { uuid: string; status: string; reason: string | null }[] };
      const bad = out.instances.find((i) => i.uuid === victim)!;
      expect(bad.status).toBe('failed');
      expect(bad.reason).toMatch(
        name === 'edited'
          ? new RegExp(
              `^journal line ${line + 1} cannot be trusted \\(the change set does not match its sha256\\): skipped, nothing was written`,
            )
          : new RegExp(
              `^journal line ${line + 1} does not describe this database: cell.block_device_mapping id ${healthyRow} belongs to instance ${healthy}, not to instance ${victim} as the journal says; skipped, nothing was written`,
            ),
      );
      const after = await rowsOf(prod);
      expect(after.get(healthy)).toEqual(original.get(healthy)); // the healthy instance: untouched
      expect(after.get(victim)).toEqual(before.get(victim)); // the tampered line's instance: as it was
      // Every other instance of the journal was undone (or already was).
      for (const [uuid, rows] of after) if (uuid !== victim) expect(rows, uuid).toEqual(original.get(uuid));
    }
    expect((await rowsOf(prod)).get(victim)).toEqual(repaired.get(victim));
    await undoProduction(journal); // the untampered journal still undoes the rest
  });
});

describe('a version 1 journal (written before the cloud identity)', () => {
  /** What version 1 wrote: no cloud in the header, changes without schema, instance and whole-change sha256. */
  async function downgrade(path: string): Promise<string> {
    const v1 = path.replace(/\.jsonl$/, '-v1.jsonl');
    // Read back (a version 4 change set's rows whole again), then written without what version 1 lacked.
    const records = (await readJournal(path)).map((r): JournalRecord => {
      if (r.type === 'header') {
        const { cloud: _cloud, ...rest } = r;
        return { ...rest, version: 1 };
      }
      if (r.type !== 'intent') return r;
      const { sha256: _set, ...rest } = r;
      return {
        ...rest,
        changes: r.changes.map(({ schema: _s, instanceUuid: _i, sha256: _h, ...c }) => c),
      };
    });
    writeRecords(v1, records);
    return v1;
  }

  it('is refused, never misapplied, where host:port cannot tell the servers apart (no TCP: both are host:0)', async () => {
    // Version 1 recorded each database's host:port only. The test servers listen on no TCP port, so production and
    // its twin on this host are both "<host>:0": a version 1 journal cannot say which one it was written for, and
    // is refused on both with the reason (on servers with a TCP port it is checked by host:port and undone).
    const { journal } = await repairProduction();
    const v1 = await downgrade(journal);
    expect(readFileSync(v1, 'utf8')).not.toMatch(/"instanceUuid"|"cloud"|"sha256"/);
    const repaired = await rowsOf(prod);
    for (const c of [staging, prod]) {
      const r = await undo(c.conf, v1);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/written for another cloud.*the server cannot be identified \(no TCP port/);
    }
    expect(await rowsOf(prod)).toEqual(repaired);
    // The journal it came from (version 2, with the sockets) still undoes production.
    const u = await undo(prod.conf, journal);
    expect(u.code, u.stderr).toBe(0);
    expect(await rowsOf(prod)).toEqual(original);
  });
});

describe('journal files others could have written (ssh rules)', () => {
  it('refuses a group-writable directory, a file of another user, and writes nothing', async () => {
    const { journal } = await repairProduction();
    const repaired = await rowsOf(prod);
    const shared = join(prod.dir, 'shared');
    mkdirSync(shared, { mode: 0o700 });
    const inShared = join(shared, 'j.jsonl');
    writeFileSync(inShared, readFileSync(journal), { mode: 0o600 });
    chmodSync(shared, 0o770);
    const u = await undo(prod.conf, inShared);
    expect(u.code, u.stderr).toBe(2);
    expect(u.stderr).toMatch(/journal directory .*shared is group-writable \(mode 0770\)/);
    // Writing: a repair refuses to put its journal there (before any write).
    await undoProduction(journal);
    const r = await repairAll(prod.conf, join(shared, 'new.jsonl'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/group-writable/);
    expect(await rowsOf(prod)).toEqual(original);
    chmodSync(shared, 0o700);
    if (process.getuid?.() === 0) {
      // Another user's journal (root can make one here).
      const { journal: again } = await repairProduction();
      chownSync(again, 65534, 65534);
      const o = await undo(prod.conf, again);
      expect(o.code, o.stderr).toBe(2);
      expect(o.stderr).toMatch(/owned by uid 65534, not by you/);
      expect(await rowsOf(prod)).toEqual(repaired);
      chownSync(again, 0, 0);
      await undoProduction(again);
    }
  });
});
