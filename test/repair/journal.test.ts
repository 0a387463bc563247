// The journal file itself: permissions, torn writes, tampering, group commit.
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { changeSets, Journal, type JournalRecord, readJournal, sha256 } from '../../src/repair/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-doctor-journal-'));
});

// A change set as the engine hands it to the journal: every row whole (the journal seals it in its version).
const intent = (id: string, before = 'xen', after = 'kvm'): JournalRecord => ({
  type: 'intent',
  id,
  kind: 'repair',
  uuid: `uuid-${id}`,
  cell: { uuid: 'c1', name: 'cell1' },
  at: new Date(0).toISOString(),
  databases: { api: { schema: 'nova_api', server: 'db:3306' }, cell: { schema: 'nova_cell1', server: 'db:3306' } },
  changes: [
    {
      database: 'cell',
      schema: 'nova_cell1',
      table: 'instance_system_metadata',
      rowId: 7,
      instanceUuid: `uuid-${id}`,
      column: 'value',
      key: 'image_hypervisor_type',
      action: 'update',
      before,
      after,
      beforeSha256: sha256(before),
      afterSha256: sha256(after),
    },
  ],
});

describe('journal', () => {
  it('creates a 0600 file in a new 0700 directory, with a header, and refuses to overwrite', async () => {
    const path = join(dir, 'state', 'nova-doctor', 'j.jsonl');
    const j = await Journal.create(path);
    await j.append(intent('a'));
    await j.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state', 'nova-doctor'))).mode & 0o777).toBe(0o700);
    const records = await readJournal(path);
    expect(records.map((r) => r.type)).toEqual(['header', 'intent']);
    await expect(Journal.create(path)).rejects.toThrow(/already exists/);
  });

  it('refuses world-writable directories, files others can write, and symlinks', async () => {
    const open = join(dir, 'open');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    await expect(Journal.create(join(open, 'j.jsonl'))).rejects.toThrow(/world-writable/);
    const path = join(dir, 'j.jsonl');
    await (await Journal.create(path)).close();
    await chmod(path, 0o666);
    await expect(readJournal(path)).rejects.toThrow(/writable by others/);
    await expect(Journal.openForAppend(path)).rejects.toThrow(/writable by others/);
    await chmod(path, 0o600);
    const link = join(dir, 'link.jsonl');
    await symlink(path, link);
    await expect(Journal.openForAppend(link)).rejects.toThrow(/not a regular file/);
  });

  it('drops a torn last line (crash mid-write) but not damage in the middle', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path);
    await j.append(intent('a'));
    await j.close();
    await appendFile(path, '{"type":"state","id":"a","uuid":"uuid-a","state":"api-comm');
    expect(changeSets(await readJournal(path)).map((s) => s.state)).toEqual(['intent']);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"type":"intent"', '"type":"intent'), { mode: 0o600 });
    await expect(readJournal(path)).rejects.toThrow(/line 2 is not JSON/);
  });

  it('version 3: a change set whose values or row identity were edited is marked, not trusted (the others are)', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path, { version: 3 });
    await j.append(intent('a'));
    await j.append(intent('b'));
    await j.append(intent('c'));
    await j.close();
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    lines[1] = lines[1]!.replace('"before":"xen"', '"before":"qemu"'); // a value
    lines[2] = lines[2]!.replace('"rowId":7', '"rowId":8'); // the row: covered by the change's sha256
    await writeFile(path, lines.join('\n'), { mode: 0o600 });
    const sets = changeSets(await readJournal(path));
    expect(sets.map((s) => s.damage)).toEqual([
      expect.stringMatching(/^journal line 2 cannot be trusted \(change 1: a value does not match its sha256\)/),
      expect.stringMatching(
        /^journal line 3 cannot be trusted \(change 1 \(instance_system_metadata id 8\) does not match/,
      ),
      null,
    ]);
  });

  it('version 4: an edited value, row id, key, column, database name, instance, row set or cell is caught by the change set sha256', async () => {
    const cloud = (schema: string) => ({
      api: { schema: 'nova_api', server: { uid: 'u1', hostname: 'db', port: 3306, socket: null, galera: null } },
      cells: [{ uuid: 'c1', schema, server: { uid: 'u1', hostname: 'db', port: 3306, socket: null, galera: null } }],
    });
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path, { cloud: cloud('nova_cell1') });
    expect(j.version).toBe(4);
    const edits: [string, (l: string) => string][] = [
      ['value', (l) => l.replace('"old":"xen"', '"old":"qemu"')],
      ['row id', (l) => l.replace('"id":7', '"id":8')],
      ['key', (l) => l.replace('"key":"image_hypervisor_type"', '"key":"image_vm_mode"')],
      ['column', (l) => l.replace('"col":"value"', '"col":"key"')],
      ['database name', (l) => l.replace('"cell":"nova_cell1"', '"cell":"nova_cell2"')],
      ['instance', (l) => l.replace(/"uuid":"uuid-(\w+)"/, '"uuid":"uuid-healthy"')],
      ['cell', (l) => l.replace('"uuid":"c1"', '"uuid":"c2"')],
      ['action', (l) => l.replace('"update":{', '"insert":{').replace('"old":"xen",', '')],
      [
        'a row added',
        (l) =>
          l.replace(
            '"new":"kvm"}]',
            '"new":"kvm"},{"id":9,"key":"image_vm_mode","col":"value","old":"xen","new":"hvm"}]',
          ),
      ],
    ];
    for (const [n] of edits.entries()) await j.append(intent(`e${n}`));
    await j.append(intent('ok'));
    await j.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    for (const [n, [, edit]] of edits.entries()) {
      const edited = edit(lines[n + 1]!);
      expect(edited, edits[n]![0]).not.toBe(lines[n + 1]);
      lines[n + 1] = edited;
    }
    await writeFile(path, lines.join('\n'), { mode: 0o600 });
    const sets = changeSets(await readJournal(path));
    for (const [n, [what]] of edits.entries()) {
      expect(sets[n]!.damage, what).toMatch(
        new RegExp(`^journal line ${n + 2} cannot be trusted \\(the change set does not match its sha256\\)`),
      );
    }
    expect(sets.at(-1)!.damage).toBeNull();
    // Read back, the row is whole: database from its table, database name and instance from the change set.
    expect(sets.at(-1)!.intent.changes).toEqual([
      {
        database: 'cell',
        schema: 'nova_cell1',
        table: 'instance_system_metadata',
        rowId: 7,
        instanceUuid: 'uuid-ok',
        column: 'value',
        key: 'image_hypervisor_type',
        action: 'update',
        before: 'xen',
        after: 'kvm',
        beforeSha256: sha256('xen'),
        afterSha256: sha256('kvm'),
      },
    ]);
  });

  it("version 4: a change set copied from another cloud's journal, or resealed under another header, is not trusted", async () => {
    const server = (uid: string) => ({ uid, hostname: 'db', port: 3306, socket: null, galera: null });
    const cloud = (uid: string) => ({
      api: { schema: 'nova_api', server: server(uid) },
      cells: [{ uuid: 'c1', schema: 'nova_cell1', server: server(uid) }],
    });
    const staging = join(dir, 'staging.jsonl');
    const s = await Journal.create(staging, { cloud: cloud('staging') });
    await s.append(intent('a'));
    await s.close();
    const prod = join(dir, 'prod.jsonl');
    const p = await Journal.create(prod, { cloud: cloud('prod') });
    await p.append(intent('b'));
    await p.close();
    // The staging change set spliced into production's journal: same rows, same values, another cloud.
    await appendFile(prod, (await readFile(staging, 'utf8')).split('\n')[1]! + '\n');
    const sets = changeSets(await readJournal(prod));
    expect(sets.map((x) => x.damage)).toEqual([
      null,
      expect.stringMatching(/^journal line 3 cannot be trusted \(the change set does not match its sha256\)/),
    ]);
    // Unreadable rows: the change set is damaged with the reason, never written.
    const broken = join(dir, 'broken.jsonl');
    const lines = (await readFile(prod, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"rows":{"update":{"instance_system_metadata":[', '"rows":{"update":{"users":[');
    lines[2] = lines[2]!.replace(/"old":"xen",/, '');
    await writeFile(broken, lines.join('\n'), { mode: 0o600 });
    expect(changeSets(await readJournal(broken)).map((x) => x.damage)).toEqual([
      expect.stringMatching(/cannot be trusted \(its rows cannot be read: table "users" is not one a repair changes\)/),
      expect.stringMatching(/its rows cannot be read: instance_system_metadata id 7 without its old value/),
    ]);
  });

  it('version 4 writes only rows the reader reads back the same: another instance or database is refused', async () => {
    const j = await Journal.create(join(dir, 'j.jsonl'));
    const other = intent('a');
    if (other.type === 'intent') other.changes[0] = { ...other.changes[0]!, instanceUuid: 'uuid-healthy' };
    await expect(j.append(other)).rejects.toThrow(/not a row of the change set's databases and instance/);
    const api = intent('b');
    if (api.type === 'intent') api.changes[0] = { ...api.changes[0]!, database: 'api', schema: 'nova_api' };
    await expect(j.append(api)).rejects.toThrow(/not a row of the change set's databases and instance/);
    await j.close();
  });

  it('version 2 rows must name their instance (the change set one); version 1 rows get it from the change set', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path, { version: 3 });
    const other = intent('a');
    if (other.type === 'intent') other.changes[0] = { ...other.changes[0]!, instanceUuid: 'uuid-healthy' };
    await j.append(other);
    await j.append(intent('b'));
    await j.close();
    const [header, first, second] = (await readFile(path, 'utf8')).split('\n');
    // What version 1 wrote: a change without its identity and seal.
    const unsealed = JSON.parse(second!) as Extract<JournalRecord, { type: 'intent' }>;
    const { sha256: _seal, schema: _schema, instanceUuid: _uuid, ...bare } = unsealed.changes[0]!;
    const line = JSON.stringify({ ...unsealed, changes: [bare] });
    await writeFile(path, `${header}\n${first}\n${line}\n`, { mode: 0o600 });
    const sets = changeSets(await readJournal(path));
    expect(sets[0]!.damage).toMatch(/names instance uuid-healthy, the change set uuid-a/);
    expect(sets[1]!.damage).toMatch(/has no sha256 over its row identity/);
    // The same unsealed line under a version 1 header: what version 1 wrote, read with the change set's identity.
    const v1 = join(dir, 'v1.jsonl');
    await writeFile(v1, `${header!.replace('"version":3', '"version":1')}\n${line}\n`, { mode: 0o600 });
    const [old] = changeSets(await readJournal(v1));
    expect(old!.damage).toBeNull();
    expect(old!.intent.changes[0]).toMatchObject({ instanceUuid: 'uuid-b', schema: 'nova_cell1' });
  });

  it('refuses a journal, or a directory on its path, that others own or can write (ssh rules; sticky /tmp is fine)', async () => {
    const path = join(dir, 'j.jsonl');
    await (await Journal.create(path)).close();
    await chmod(path, 0o620);
    await expect(readJournal(path)).rejects.toThrow(/writable by others \(group-writable/);
    await chmod(path, 0o600);
    await chmod(dir, 0o770);
    await expect(readJournal(path)).rejects.toThrow(/journal directory .* is group-writable/);
    await expect(Journal.create(join(dir, 'new.jsonl'))).rejects.toThrow(/group-writable/);
    await chmod(dir, 0o700);
    // An ancestor that is group-writable without the sticky bit: anyone in the group could swap the directory.
    const parent = await mkdtemp(join(tmpdir(), 'nova-doctor-journal-parent-'));
    const inner = join(parent, 'inner');
    await mkdir(inner, { mode: 0o700 });
    await (await Journal.create(join(inner, 'j.jsonl'))).close();
    await chmod(parent, 0o775);
    await expect(readJournal(join(inner, 'j.jsonl'))).rejects.toThrow(
      /directory .*parent.* on the journal's path is group-writable/,
    );
    await chmod(parent, 0o1777); // like /tmp: sticky, so only we can rename what we own there
    expect((await readJournal(join(inner, 'j.jsonl'))).length).toBe(1);
    await expect(Journal.create(join(parent, 'direct.jsonl'))).rejects.toThrow(/world-writable/); // not as its own dir
    await chmod(parent, 0o700);
    if (process.getuid?.() === 0) {
      // Running as root here: another user's file and directory can be made, and must be refused.
      await chown(path, 65534, 65534);
      await expect(readJournal(path)).rejects.toThrow(/owned by uid 65534, not by you/);
      await expect(Journal.openForAppend(path)).rejects.toThrow(/owned by uid 65534/);
      await chown(path, 0, 0);
      await chown(dir, 65534, 65534);
      await expect(readJournal(path)).rejects.toThrow(/journal directory .* is owned by uid 65534/);
      await chown(dir, 0, 0);
    }
  });

  it('not a journal', async () => {
    const path = join(dir, 'x.jsonl');
    await writeFile(path, '{"hello": 1}\n', { mode: 0o600 });
    await expect(readJournal(path)).rejects.toThrow(/line 1 is not a journal record/);
    await writeFile(path, '{"type": "state"}\n', { mode: 0o600 });
    await expect(readJournal(path)).rejects.toThrow(/not a nova-doctor journal/);
  });

  it('concurrent appends all land, in order per caller, each resolved only once written (group commit)', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path);
    await Promise.all(Array.from({ length: 50 }, (_, n) => j.append(intent(`id${n}`))));
    j.appendLater({ type: 'state', id: 'id0', uuid: 'uuid-id0', state: 'done', at: '' });
    await j.drain();
    const sets = changeSets(await readJournal(path));
    expect(sets).toHaveLength(50);
    expect(sets[0]!.state).toBe('done');
    await j.close();
  });
});
