// The journal file itself: permissions, torn writes, tampering, group commit.
import { appendFile, chmod, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { changeSets, Journal, type JournalRecord, readJournal, sha256 } from '../../src/repair/journal.js';

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
    {
      database: 'cell',
      table: 'instance_system_metadata',
      rowId: 7,
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

  it('refuses a journal whose values no longer match their sha256 (edited by hand)', async () => {
    const path = join(dir, 'j.jsonl');
    const j = await Journal.create(path);
    await j.append(intent('a'));
    await j.close();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"before":"xen"', '"before":"qemu"'), { mode: 0o600 });
    await expect(readJournal(path)).rejects.toThrow(/does not match its sha256/);
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
