// The journal file itself: permissions, torn writes, tampering, group commit.
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { changeSets, Journal, type JournalRecord, readJournal, sealChange, sha256 } from '../../src/repair/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-doctor-journal-'));
});

const intent = (id: string, before = 'xen', after = 'kvm'): JournalRecord => ({
  type: 'intent',
  id,
  kind: 'repair',
  uuid: `uuid-${id}`,
  cell: { uuid: 'c1', name: 'cell1' },
  at: new Date(0).toISOString(),
  databases: { api: { schema: 'nova_api', server: 'db:3306' }, cell: { schema: 'nova_cell1', server: 'db:3306' } },
  changes: [
    sealChange({
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
    }),
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

  it('a change set whose values or row identity were edited is marked, not trusted (the others are)', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path);
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

  it('version 2 rows must name their instance (the change set one); version 1 rows get it from the change set', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path);
    const other = intent('a');
    if (other.type === 'intent') other.changes[0] = sealChange({ ...other.changes[0]!, instanceUuid: 'uuid-healthy' });
    await j.append(other);
    const unsealed = intent('b');
    if (unsealed.type === 'intent') delete unsealed.changes[0]!.sha256;
    await j.append(unsealed);
    await j.close();
    const sets = changeSets(await readJournal(path));
    expect(sets[0]!.damage).toMatch(/names instance uuid-healthy, the change set uuid-a/);
    expect(sets[1]!.damage).toMatch(/has no sha256 over its row identity/);
    // The same unsealed line under a version 1 header: what version 1 wrote, read with the change set's identity.
    const v1 = join(dir, 'v1.jsonl');
    const [header, , line] = (await readFile(path, 'utf8')).split('\n');
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
